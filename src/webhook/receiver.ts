/**
 * Receives Zoom webhooks, independent of any HTTP framework: verifies the signature over the raw body,
 * answers URL validation, and parses RTMS events into typed objects.
 */
import { RTMS_ERROR_CODES, RtmsError, type RtmsErrorCode } from '../protocol/errors.js';
import { URL_VALIDATION_EVENT } from '../protocol/products.js';
import {
  urlValidationToken,
  WEBHOOK_HEADERS,
  webhookSignatureMatches,
} from '../protocol/webhookSignature.js';
import { parseWebhookEvent, type WebhookEvent } from './events.js';

/** Zoom's sample library default; Zoom itself specifies none. */
export const DEFAULT_TIMESTAMP_TOLERANCE_SEC = 300;
/** RTMS webhooks are a few hundred bytes; anything near this is not from Zoom. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

export const SIGNATURE_HEADER = WEBHOOK_HEADERS.signature;
export const TIMESTAMP_HEADER = WEBHOOK_HEADERS.timestamp;

export interface WebhookReceiverOptions {
  /**
   * The event subscription's secret token. Several may be given (a General app and a Video SDK app on one
   * endpoint); a body signed with any of them is accepted.
   */
  secretToken: string | readonly string[];
  /** Largest accepted clock skew of `x-zm-request-timestamp`, seconds. 0 disables the check. */
  timestampToleranceSec?: number;
  /** Larger bodies get 413. */
  maxBodyBytes?: number;
  /**
   * Accept unsigned and wrongly signed bodies. For local experiments only: anyone who can reach the
   * endpoint can then start streams.
   */
  insecureSkipVerify?: boolean;
}

export type HeaderValue = string | readonly string[] | undefined;
/** Node's `IncomingHttpHeaders`, a plain record, or a fetch `Headers` object. */
export type WebhookHeaders = Readonly<Record<string, HeaderValue>> | { get(name: string): string | null };

export type WebhookOutcome = 'event' | 'url_validation' | 'ignored' | 'rejected';

export interface WebhookResult {
  /** HTTP status to answer with. */
  status: number;
  /** JSON body to answer with. */
  body: Record<string, unknown>;
  outcome: WebhookOutcome;
  /** The parsed event, for `outcome: 'event'`. */
  event?: WebhookEvent;
  /** Why the request was rejected, for `outcome: 'rejected'`. */
  error?: RtmsError;
  /** The `event` name of the envelope, when it could be read. */
  eventName?: string;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, HeaderValue>>;
  let value = record[name];
  if (value === undefined) {
    for (const key of Object.keys(record)) {
      if (key.toLowerCase() === name) {
        value = record[key];
        break;
      }
    }
  }
  return Array.isArray(value) ? value[0] : (value as string | undefined);
}

function reject(
  status: number,
  code: RtmsErrorCode,
  message: string,
  fix: string,
  eventName?: string,
): WebhookResult {
  const error = new RtmsError(code, message, { fix });
  const result: WebhookResult = { status, body: { error: code, message }, outcome: 'rejected', error };
  if (eventName !== undefined) result.eventName = eventName;
  return result;
}

/**
 * Verifies and parses Zoom webhooks. `receive()` never throws and never answers 5xx for anything a
 * sender controls.
 *
 * @example
 * const receiver = new WebhookReceiver({ secretToken: process.env.ZOOM_SECRET_TOKEN! });
 * const { status, body, event } = receiver.receive(rawBody, req.headers);
 */
export class WebhookReceiver {
  readonly maxBodyBytes: number;
  private readonly secrets: readonly string[];
  private readonly toleranceMs: number;
  private readonly skipVerify: boolean;

  constructor(options: WebhookReceiverOptions) {
    const secrets =
      typeof options.secretToken === 'string' ? [options.secretToken] : [...options.secretToken];
    if (!options.insecureSkipVerify && (secrets.length === 0 || secrets.some((s) => s.length === 0))) {
      throw new RtmsError(RTMS_ERROR_CODES.CONFIG_INVALID, 'the webhook secret token is empty', {
        fix: 'set ZOOM_SECRET_TOKEN to the Secret Token shown under Features → Access in the Zoom Marketplace app',
      });
    }
    const tolerance = options.timestampToleranceSec ?? DEFAULT_TIMESTAMP_TOLERANCE_SEC;
    if (!Number.isFinite(tolerance) || tolerance < 0) {
      throw new RtmsError(
        RTMS_ERROR_CODES.CONFIG_INVALID,
        `timestamp tolerance ${tolerance} s is not valid`,
        {
          fix: 'use a number of seconds >= 0 (0 turns the check off)',
        },
      );
    }
    this.secrets = secrets;
    this.toleranceMs = tolerance * 1000;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.skipVerify = options.insecureSkipVerify ?? false;
  }

  /**
   * Handles one request.
   *
   * @param rawBody the body exactly as received: the signature covers these bytes.
   * @param headers the request headers (any case).
   * @param nowMs the current time, for the timestamp check.
   */
  receive(rawBody: Buffer | string, headers: WebhookHeaders, nowMs: number = Date.now()): WebhookResult {
    const size = typeof rawBody === 'string' ? Buffer.byteLength(rawBody) : rawBody.length;
    if (size > this.maxBodyBytes) {
      return reject(
        413,
        RTMS_ERROR_CODES.WEBHOOK_TOO_LARGE,
        `body of ${size} bytes is larger than ${this.maxBodyBytes}`,
        'Zoom webhooks are small; this request is not from Zoom',
      );
    }
    let secret = this.secrets[0] ?? '';
    if (!this.skipVerify) {
      const verified = this.verify(rawBody, headers, nowMs);
      if (typeof verified !== 'string') return verified;
      secret = verified;
    }

    let envelope: unknown;
    try {
      envelope = JSON.parse(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8'));
    } catch (err) {
      return reject(
        400,
        RTMS_ERROR_CODES.WEBHOOK_INVALID_BODY,
        `body is not JSON: ${(err as Error).message}`,
        'send the event as a JSON body',
      );
    }
    if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
      return reject(
        400,
        RTMS_ERROR_CODES.WEBHOOK_INVALID_BODY,
        'body is not a JSON object',
        'send a Zoom event envelope',
      );
    }
    const record = envelope as Record<string, unknown>;
    const eventName = typeof record.event === 'string' ? record.event : undefined;
    if (eventName === URL_VALIDATION_EVENT) return this.validateUrl(record, secret);

    const parsed = parseWebhookEvent(record);
    if (!parsed.ok) {
      return reject(
        400,
        RTMS_ERROR_CODES.WEBHOOK_MISSING_FIELD,
        `${eventName ?? 'event'}: ${parsed.error.message}`,
        'send the fields of Zoom’s event reference',
        eventName,
      );
    }
    if (parsed.event === undefined) {
      const result: WebhookResult = { status: 200, body: { ignored: true }, outcome: 'ignored' };
      if (eventName !== undefined) result.eventName = eventName;
      return result;
    }
    return {
      status: 200,
      body: { ok: true },
      outcome: 'event',
      event: parsed.event,
      eventName: parsed.event.event,
    };
  }

  /** The secret that signed the body, or the rejection. */
  private verify(rawBody: Buffer | string, headers: WebhookHeaders, nowMs: number): WebhookResult | string {
    const timestamp = header(headers, TIMESTAMP_HEADER);
    const signature = header(headers, SIGNATURE_HEADER);
    if (signature === undefined || signature.length === 0) {
      return reject(
        401,
        RTMS_ERROR_CODES.WEBHOOK_BAD_SIGNATURE,
        `missing ${SIGNATURE_HEADER} header`,
        'only Zoom’s signed webhooks are accepted; check the proxy forwards x-zm-* headers',
      );
    }
    if (timestamp === undefined || !/^\d{1,16}$/.test(timestamp)) {
      return reject(
        401,
        RTMS_ERROR_CODES.WEBHOOK_STALE_TIMESTAMP,
        `missing or malformed ${TIMESTAMP_HEADER} header`,
        'only Zoom’s signed webhooks are accepted; check the proxy forwards x-zm-* headers',
      );
    }
    if (this.toleranceMs > 0) {
      const value = Number(timestamp);
      // Zoom sends seconds; a 13-digit value is taken as milliseconds.
      const sentMs = value > 1e12 ? value : value * 1000;
      const skewMs = Math.abs(nowMs - sentMs);
      if (skewMs > this.toleranceMs) {
        return reject(
          401,
          RTMS_ERROR_CODES.WEBHOOK_STALE_TIMESTAMP,
          `${TIMESTAMP_HEADER} is ${Math.round(skewMs / 1000)} s away from now (tolerance ${this.toleranceMs / 1000} s)`,
          'check this machine’s clock (NTP); a replayed request is refused on purpose',
        );
      }
    }
    for (const secret of this.secrets) {
      if (webhookSignatureMatches(secret, timestamp, rawBody, signature)) return secret;
    }
    return reject(
      401,
      RTMS_ERROR_CODES.WEBHOOK_BAD_SIGNATURE,
      `${SIGNATURE_HEADER} does not match the body`,
      'check ZOOM_SECRET_TOKEN is the Secret Token of this app, and that nothing re-serialises the body before rtmskit',
    );
  }

  private validateUrl(envelope: Record<string, unknown>, secret: string): WebhookResult {
    const payload = envelope.payload as Record<string, unknown> | undefined;
    const plainToken = typeof payload === 'object' && payload !== null ? payload.plainToken : undefined;
    if (typeof plainToken !== 'string' || plainToken.length === 0) {
      return reject(
        400,
        RTMS_ERROR_CODES.WEBHOOK_MISSING_FIELD,
        `${URL_VALIDATION_EVENT}: field "payload.plainToken" is required`,
        'send payload.plainToken',
        URL_VALIDATION_EVENT,
      );
    }
    // Answered with the token the request was signed with, so one endpoint can serve several apps.
    return {
      status: 200,
      body: { plainToken, encryptedToken: urlValidationToken(secret, plainToken) },
      outcome: 'url_validation',
      eventName: URL_VALIDATION_EVENT,
    };
  }
}
