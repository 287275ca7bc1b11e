/**
 * `doctor --webhook-url`: sends a signed `endpoint.url_validation` to a public URL, as Zoom does when an
 * app's event subscription is saved, and says whether the answer would pass.
 */
import { randomBytes } from 'node:crypto';
import { urlValidationAnswerProblem, urlValidationBody } from '../protocol/urlValidation.js';
import { WEBHOOK_RESPONSE_DEADLINE_MS } from '../protocol/webhookDelivery.js';
import { WEBHOOK_HEADERS, webhookSignature } from '../protocol/webhookSignature.js';
import type { ServiceConfig } from '../service/config.js';
import { type CheckResult, result } from './result.js';

/** Zoom's user agent on webhook requests. */
const ZOOM_USER_AGENT = 'Zoom Marketplace/1.0a';

/** The answer's HTTP status and why it fails (undefined: it passes). */
async function validate(
  url: string,
  secretToken: string,
  clientId: string,
): Promise<{ status?: number; problem: string | undefined }> {
  const plainToken = randomBytes(16).toString('base64url');
  const body = urlValidationBody(plainToken, Date.now());
  const timestamp = String(Math.floor(Date.now() / 1000));
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': ZOOM_USER_AGENT,
        [WEBHOOK_HEADERS.timestamp]: timestamp,
        [WEBHOOK_HEADERS.signature]: webhookSignature(secretToken, timestamp, body),
        [WEBHOOK_HEADERS.clientId]: clientId,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(WEBHOOK_RESPONSE_DEADLINE_MS),
    });
  } catch (err) {
    const cause = (err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    return {
      problem:
        cause === 'TimeoutError'
          ? `no answer within ${WEBHOOK_RESPONSE_DEADLINE_MS} ms`
          : `connection failed (${cause})`,
    };
  }
  const text = await response.text();
  return {
    status: response.status,
    problem: urlValidationAnswerProblem(response.status, text, plainToken, secretToken),
  };
}

export async function checkWebhookUrl(url: string, config: ServiceConfig | undefined): Promise<CheckResult> {
  const secretToken = config?.app.secretToken;
  if (!secretToken) {
    return result(
      'webhook URL',
      'fail',
      'no secret token to sign the validation with',
      'set ZOOM_SECRET_TOKEN',
    );
  }
  const { status, problem } = await validate(url, secretToken, config.app.clientId);
  return problem === undefined
    ? result('webhook URL', 'pass', `${url} answered endpoint.url_validation correctly (HTTP ${status})`)
    : result(
        'webhook URL',
        'fail',
        `${url} did not answer endpoint.url_validation correctly: ${problem}`,
        'the URL must reach rtmskit serve (check the tunnel and the path) and the service must use the same ZOOM_SECRET_TOKEN',
      );
}
