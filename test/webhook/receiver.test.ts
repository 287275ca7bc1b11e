import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RtmsError } from '../../src/protocol/errors.js';
import type {
  ConcurrencyLimitedEvent,
  ConcurrencyNearLimitEvent,
  RtmsLifecycleEvent,
  RtmsStartedEvent,
  RtmsStoppedEvent,
  WebhookEvent,
} from '../../src/webhook/events.js';
import { WebhookReceiver, type WebhookResult } from '../../src/webhook/receiver.js';
import {
  ACCOUNT_ID,
  concurrencyLimited,
  concurrencyNearLimit,
  ENGAGEMENT_ID,
  EVENT_TS,
  envelope,
  lifecycleEnvelope,
  MEETING_UUID,
  meetingStarted,
  meetingStopped,
  NOW_MS,
  NOW_SEC,
  OPERATOR_ID,
  OTHER_SECRET,
  SECRET,
  SERVER_URL,
  SESSION_ID,
  SESSION_KEY,
  STREAM_ID,
  serialize,
  sign,
  signedHeaders,
  type TestKind,
  type TestProduct,
  urlValidation,
  WEBINAR_UUID,
  webinarStarted,
} from './helpers.js';

const receiver = new WebhookReceiver({ secretToken: SECRET });

/** Signs `body` with `secret` at NOW and receives it at NOW. */
function receiveSigned(
  body: string | Buffer,
  rx: WebhookReceiver = receiver,
  secret = SECRET,
  tsSeconds = NOW_SEC,
  nowMs = NOW_MS,
): WebhookResult {
  return rx.receive(body, signedHeaders(secret, body, tsSeconds), nowMs);
}

function eventOf(result: WebhookResult): WebhookEvent {
  expect(result.status).toBe(200);
  expect(result.outcome).toBe('event');
  if (result.event === undefined) throw new Error(`no event in ${JSON.stringify(result.body)}`);
  return result.event;
}

function lifecycleOf(result: WebhookResult): RtmsLifecycleEvent {
  const event = eventOf(result);
  if (event.kind !== 'started' && event.kind !== 'stopped' && event.kind !== 'interrupted') {
    throw new Error(`expected a lifecycle event, got ${event.kind}`);
  }
  return event;
}

function startedOf(result: WebhookResult): RtmsStartedEvent {
  const event = eventOf(result);
  if (event.kind !== 'started') throw new Error(`expected started, got ${event.kind}`);
  return event;
}

function stoppedOf(result: WebhookResult): RtmsStoppedEvent {
  const event = eventOf(result);
  if (event.kind !== 'stopped') throw new Error(`expected stopped, got ${event.kind}`);
  return event;
}

function expectRejected(result: WebhookResult, status: number, code: string): RtmsError {
  expect(result.status).toBe(status);
  expect(result.outcome).toBe('rejected');
  expect(result.event).toBeUndefined();
  expect(result.body.error).toBe(code);
  expect(result.error).toBeInstanceOf(RtmsError);
  expect(result.error?.code).toBe(code);
  return result.error as RtmsError;
}

describe('WebhookReceiver: a valid signed event', () => {
  it('answers 200 with a typed meeting.rtms_started event', () => {
    const body = serialize(
      meetingStarted({ account_id: ACCOUNT_ID, meeting_id: 84512345678, is_original_host: true }),
    );
    const result = receiveSigned(Buffer.from(body));
    expect(result.body).toEqual({ ok: true });
    expect(result.eventName).toBe('meeting.rtms_started');
    const event = startedOf(result);
    expect(event.event).toBe('meeting.rtms_started');
    expect(event.product).toBe('meeting');
    expect(event.instanceId).toBe(MEETING_UUID);
    expect(event.instanceKey).toBe('meeting_uuid');
    expect(event.streamId).toBe(STREAM_ID);
    expect(event.serverUrls).toEqual([SERVER_URL]);
    expect(event.eventTs).toBe(EVENT_TS);
    expect(event.deliveryKey).toBe(`meeting.rtms_started:${STREAM_ID}:${EVENT_TS}`);
    expect(event.operatorId).toBe(OPERATOR_ID);
    expect(event.accountId).toBe(ACCOUNT_ID);
    expect(event.meetingId).toBe('84512345678');
    expect(event.payload.is_original_host).toBe(true);
  });

  it('accepts the body as a string as well as a Buffer', () => {
    const body = serialize(meetingStarted());
    expect(startedOf(receiveSigned(body)).streamId).toBe(STREAM_ID);
  });

  it('verifies the exact bytes: non-ASCII text in the body', () => {
    const body = serialize(sessionStartedWithKey('réunion-équipe-☕'));
    const event = startedOf(receiveSigned(Buffer.from(body, 'utf8')));
    expect(event.sessionKey).toBe('réunion-équipe-☕');
  });
});

function sessionStartedWithKey(key: string) {
  return lifecycleEnvelope('session', 'started', { session_key: key });
}

describe('WebhookReceiver: signature verification', () => {
  const body = serialize(meetingStarted());

  it('rejects a body changed by one byte after signing with 401 WEBHOOK_BAD_SIGNATURE', () => {
    const headers = signedHeaders(SECRET, body, NOW_SEC);
    const forged = Buffer.from(body);
    const at = forged.indexOf(STREAM_ID) + 5;
    forged[at] = forged[at] === 0x30 ? 0x31 : 0x30;
    expect(forged.equals(Buffer.from(body))).toBe(false);
    expectRejected(receiver.receive(forged, headers, NOW_MS), 401, 'WEBHOOK_BAD_SIGNATURE');
    // The untouched body still passes with the same headers.
    expect(receiver.receive(body, headers, NOW_MS).status).toBe(200);
  });

  it('rejects a re-serialised body (whitespace added) with 401', () => {
    const headers = signedHeaders(SECRET, body, NOW_SEC);
    const pretty = JSON.stringify(JSON.parse(body), null, 2);
    expectRejected(receiver.receive(pretty, headers, NOW_MS), 401, 'WEBHOOK_BAD_SIGNATURE');
  });

  it('rejects a body signed with another secret with 401', () => {
    expectRejected(receiveSigned(body, receiver, OTHER_SECRET), 401, 'WEBHOOK_BAD_SIGNATURE');
  });

  it('rejects a signature made for another timestamp with 401', () => {
    const headers = signedHeaders(SECRET, body, NOW_SEC);
    headers['x-zm-request-timestamp'] = String(NOW_SEC - 1);
    expectRejected(receiver.receive(body, headers, NOW_MS), 401, 'WEBHOOK_BAD_SIGNATURE');
  });

  it('rejects a missing signature header with 401 WEBHOOK_BAD_SIGNATURE', () => {
    const { 'x-zm-signature': _sig, ...headers } = signedHeaders(SECRET, body, NOW_SEC);
    expectRejected(receiver.receive(body, headers, NOW_MS), 401, 'WEBHOOK_BAD_SIGNATURE');
    expectRejected(receiver.receive(body, {}, NOW_MS), 401, 'WEBHOOK_BAD_SIGNATURE');
  });

  it('rejects an empty or truncated signature and a signature in upper-case hex', () => {
    const headers = signedHeaders(SECRET, body, NOW_SEC);
    const good = headers['x-zm-signature'] as string;
    for (const signature of [
      '',
      'v0=',
      good.slice(0, -1),
      `v0=${good.slice(3).toUpperCase()}`,
      good.slice(3),
    ]) {
      const result = receiver.receive(body, { ...headers, 'x-zm-signature': signature }, NOW_MS);
      expectRejected(result, 401, 'WEBHOOK_BAD_SIGNATURE');
    }
  });

  it('rejects a missing or malformed timestamp header with 401 WEBHOOK_STALE_TIMESTAMP', () => {
    const { 'x-zm-request-timestamp': _ts, ...headers } = signedHeaders(SECRET, body, NOW_SEC);
    expectRejected(receiver.receive(body, headers, NOW_MS), 401, 'WEBHOOK_STALE_TIMESTAMP');
    for (const ts of ['', 'abc', '1.7e9', '-1739923528', ' 1739923528']) {
      const signed = { ...headers, 'x-zm-request-timestamp': ts, 'x-zm-signature': sign(SECRET, ts, body) };
      expectRejected(receiver.receive(body, signed, NOW_MS), 401, 'WEBHOOK_STALE_TIMESTAMP');
    }
  });
});

describe('WebhookReceiver: timestamp tolerance', () => {
  const body = serialize(meetingStarted());

  it('rejects a timestamp 301 s in the past or the future with 401 WEBHOOK_STALE_TIMESTAMP', () => {
    expectRejected(
      receiveSigned(body, receiver, SECRET, NOW_SEC - 301, NOW_MS),
      401,
      'WEBHOOK_STALE_TIMESTAMP',
    );
    expectRejected(
      receiveSigned(body, receiver, SECRET, NOW_SEC + 301, NOW_MS),
      401,
      'WEBHOOK_STALE_TIMESTAMP',
    );
  });

  it('accepts a timestamp 299 s in the past or the future', () => {
    expect(receiveSigned(body, receiver, SECRET, NOW_SEC - 299, NOW_MS).status).toBe(200);
    expect(receiveSigned(body, receiver, SECRET, NOW_SEC + 299, NOW_MS).status).toBe(200);
  });

  it('honours a custom tolerance', () => {
    const strict = new WebhookReceiver({ secretToken: SECRET, timestampToleranceSec: 60 });
    expect(receiveSigned(body, strict, SECRET, NOW_SEC - 59).status).toBe(200);
    expectRejected(receiveSigned(body, strict, SECRET, NOW_SEC - 61), 401, 'WEBHOOK_STALE_TIMESTAMP');
    expectRejected(receiveSigned(body, strict, SECRET, NOW_SEC + 61), 401, 'WEBHOOK_STALE_TIMESTAMP');
  });

  it('disables the check with tolerance 0, but still verifies the signature', () => {
    const lax = new WebhookReceiver({ secretToken: SECRET, timestampToleranceSec: 0 });
    const yearsAgo = NOW_SEC - 5 * 365 * 24 * 3600;
    expect(receiveSigned(body, lax, SECRET, yearsAgo).status).toBe(200);
    expect(receiveSigned(body, lax, SECRET, NOW_SEC + 86_400).status).toBe(200);
    expectRejected(receiveSigned(body, lax, OTHER_SECRET, yearsAgo), 401, 'WEBHOOK_BAD_SIGNATURE');
  });

  it('uses Date.now() when nowMs is not given', () => {
    const nowSec = Math.floor(Date.now() / 1000);
    expect(receiver.receive(body, signedHeaders(SECRET, body, nowSec)).status).toBe(200);
    expectRejected(
      receiver.receive(body, signedHeaders(SECRET, body, nowSec - 400)),
      401,
      'WEBHOOK_STALE_TIMESTAMP',
    );
  });
});

describe('WebhookReceiver: headers', () => {
  const body = serialize(meetingStarted());

  it('finds headers in mixed case', () => {
    const headers = signedHeaders(SECRET, body, NOW_SEC);
    const mixed = {
      'Content-Type': headers['content-type'],
      'X-Zm-Request-Timestamp': headers['x-zm-request-timestamp'],
      'X-Zm-Signature': headers['x-zm-signature'],
    };
    expect(startedOf(receiver.receive(body, mixed, NOW_MS)).streamId).toBe(STREAM_ID);
    const upper = {
      'X-ZM-REQUEST-TIMESTAMP': headers['x-zm-request-timestamp'],
      'X-ZM-SIGNATURE': headers['x-zm-signature'],
    };
    expect(receiver.receive(body, upper, NOW_MS).status).toBe(200);
  });

  it('accepts a fetch Headers object', () => {
    const headers = new Headers(signedHeaders(SECRET, body, NOW_SEC));
    expect(startedOf(receiver.receive(body, headers, NOW_MS)).streamId).toBe(STREAM_ID);
    headers.set('x-zm-signature', sign(OTHER_SECRET, NOW_SEC, body));
    expectRejected(receiver.receive(body, headers, NOW_MS), 401, 'WEBHOOK_BAD_SIGNATURE');
  });

  it('takes the first value of a repeated header (Node string[] values)', () => {
    const headers = signedHeaders(SECRET, body, NOW_SEC);
    const good = headers['x-zm-signature'] as string;
    const bad = sign(OTHER_SECRET, NOW_SEC, body);
    const first = { ...headers, 'x-zm-signature': [good, bad] };
    expect(receiver.receive(body, first, NOW_MS).status).toBe(200);
    const second = { ...headers, 'x-zm-signature': [bad, good] };
    expectRejected(receiver.receive(body, second, NOW_MS), 401, 'WEBHOOK_BAD_SIGNATURE');
  });
});

describe('WebhookReceiver: several secret tokens', () => {
  const both = new WebhookReceiver({ secretToken: [SECRET, OTHER_SECRET] });
  const body = serialize(meetingStarted());

  it('accepts a body signed with either secret, and nothing else', () => {
    expect(receiveSigned(body, both, SECRET).status).toBe(200);
    expect(startedOf(receiveSigned(body, both, OTHER_SECRET)).streamId).toBe(STREAM_ID);
    expectRejected(receiveSigned(body, both, 'not-a-configured-secret'), 401, 'WEBHOOK_BAD_SIGNATURE');
  });
});

describe('WebhookReceiver: URL validation', () => {
  const plainToken = 'qgg8vlvZRS6UYooatFL8Aw';

  it('answers 200 with plainToken and the HMAC of it', () => {
    const result = receiveSigned(serialize(urlValidation(plainToken)));
    expect(result.status).toBe(200);
    expect(result.outcome).toBe('url_validation');
    expect(result.eventName).toBe('endpoint.url_validation');
    expect(result.event).toBeUndefined();
    const expected = createHmac('sha256', SECRET).update(plainToken).digest('hex');
    expect(result.body).toEqual({ plainToken, encryptedToken: expected });
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers with the secret that signed the request when several are configured', () => {
    const both = new WebhookReceiver({ secretToken: [SECRET, OTHER_SECRET] });
    const body = serialize(urlValidation(plainToken));
    const bySecond = receiveSigned(body, both, OTHER_SECRET);
    expect(bySecond.body).toEqual({
      plainToken,
      encryptedToken: createHmac('sha256', OTHER_SECRET).update(plainToken).digest('hex'),
    });
    const byFirst = receiveSigned(body, both, SECRET);
    expect(byFirst.body).toEqual({
      plainToken,
      encryptedToken: createHmac('sha256', SECRET).update(plainToken).digest('hex'),
    });
    expect(byFirst.body.encryptedToken).not.toBe(bySecond.body.encryptedToken);
  });

  it('rejects a validation request without plainToken with 400', () => {
    const err = expectRejected(
      receiveSigned(serialize(urlValidation(undefined))),
      400,
      'WEBHOOK_MISSING_FIELD',
    );
    expect(err.message).toContain('payload.plainToken');
    const empty = receiveSigned(serialize(urlValidation('')));
    expectRejected(empty, 400, 'WEBHOOK_MISSING_FIELD');
    const noPayload = receiveSigned(serialize({ event: 'endpoint.url_validation', event_ts: EVENT_TS }));
    expectRejected(noPayload, 400, 'WEBHOOK_MISSING_FIELD');
  });

  it('requires the signature on validation requests too', () => {
    const body = serialize(urlValidation(plainToken));
    expectRejected(receiver.receive(body, {}, NOW_MS), 401, 'WEBHOOK_BAD_SIGNATURE');
  });
});

describe('WebhookReceiver: malformed bodies', () => {
  it('rejects signed invalid JSON with 400 WEBHOOK_INVALID_BODY', () => {
    expectRejected(receiveSigned('{"event":"meeting.rtms_started",'), 400, 'WEBHOOK_INVALID_BODY');
    expectRejected(receiveSigned(''), 400, 'WEBHOOK_INVALID_BODY');
  });

  it('rejects a JSON array and other non-object JSON with 400 WEBHOOK_INVALID_BODY', () => {
    expectRejected(receiveSigned(serialize([meetingStarted()])), 400, 'WEBHOOK_INVALID_BODY');
    for (const text of ['null', '42', '"meeting.rtms_started"', 'true']) {
      expectRejected(receiveSigned(text), 400, 'WEBHOOK_INVALID_BODY');
    }
  });

  it('rejects an RTMS event without rtms_stream_id, naming the field', () => {
    const result = receiveSigned(serialize(meetingStarted({ rtms_stream_id: undefined })));
    const err = expectRejected(result, 400, 'WEBHOOK_MISSING_FIELD');
    expect(err.message).toContain('payload.rtms_stream_id');
    expect(result.body.message).toContain('payload.rtms_stream_id');
    expect(result.eventName).toBe('meeting.rtms_started');
  });

  it('rejects rtms_started without server_urls (or with none usable), naming the field', () => {
    for (const server_urls of [undefined, '', ' , ', [], [42, null]]) {
      const result = receiveSigned(serialize(meetingStarted({ server_urls })));
      const err = expectRejected(result, 400, 'WEBHOOK_MISSING_FIELD');
      expect(err.message).toContain('payload.server_urls');
    }
  });

  it('rejects a meeting event without meeting_uuid, naming payload.meeting_uuid', () => {
    const result = receiveSigned(serialize(meetingStarted({ meeting_uuid: undefined })));
    expect(expectRejected(result, 400, 'WEBHOOK_MISSING_FIELD').message).toContain('payload.meeting_uuid');
    const emptyId = receiveSigned(serialize(meetingStopped({ meeting_uuid: '' })));
    expect(expectRejected(emptyId, 400, 'WEBHOOK_MISSING_FIELD').message).toContain('payload.meeting_uuid');
  });

  it('rejects an RTMS event without a numeric event_ts', () => {
    const { event_ts: _ts, ...noTs } = meetingStarted();
    expect(expectRejected(receiveSigned(serialize(noTs)), 400, 'WEBHOOK_MISSING_FIELD').message).toContain(
      'event_ts',
    );
    const textTs = { ...meetingStarted(), event_ts: String(EVENT_TS) };
    expectRejected(receiveSigned(serialize(textTs)), 400, 'WEBHOOK_MISSING_FIELD');
  });

  it('rejects an RTMS event whose payload is not an object', () => {
    for (const payload of [null, [], 'x', 3]) {
      const body = serialize({ event: 'meeting.rtms_started', event_ts: EVENT_TS, payload });
      expect(expectRejected(receiveSigned(body), 400, 'WEBHOOK_MISSING_FIELD').message).toContain('payload');
    }
  });
});

describe('WebhookReceiver: body size', () => {
  it('rejects a body over 256 KiB with 413 WEBHOOK_TOO_LARGE before checking the signature', () => {
    const big = Buffer.alloc(256 * 1024 + 1, 0x20);
    expectRejected(receiver.receive(big, {}, NOW_MS), 413, 'WEBHOOK_TOO_LARGE');
    expectRejected(receiveSigned(big), 413, 'WEBHOOK_TOO_LARGE');
  });

  it('accepts a signed event of exactly 256 KiB', () => {
    const json = serialize(meetingStarted());
    const exact = json.padEnd(256 * 1024, ' ');
    expect(Buffer.byteLength(exact)).toBe(256 * 1024);
    expect(startedOf(receiveSigned(exact)).streamId).toBe(STREAM_ID);
    expectRejected(receiveSigned(`${exact} `), 413, 'WEBHOOK_TOO_LARGE');
  });

  it('honours a custom maxBodyBytes, counting bytes rather than characters', () => {
    const small = new WebhookReceiver({ secretToken: SECRET, maxBodyBytes: 512 });
    const json = serialize(meetingStarted());
    expect(receiveSigned(json.padEnd(512, ' '), small).status).toBe(200);
    expectRejected(receiveSigned(json.padEnd(513, ' '), small), 413, 'WEBHOOK_TOO_LARGE');
    expect(small.maxBodyBytes).toBe(512);
    const tiny = new WebhookReceiver({ secretToken: SECRET, maxBodyBytes: 10 });
    // 4 characters, 12 bytes.
    expectRejected(tiny.receive('€€€€', {}, NOW_MS), 413, 'WEBHOOK_TOO_LARGE');
  });
});

describe('WebhookReceiver: events it does not handle', () => {
  it('answers 200 ignored for a well-formed non-RTMS event', () => {
    const body = serialize({
      event: 'meeting.started',
      event_ts: EVENT_TS,
      payload: {
        account_id: ACCOUNT_ID,
        object: { uuid: MEETING_UUID, id: 84512345678, host_id: OPERATOR_ID },
      },
    });
    const result = receiveSigned(body);
    expect(result.status).toBe(200);
    expect(result.outcome).toBe('ignored');
    expect(result.body).toEqual({ ignored: true });
    expect(result.event).toBeUndefined();
    expect(result.eventName).toBe('meeting.started');
  });

  it('ignores names that only look like RTMS events', () => {
    for (const event of [
      'meeting.rtms_paused',
      'meeting.rtms_started_v2',
      'zoomapp.rtms_started',
      'rtms.start_failed',
    ]) {
      const result = receiveSigned(serialize(envelope(event, {})));
      expect(result.outcome).toBe('ignored');
      expect(result.status).toBe(200);
    }
  });
});

describe('WebhookReceiver: payload layouts and products', () => {
  it('gives equal events for flat and payload.object payloads, apart from the raw payload', () => {
    const flat = meetingStarted({ account_id: ACCOUNT_ID });
    const { account_id: _a, ...objectFields } = flat.payload;
    const wrapped = envelope(flat.event, { account_id: ACCOUNT_ID, object: objectFields });
    const a = startedOf(receiveSigned(serialize(flat)));
    const b = startedOf(receiveSigned(serialize(wrapped)));
    const { payload: pa, ...restA } = a;
    const { payload: pb, ...restB } = b;
    expect(restB).toEqual(restA);
    expect(restA.accountId).toBe(ACCOUNT_ID);
    expect(restA.instanceId).toBe(MEETING_UUID);
    // The wrapped payload is flattened.
    expect(pb.object).toBeUndefined();
    expect(pb.meeting_uuid).toBe(MEETING_UUID);
    expect(pa.meeting_uuid).toBe(MEETING_UUID);
  });

  const cases: Array<{ product: TestProduct; instanceKey: string; instanceId: string }> = [
    { product: 'meeting', instanceKey: 'meeting_uuid', instanceId: MEETING_UUID },
    { product: 'webinar', instanceKey: 'webinar_uuid', instanceId: WEBINAR_UUID },
    { product: 'session', instanceKey: 'session_id', instanceId: SESSION_ID },
    { product: 'contact_center', instanceKey: 'engagement_id', instanceId: ENGAGEMENT_ID },
  ];
  const kinds: TestKind[] = ['started', 'stopped', 'interrupted'];

  for (const { product, instanceKey, instanceId } of cases) {
    for (const kind of kinds) {
      it(`parses ${product} ${kind}`, () => {
        const env = lifecycleEnvelope(product, kind);
        const event = lifecycleOf(receiveSigned(serialize(env)));
        expect(event.event).toBe(env.event);
        expect(event.kind).toBe(kind);
        expect(event.product).toBe(product);
        expect(event.instanceKey).toBe(instanceKey);
        expect(event.instanceId).toBe(instanceId);
        expect(event.streamId).toBe(STREAM_ID);
        expect(event.deliveryKey).toBe(`${env.event}:${STREAM_ID}:${EVENT_TS}`);
        if (product === 'session') expect(event.sessionKey).toBe(SESSION_KEY);
        else expect(event.sessionKey).toBeUndefined();
        if (event.kind === 'started') expect(event.serverUrls).toEqual([SERVER_URL]);
        if (event.kind === 'stopped') expect(event.stopReason).toBe(6);
      });
    }
  }

  it('falls back to meeting_uuid for a webinar event without webinar_uuid', () => {
    const env = webinarStarted({ webinar_uuid: undefined, meeting_uuid: MEETING_UUID });
    const event = startedOf(receiveSigned(serialize(env)));
    expect(event.product).toBe('webinar');
    expect(event.instanceKey).toBe('meeting_uuid');
    expect(event.instanceId).toBe(MEETING_UUID);
  });

  it('prefers webinar_uuid when a webinar event has both ids', () => {
    const env = webinarStarted({ meeting_uuid: MEETING_UUID });
    const event = startedOf(receiveSigned(serialize(env)));
    expect(event.instanceKey).toBe('webinar_uuid');
    expect(event.instanceId).toBe(WEBINAR_UUID);
  });

  it('names the product key when a webinar event has no id at all', () => {
    const result = receiveSigned(serialize(webinarStarted({ webinar_uuid: undefined })));
    expect(expectRejected(result, 400, 'WEBHOOK_MISSING_FIELD').message).toContain('payload.webinar_uuid');
  });

  it('uses engagement_id for contact center, not session_id', () => {
    const env = lifecycleEnvelope('contact_center', 'started', { session_id: SESSION_ID });
    const event = startedOf(receiveSigned(serialize(env)));
    expect(event.product).toBe('contact_center');
    expect(event.instanceKey).toBe('engagement_id');
    expect(event.instanceId).toBe(ENGAGEMENT_ID);
  });
});

describe('WebhookReceiver: stop_reason', () => {
  it('gives stopReason 0 when Zoom sends none', () => {
    const event = stoppedOf(receiveSigned(serialize(meetingStopped({ stop_reason: undefined }))));
    expect(event.stopReason).toBe(0);
    expect(stoppedOf(receiveSigned(serialize(meetingStopped({ stop_reason: null })))).stopReason).toBe(0);
  });

  it('keeps large reasons seen in practice', () => {
    expect(stoppedOf(receiveSigned(serialize(meetingStopped({ stop_reason: 18 })))).stopReason).toBe(18);
  });

  it('rejects a non-integer stop_reason with 400 naming it', () => {
    for (const stop_reason of ['x', '6', 1.5, true, {}]) {
      const result = receiveSigned(serialize(meetingStopped({ stop_reason })));
      expect(expectRejected(result, 400, 'WEBHOOK_MISSING_FIELD').message).toContain('payload.stop_reason');
    }
  });
});

describe('WebhookReceiver: server_urls', () => {
  it('splits a comma-separated string and puts wss:// first', () => {
    const server_urls = 'ws://rtms-sjc1.zoom.us:80,wss://rtms-sjc1.zoom.us:443';
    const event = startedOf(receiveSigned(serialize(meetingStarted({ server_urls }))));
    expect(event.serverUrls).toEqual(['wss://rtms-sjc1.zoom.us:443', 'ws://rtms-sjc1.zoom.us:80']);
  });

  it('accepts an array, trims, drops duplicates and keeps the order within each scheme', () => {
    const server_urls = [' ws://a.zoom.us', 'wss://b.zoom.us', 'wss://c.zoom.us', 'wss://b.zoom.us'];
    const event = startedOf(receiveSigned(serialize(meetingStarted({ server_urls }))));
    expect(event.serverUrls).toEqual(['wss://b.zoom.us', 'wss://c.zoom.us', 'ws://a.zoom.us']);
  });
});

describe('WebhookReceiver: concurrency events', () => {
  it('parses rtms.concurrency_near_limit', () => {
    const event = eventOf(receiveSigned(serialize(concurrencyNearLimit()))) as ConcurrencyNearLimitEvent;
    expect(event.kind).toBe('concurrency_near_limit');
    expect(event.event).toBe('rtms.concurrency_near_limit');
    expect(event.limit).toBe(2000);
    expect(event.current).toBe(1700);
    expect(event.percentage).toBe(85);
    expect(event.eventTs).toBe(EVENT_TS);
    expect(event.deliveryKey).toBe(`rtms.concurrency_near_limit:${EVENT_TS}`);
  });

  it('rejects rtms.concurrency_near_limit with a missing or non-integer count', () => {
    const missing = receiveSigned(serialize(concurrencyNearLimit({ concurrency_limit: undefined })));
    expect(expectRejected(missing, 400, 'WEBHOOK_MISSING_FIELD').message).toContain(
      'payload.concurrency_limit',
    );
    const text = receiveSigned(serialize(concurrencyNearLimit({ percentage: '85' })));
    expect(expectRejected(text, 400, 'WEBHOOK_MISSING_FIELD').message).toContain('payload.percentage');
  });

  it('parses rtms.concurrency_limited with its id_field', () => {
    const event = eventOf(receiveSigned(serialize(concurrencyLimited()))) as ConcurrencyLimitedEvent;
    expect(event.kind).toBe('concurrency_limited');
    expect(event.current).toBe(2000);
    expect(event.operatorId).toBe(OPERATOR_ID);
    expect(event.instanceId).toBe(MEETING_UUID);
    const session = concurrencyLimited({ id_field: { session_id: SESSION_ID } });
    expect((eventOf(receiveSigned(serialize(session))) as ConcurrencyLimitedEvent).instanceId).toBe(
      SESSION_ID,
    );
  });

  it('parses the older meeting.rtms_concurrency_limited', () => {
    const env = envelope('meeting.rtms_concurrency_limited', { meeting_uuid: MEETING_UUID });
    const event = eventOf(receiveSigned(serialize(env))) as ConcurrencyLimitedEvent;
    expect(event.kind).toBe('concurrency_limited');
    expect(event.instanceId).toBe(MEETING_UUID);
    expect(event.current).toBeUndefined();
  });
});

/** A small deterministic PRNG (mulberry32), so a failing input can be reproduced. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('WebhookReceiver: garbage never throws and never answers 5xx', () => {
  const REJECT_CODES = new Set(['WEBHOOK_INVALID_BODY', 'WEBHOOK_MISSING_FIELD']);

  function check(body: string | Buffer): WebhookResult {
    let result: WebhookResult | undefined;
    expect(() => {
      result = receiveSigned(body);
    }).not.toThrow();
    if (result === undefined) throw new Error('no result');
    expect(result.status).toBeLessThan(500);
    if (result.status === 200) expect(['event', 'ignored', 'url_validation']).toContain(result.outcome);
    else {
      expect(result.outcome).toBe('rejected');
      expect(REJECT_CODES.has(result.error?.code ?? '')).toBe(true);
    }
    return result;
  }

  it('rejects random bytes with 400', () => {
    const random = prng(0x5eed);
    let count = 0;
    for (let i = 0; i < 300; i++) {
      const length = Math.floor(random() * 600);
      const bytes = Buffer.alloc(length);
      for (let j = 0; j < length; j++) bytes[j] = Math.floor(random() * 256);
      const result = check(bytes);
      expect(result.status).toBe(400);
      count++;
    }
    expect(count).toBe(300);
  });

  it('rejects every truncation of a valid event with 400 WEBHOOK_INVALID_BODY', () => {
    const json = serialize(meetingStarted());
    for (let end = 0; end < json.length; end++) {
      const result = check(json.slice(0, end));
      expect(result.status).toBe(400);
      expect(result.error?.code).toBe('WEBHOOK_INVALID_BODY');
    }
    expect(check(json).status).toBe(200);
  });

  it('rejects weird shapes with 400 and the right code', () => {
    const valid = meetingStarted().payload;
    const cases: Array<[string, 'WEBHOOK_INVALID_BODY' | 'WEBHOOK_MISSING_FIELD']> = [
      ['{"event":5}', 'WEBHOOK_MISSING_FIELD'],
      ['{"event":"meeting.rtms_started","event_ts":"x","payload":[]}', 'WEBHOOK_MISSING_FIELD'],
      ['{"event":"meeting.rtms_started","event_ts":1,"payload":[]}', 'WEBHOOK_MISSING_FIELD'],
      ['{"event":"meeting.rtms_started","event_ts":1e400,"payload":{}}', 'WEBHOOK_MISSING_FIELD'],
      ['{"event":"meeting.rtms_started","event_ts":1,"payload":{"object":[]}}', 'WEBHOOK_MISSING_FIELD'],
      ['{"event":"meeting.rtms_started","event_ts":1,"payload":{"object":null}}', 'WEBHOOK_MISSING_FIELD'],
      [serialize({ ...meetingStarted(), payload: { ...valid, meeting_uuid: {} } }), 'WEBHOOK_MISSING_FIELD'],
      [
        serialize({ ...meetingStarted(), payload: { ...valid, rtms_stream_id: [] } }),
        'WEBHOOK_MISSING_FIELD',
      ],
      [
        serialize({ ...meetingStarted(), payload: { ...valid, server_urls: { 0: 'wss://x' } } }),
        'WEBHOOK_MISSING_FIELD',
      ],
      ['{"event":"","event_ts":1,"payload":{}}', 'WEBHOOK_MISSING_FIELD'],
      ['{"__proto__":{"event":"meeting.rtms_started"}}', 'WEBHOOK_MISSING_FIELD'],
      ['{"event":"endpoint.url_validation","payload":{"plainToken":5}}', 'WEBHOOK_MISSING_FIELD'],
      ['{"event":"endpoint.url_validation","payload":null}', 'WEBHOOK_MISSING_FIELD'],
      ['{"event":"endpoint.url_validation","payload":"tok"}', 'WEBHOOK_MISSING_FIELD'],
      [
        '{"event":"rtms.concurrency_near_limit","event_ts":1,"payload":{"concurrency_limit":"2000"}}',
        'WEBHOOK_MISSING_FIELD',
      ],
      ['{"event":"rtms.concurrency_limited","event_ts":null,"payload":{}}', 'WEBHOOK_MISSING_FIELD'],
      ['{}', 'WEBHOOK_MISSING_FIELD'],
      ['[]', 'WEBHOOK_INVALID_BODY'],
      ['null', 'WEBHOOK_INVALID_BODY'],
      ['\uFEFF{}', 'WEBHOOK_INVALID_BODY'],
      [`${'['.repeat(50_000)}${']'.repeat(50_000)}`, 'WEBHOOK_INVALID_BODY'],
      [`${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`, 'WEBHOOK_MISSING_FIELD'],
      ['{"event":"meeting.rtms_started"', 'WEBHOOK_INVALID_BODY'],
      ['{"event":"meeting.rtms_started","event_ts":1,"payload":{}}}', 'WEBHOOK_INVALID_BODY'],
    ];
    for (const [body, code] of cases) {
      const result = check(body);
      expect({ body: body.slice(0, 80), status: result.status, code: result.error?.code }).toEqual({
        body: body.slice(0, 80),
        status: 400,
        code,
      });
    }
    expect(({} as Record<string, unknown>).event).toBeUndefined();
  });

  it('survives invalid UTF-8 and odd header shapes', () => {
    expect(check(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])).status).toBe(400);
    const body = serialize(meetingStarted());
    const oddHeaders: Array<Record<string, string | string[] | undefined>> = [
      { 'x-zm-signature': [], 'x-zm-request-timestamp': String(NOW_SEC) },
      { 'x-zm-signature': undefined, 'x-zm-request-timestamp': undefined },
      { 'x-zm-signature': 'v0=zz', 'x-zm-request-timestamp': ['1', '2'] },
      { 'x-zm-signature': 'x'.repeat(10_000), 'x-zm-request-timestamp': String(NOW_SEC) },
      { 'x-zm-signature': sign(SECRET, '9'.repeat(16), body), 'x-zm-request-timestamp': '9'.repeat(16) },
    ];
    for (const headers of oddHeaders) {
      let result: WebhookResult | undefined;
      expect(() => {
        result = receiver.receive(body, headers, NOW_MS);
      }).not.toThrow();
      expect(result?.status).toBe(401);
    }
  });
});

describe('WebhookReceiver: configuration', () => {
  it('accepts unsigned requests with insecureSkipVerify', () => {
    const open = new WebhookReceiver({ secretToken: '', insecureSkipVerify: true });
    const event = startedOf(open.receive(serialize(meetingStarted()), {}, NOW_MS));
    expect(event.streamId).toBe(STREAM_ID);
    const forged = new WebhookReceiver({ secretToken: SECRET, insecureSkipVerify: true });
    const body = serialize(meetingStarted());
    expect(forged.receive(body, signedHeaders(OTHER_SECRET, body, NOW_SEC - 9999), NOW_MS).status).toBe(200);
  });

  it('throws CONFIG_INVALID for an empty secret', () => {
    for (const secretToken of ['', [], [SECRET, '']]) {
      let thrown: unknown;
      try {
        new WebhookReceiver({ secretToken });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(RtmsError);
      expect((thrown as RtmsError).code).toBe('CONFIG_INVALID');
      expect((thrown as RtmsError).fix).toContain('ZOOM_SECRET_TOKEN');
    }
  });
});
