/**
 * Signing and verifying rtmskit's outbound webhooks, the way Zoom signs its own: `v0=` + hex
 * HMAC-SHA256(secret, `v0:{timestamp}:{body}`) over the exact bytes of the body. `verifyNotification` is
 * what a receiver calls before trusting a request.
 */
import { RTMS_ERROR_CODES, RtmsError, type RtmsErrorCode } from '../../protocol/errors.js';
import { webhookSignature, webhookSignatureMatches } from '../../protocol/webhookSignature.js';
import { NOTIFICATION_TYPES, NOTIFY_HEADERS, type NotificationBody } from './types.js';

/** A receiver refuses a timestamp further than this from its clock by default (Zoom's samples use the same). */
export const NOTIFY_TIMESTAMP_TOLERANCE_SEC = 300;

type HeaderValue = string | readonly string[] | undefined;
/** Node's `IncomingHttpHeaders`, a plain record, or a fetch `Headers` object. */
export type NotificationHeaders =
  | Readonly<Record<string, HeaderValue>>
  | { get(name: string): string | null };

/** `x-rtmskit-signature` of a body sent at `timestamp` (seconds, as a string). */
export function notificationSignature(secret: string, timestamp: string, body: string | Buffer): string {
  return webhookSignature(secret, timestamp, body);
}

/** The headers of one attempt: signature, timestamp, event id, content type and user agent. */
export function notificationHeaders(options: {
  secret: string;
  id: string;
  body: string;
  /** Seconds since the epoch. */
  timestamp: number;
  userAgent: string;
}): Record<string, string> {
  const timestamp = String(Math.floor(options.timestamp));
  return {
    'content-type': 'application/json',
    'user-agent': options.userAgent,
    [NOTIFY_HEADERS.signature]: notificationSignature(options.secret, timestamp, options.body),
    [NOTIFY_HEADERS.timestamp]: timestamp,
    [NOTIFY_HEADERS.eventId]: options.id,
  };
}

export interface VerifyNotificationOptions {
  /** `RTMSKIT_NOTIFY_SECRET`, as the sending service has it. */
  secret: string;
  headers: NotificationHeaders;
  /** The body exactly as received: the signature covers these bytes. */
  body: string | Buffer;
  /** Largest accepted distance of the timestamp from now, seconds; 0 turns the check off. Default 300. */
  toleranceSec?: number;
  /** Now, epoch milliseconds. Default `Date.now()`. */
  now?: number;
}

export type VerifiedNotification =
  | { ok: true; notification: NotificationBody }
  | { ok: false; error: RtmsError };

/**
 * Checks that a request is a notification the holder of `secret` sent, recently: the signature over the
 * raw body, the timestamp within the tolerance, and a body whose `id` is the `x-rtmskit-event-id`.
 * Never throws for anything a sender controls: a refusal is `{ ok: false, error }` with
 * `WEBHOOK_BAD_SIGNATURE`, `WEBHOOK_STALE_TIMESTAMP` or `WEBHOOK_INVALID_BODY`.
 *
 * @throws RtmsError `CONFIG_INVALID` for an empty secret or a bad tolerance.
 *
 * @example
 * const checked = verifyNotification({ secret, headers: req.headers, body: rawBody });
 * if (!checked.ok) return res.writeHead(401).end();
 * if (!seen.has(checked.notification.id)) handle(checked.notification);
 */
export function verifyNotification(options: VerifyNotificationOptions): VerifiedNotification {
  const tolerance = options.toleranceSec ?? NOTIFY_TIMESTAMP_TOLERANCE_SEC;
  if (options.secret.length === 0) {
    throw new RtmsError(RTMS_ERROR_CODES.CONFIG_INVALID, 'the notification secret is empty', {
      fix: 'pass the value of RTMSKIT_NOTIFY_SECRET the sending service has',
    });
  }
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new RtmsError(RTMS_ERROR_CODES.CONFIG_INVALID, `timestamp tolerance ${tolerance} s is not valid`, {
      fix: 'use a number of seconds >= 0 (0 turns the check off)',
    });
  }
  const signature = header(options.headers, NOTIFY_HEADERS.signature);
  const timestamp = header(options.headers, NOTIFY_HEADERS.timestamp);
  if (signature === undefined || signature.length === 0) {
    return refuse(RTMS_ERROR_CODES.WEBHOOK_BAD_SIGNATURE, `missing ${NOTIFY_HEADERS.signature} header`);
  }
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
    return refuse(
      RTMS_ERROR_CODES.WEBHOOK_STALE_TIMESTAMP,
      `missing or malformed ${NOTIFY_HEADERS.timestamp} header`,
    );
  }
  const skewSec = Math.abs((options.now ?? Date.now()) / 1000 - Number(timestamp));
  if (tolerance > 0 && skewSec > tolerance) {
    return refuse(
      RTMS_ERROR_CODES.WEBHOOK_STALE_TIMESTAMP,
      `${NOTIFY_HEADERS.timestamp} is ${Math.round(skewSec)} s away from now (tolerance ${tolerance} s)`,
      'check both machines’ clocks (NTP); a replayed request is refused on purpose',
    );
  }
  if (!webhookSignatureMatches(options.secret, timestamp, options.body, signature)) {
    return refuse(
      RTMS_ERROR_CODES.WEBHOOK_BAD_SIGNATURE,
      `${NOTIFY_HEADERS.signature} does not match the body`,
      'check the secret is RTMSKIT_NOTIFY_SECRET of the sender, and that nothing re-serialises the body first',
    );
  }
  const notification = parseBody(options.body);
  if (notification === undefined) {
    return refuse(RTMS_ERROR_CODES.WEBHOOK_INVALID_BODY, 'the body is not an rtmskit notification');
  }
  const eventId = header(options.headers, NOTIFY_HEADERS.eventId);
  if (eventId !== notification.id) {
    return refuse(
      RTMS_ERROR_CODES.WEBHOOK_INVALID_BODY,
      `${NOTIFY_HEADERS.eventId} ${JSON.stringify(eventId ?? null)} is not the body's id`,
    );
  }
  return { ok: true, notification };
}

function refuse(
  code: RtmsErrorCode,
  message: string,
  fix = 'only signed rtmskit notifications are accepted',
) {
  return { ok: false as const, error: new RtmsError(code, message, { fix }) };
}

function parseBody(body: string | Buffer): NotificationBody | undefined {
  let value: unknown;
  try {
    value = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, type, at, stream, data } = value as Record<string, unknown>;
  const known = (NOTIFICATION_TYPES as readonly unknown[]).includes(type);
  const objects = typeof stream === 'object' && stream !== null && typeof data === 'object' && data !== null;
  return typeof id === 'string' && typeof at === 'string' && known && objects
    ? (value as NotificationBody)
    : undefined;
}

function header(headers: NotificationHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, HeaderValue>>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : (value as string | undefined);
}
