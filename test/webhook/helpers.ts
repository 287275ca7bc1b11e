/**
 * Test helpers for Zoom webhooks. Signatures are computed here with `node:crypto` only, independently of
 * src/protocol/webhookSignature.ts, so a bug there cannot hide itself in the expected values.
 */
import { createHmac } from 'node:crypto';

export const SECRET = 'q6Vg1yC8TbKkN2oWj4mX0A';
export const OTHER_SECRET = 'Zr3dL9uHsPq7EwYc5vBn2Q';

/** A fixed "now": 2025-02-19T00:05:28Z, in milliseconds. */
export const NOW_MS = 1_739_923_528_000;
/** The same instant in seconds, as Zoom sends it in `x-zm-request-timestamp`. */
export const NOW_SEC = NOW_MS / 1000;
/** `event_ts` of the built envelopes: shortly before {@link NOW_MS}, in milliseconds. */
export const EVENT_TS = NOW_MS - 88;

export const MEETING_UUID = 'f3nq/Fu+Qs6fX1x9lCmb2g==';
export const WEBINAR_UUID = 'Wb7YkN3ZTa6vHn8bX2mKjQ==';
export const SESSION_ID = 'Rb8Xk2QL+iWl0T4yYs2Ykw==';
export const SESSION_KEY = 'support-call-42';
export const ENGAGEMENT_ID = 'jBeFTm2CR8uXaVOcxdFI6Q';
export const OPERATOR_ID = 'x1CRzHq0QuqVJ-Nv5H3bqA';
export const ACCOUNT_ID = 'AbCdEf123GhIjKlMnOpQ';
export const STREAM_ID = '03db704592624398931a588dd78200cb';
export const SERVER_URL = 'wss://rtms.zoom.us';

/** `v0=` + hex HMAC-SHA256(secret, `v0:{ts}:{body}`). */
export function sign(secret: string, tsSeconds: number | string, body: string | Buffer): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`v0:${tsSeconds}:`);
  hmac.update(body);
  return `v0=${hmac.digest('hex')}`;
}

/** Headers as Zoom sends them, signed with `secret` over `body`. */
export function signedHeaders(
  secret: string,
  body: string | Buffer,
  tsSeconds: number = Math.floor(Date.now() / 1000),
): Record<string, string> {
  return {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': 'Zoom Marketplace/1.0a',
    'x-zm-request-timestamp': String(tsSeconds),
    'x-zm-signature': sign(secret, tsSeconds, body),
    'x-zm-request-id': '6009d653_d487_445d_8406_42b654974899',
    'x-zm-trackingid': 'v=2.0;clid=us06;rid=WEB_4c0a1b0e6f1d4d0c9b6b',
  };
}

/** `encryptedToken` of a URL validation answer, computed independently. */
export function encryptedToken(secret: string, plainToken: string): string {
  return createHmac('sha256', secret).update(plainToken).digest('hex');
}

export interface Envelope {
  event: string;
  event_ts: number;
  payload: Record<string, unknown>;
}

/** Compact JSON, as Zoom sends it. */
export function serialize(envelope: unknown): string {
  return JSON.stringify(envelope);
}

export function envelope(event: string, payload: Record<string, unknown>, eventTs = EVENT_TS): Envelope {
  return { event, event_ts: eventTs, payload };
}

export type TestProduct = 'meeting' | 'webinar' | 'session' | 'contact_center';
export type TestKind = 'started' | 'stopped' | 'interrupted';

const EVENT_PREFIX: Record<TestProduct, string> = {
  meeting: 'meeting.rtms_',
  webinar: 'webinar.rtms_',
  session: 'session.rtms_',
  contact_center: 'contact_center.voice_rtms_',
};

/** The id fields of each product's payloads. */
export function idFields(product: TestProduct): Record<string, unknown> {
  switch (product) {
    case 'meeting':
      return { meeting_uuid: MEETING_UUID };
    case 'webinar':
      return { webinar_uuid: WEBINAR_UUID };
    case 'session':
      return { session_id: SESSION_ID, session_key: SESSION_KEY };
    case 'contact_center':
      return { engagement_id: ENGAGEMENT_ID };
  }
}

/**
 * A realistic flat lifecycle envelope (RTMS-PROTOCOL §1.2). `overrides` are merged into the payload; an
 * override of `undefined` removes the field.
 */
export function lifecycleEnvelope(
  product: TestProduct,
  kind: TestKind,
  overrides: Record<string, unknown> = {},
  eventTs = EVENT_TS,
): Envelope {
  const payload: Record<string, unknown> = { ...idFields(product) };
  if (kind === 'started' && (product === 'meeting' || product === 'webinar')) {
    payload.operator_id = OPERATOR_ID;
  }
  payload.rtms_stream_id = STREAM_ID;
  if (kind === 'started') payload.server_urls = SERVER_URL;
  if (kind === 'stopped') payload.stop_reason = 6;
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete payload[key];
    else payload[key] = value;
  }
  return envelope(`${EVENT_PREFIX[product]}${kind}`, payload, eventTs);
}

export const meetingStarted = (overrides: Record<string, unknown> = {}, eventTs = EVENT_TS) =>
  lifecycleEnvelope('meeting', 'started', overrides, eventTs);
export const meetingStopped = (overrides: Record<string, unknown> = {}, eventTs = EVENT_TS) =>
  lifecycleEnvelope('meeting', 'stopped', overrides, eventTs);
export const meetingInterrupted = (overrides: Record<string, unknown> = {}, eventTs = EVENT_TS) =>
  lifecycleEnvelope('meeting', 'interrupted', overrides, eventTs);
export const webinarStarted = (overrides: Record<string, unknown> = {}, eventTs = EVENT_TS) =>
  lifecycleEnvelope('webinar', 'started', overrides, eventTs);
export const webinarStopped = (overrides: Record<string, unknown> = {}, eventTs = EVENT_TS) =>
  lifecycleEnvelope('webinar', 'stopped', overrides, eventTs);
export const webinarInterrupted = (overrides: Record<string, unknown> = {}, eventTs = EVENT_TS) =>
  lifecycleEnvelope('webinar', 'interrupted', overrides, eventTs);
export const sessionStarted = (overrides: Record<string, unknown> = {}, eventTs = EVENT_TS) =>
  lifecycleEnvelope('session', 'started', overrides, eventTs);
export const sessionStopped = (overrides: Record<string, unknown> = {}, eventTs = EVENT_TS) =>
  lifecycleEnvelope('session', 'stopped', overrides, eventTs);
export const sessionInterrupted = (overrides: Record<string, unknown> = {}, eventTs = EVENT_TS) =>
  lifecycleEnvelope('session', 'interrupted', overrides, eventTs);
export const contactCenterStarted = (overrides: Record<string, unknown> = {}, eventTs = EVENT_TS) =>
  lifecycleEnvelope('contact_center', 'started', overrides, eventTs);
export const contactCenterStopped = (overrides: Record<string, unknown> = {}, eventTs = EVENT_TS) =>
  lifecycleEnvelope('contact_center', 'stopped', overrides, eventTs);
export const contactCenterInterrupted = (overrides: Record<string, unknown> = {}, eventTs = EVENT_TS) =>
  lifecycleEnvelope('contact_center', 'interrupted', overrides, eventTs);

export function concurrencyNearLimit(overrides: Record<string, unknown> = {}, eventTs = EVENT_TS): Envelope {
  return envelope(
    'rtms.concurrency_near_limit',
    { concurrency_limit: 2000, concurrency_number: 1700, percentage: 85, ...overrides },
    eventTs,
  );
}

export function concurrencyLimited(overrides: Record<string, unknown> = {}, eventTs = EVENT_TS): Envelope {
  return envelope(
    'rtms.concurrency_limited',
    {
      operator_id: OPERATOR_ID,
      concurrency_number: 2000,
      id_field: { meeting_uuid: MEETING_UUID },
      ...overrides,
    },
    eventTs,
  );
}

export function urlValidation(plainToken: string | undefined, eventTs = EVENT_TS): Envelope {
  return envelope('endpoint.url_validation', plainToken === undefined ? {} : { plainToken }, eventTs);
}

/** A promise with its resolver exposed. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Rejects if `promise` has not settled within `ms`; the timer never outlives the call. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
