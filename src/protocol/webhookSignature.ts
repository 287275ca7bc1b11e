import { createHmac, timingSafeEqual } from 'node:crypto';

/** The signature scheme version Zoom uses in `x-zm-signature`. */
export const WEBHOOK_SIGNATURE_VERSION = 'v0';

/** The headers of Zoom's webhook requests, lower-case as Node gives them. */
export const WEBHOOK_HEADERS = {
  /** `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`. */
  signature: 'x-zm-signature',
  /** Seconds since the epoch, as signed. */
  timestamp: 'x-zm-request-timestamp',
  /** New for every attempt, retries included. */
  requestId: 'x-zm-request-id',
  trackingId: 'x-zm-trackingid',
  /** The app's client id. */
  clientId: 'clientid',
} as const;

/**
 * `x-zm-signature` for a body: `v0=` + hex HMAC-SHA256(secret token, `v0:{timestamp}:{body}`), computed
 * over the exact bytes of the body.
 */
export function webhookSignature(secretToken: string, timestamp: string, body: string | Buffer): string {
  const hmac = createHmac('sha256', secretToken);
  hmac.update(`${WEBHOOK_SIGNATURE_VERSION}:${timestamp}:`);
  hmac.update(body);
  return `${WEBHOOK_SIGNATURE_VERSION}=${hmac.digest('hex')}`;
}

/** Constant-time comparison of a received `x-zm-signature` with the expected one. */
export function webhookSignatureMatches(
  secretToken: string,
  timestamp: string,
  body: string | Buffer,
  signature: string,
): boolean {
  const expected = Buffer.from(webhookSignature(secretToken, timestamp, body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** `encryptedToken` of an `endpoint.url_validation` answer: hex HMAC-SHA256(secret token, plainToken). */
export function urlValidationToken(secretToken: string, plainToken: string): string {
  return createHmac('sha256', secretToken).update(plainToken).digest('hex');
}
