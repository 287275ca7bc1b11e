/**
 * `endpoint.url_validation` as the simulator sends it: the protocol's check of the answer, applied to
 * what one POST gave (a timeout, a failed connection, an oversized body).
 */
import {
  urlValidationAnswerProblem,
  urlValidationBody as validationText,
} from '../protocol/urlValidation.js';
import { WEBHOOK_STATUS_TIMEOUT } from '../protocol/webhookDelivery.js';
import { type PostOutcome, WEBHOOK_RESPONSE_BODY_CAP_BYTES } from './webhookPost.js';

/** The body of a URL validation request for `plainToken`, as the bytes that are signed and sent. */
export function urlValidationBody(plainToken: string, eventTs: number): Buffer {
  return Buffer.from(validationText(plainToken, eventTs), 'utf8');
}

/** Why a URL validation answer fails, or undefined when it passes within `deadlineMs`. */
export function urlValidationProblem(
  outcome: PostOutcome,
  plainToken: string,
  secretToken: string,
  deadlineMs: number,
): string | undefined {
  if (outcome.status === WEBHOOK_STATUS_TIMEOUT) return `no answer within ${deadlineMs} ms`;
  if (outcome.status < 0) return `connection failed (${outcome.failure ?? 'unknown error'})`;
  if (outcome.bodyTruncated && (outcome.status === 200 || outcome.status === 204)) {
    return `the answer is larger than ${WEBHOOK_RESPONSE_BODY_CAP_BYTES} bytes`;
  }
  return urlValidationAnswerProblem(outcome.status, outcome.body.toString('utf8'), plainToken, secretToken);
}
