/**
 * `endpoint.url_validation` (reference §1.4): the request Zoom sends to a new webhook URL, and whether an
 * answer passes.
 */
import { URL_VALIDATION_EVENT } from './products.js';
import { urlValidationToken } from './webhookSignature.js';

/** The body of a URL validation request for `plainToken`. */
export function urlValidationBody(plainToken: string, eventTs: number): string {
  return JSON.stringify({ payload: { plainToken }, event_ts: eventTs, event: URL_VALIDATION_EVENT });
}

/**
 * Why an answer fails, or undefined when it passes: HTTP 200 or 204, JSON `{plainToken, encryptedToken}`
 * with the same `plainToken` and `encryptedToken` = hex HMAC-SHA256(secret token, plainToken).
 */
export function urlValidationAnswerProblem(
  status: number,
  body: string,
  plainToken: string,
  secretToken: string,
): string | undefined {
  if (status !== 200 && status !== 204) return `HTTP ${status}; Zoom expects 200 or 204`;
  let answer: unknown;
  try {
    answer = JSON.parse(body);
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
