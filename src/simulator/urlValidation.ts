/** `endpoint.url_validation` (reference §1.4): the request Zoom sends, and whether the answer passes. */
import { URL_VALIDATION_EVENT } from '../protocol/products.js';
import { urlValidationToken } from '../protocol/webhookSignature.js';
import { WEBHOOK_STATUS_TIMEOUT } from './webhookPolicy.js';
import { type PostOutcome, WEBHOOK_RESPONSE_BODY_CAP_BYTES } from './webhookPost.js';

/** The body of a URL validation request for `plainToken`. */
export function urlValidationBody(plainToken: string, eventTs: number): Buffer {
  return Buffer.from(
    JSON.stringify({ payload: { plainToken }, event_ts: eventTs, event: URL_VALIDATION_EVENT }),
    'utf8',
  );
}

/**
 * Why a URL validation answer fails, or undefined when it passes: HTTP 200 or 204 within `deadlineMs`,
 * JSON `{plainToken, encryptedToken}` with the same `plainToken` and `encryptedToken` = hex
 * HMAC-SHA256(secret token, plainToken).
 */
export function urlValidationProblem(
  outcome: PostOutcome,
  plainToken: string,
  secretToken: string,
  deadlineMs: number,
): string | undefined {
  if (outcome.status === WEBHOOK_STATUS_TIMEOUT) {
    return `no answer within ${deadlineMs} ms`;
  }
  if (outcome.status < 0) return `connection failed (${outcome.failure ?? 'unknown error'})`;
  if (outcome.status !== 200 && outcome.status !== 204) {
    return `HTTP ${outcome.status}; Zoom expects 200 or 204`;
  }
  if (outcome.bodyTruncated) return `the answer is larger than ${WEBHOOK_RESPONSE_BODY_CAP_BYTES} bytes`;
  let answer: unknown;
  try {
    answer = JSON.parse(outcome.body.toString('utf8'));
  } catch {
    return 'the answer is not JSON {plainToken, encryptedToken}';
  }
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
    return 'the answer is not a JSON object {plainToken, encryptedToken}';
  }
  const { plainToken: echoed, encryptedToken } = answer as Record<string, unknown>;
  if (echoed !== plainToken) return 'plainToken in the answer is not the one sent';
  if (typeof encryptedToken !== 'string') return 'encryptedToken is missing';
  if (encryptedToken !== urlValidationToken(secretToken, plainToken)) {
    return 'encryptedToken is not hex HMAC-SHA256(secret token, plainToken): check the secret token';
  }
  return undefined;
}
