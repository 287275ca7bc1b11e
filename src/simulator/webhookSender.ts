/**
 * The Zoom side of webhooks: signs and POSTs events to an app's endpoint and follows Zoom's documented
 * delivery policy (reference §1.5) — the 3 s deadline, which answers count as delivered, which are
 * retried and when. Used by the simulator and by tests that need a faithful sender.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';
import { URL_VALIDATION_EVENT } from '../protocol/products.js';
import {
  isWebhookDelivered,
  isWebhookRetryable,
  WEBHOOK_RESPONSE_DEADLINE_MS,
  WEBHOOK_RETRY_DELAYS_MS,
  type WEBHOOK_STATUS_CONNECTION_FAILED,
  type WEBHOOK_STATUS_TIMEOUT,
} from '../protocol/webhookDelivery.js';
import { checkTimeScale } from './timeScale.js';
import { urlValidationBody, urlValidationProblem } from './urlValidation.js';
import { type PostOutcome, postWebhook } from './webhookPost.js';

export {
  WEBHOOK_RESPONSE_DEADLINE_MS,
  WEBHOOK_RETRY_DELAYS_MS,
  WEBHOOK_STATUS_CONNECTION_FAILED,
  WEBHOOK_STATUS_TIMEOUT,
  WEBHOOK_USER_AGENT,
} from '../protocol/webhookDelivery.js';
export { WEBHOOK_RESPONSE_BODY_CAP_BYTES } from './webhookPost.js';

/** One HTTP request made for a delivery. */
export interface WebhookAttempt {
  /** The envelope's `event`. */
  event: string;
  /** The stream the event is about, when the caller said so. */
  streamId?: string;
  /** 0 for the original request, 1..3 for retries. */
  attempt: number;
  /**
   * HTTP status, or Zoom's negative codes: {@link WEBHOOK_STATUS_TIMEOUT} (-1) and
   * {@link WEBHOOK_STATUS_CONNECTION_FAILED} (-2).
   */
  status: number;
  /** From sending the request to the end of the response (or the failure), ms. */
  latencyMs: number;
  /** When the request was sent, epoch ms. */
  at: number;
  /** The `x-zm-request-id` header of this request. */
  requestId: string;
  /** Whether Zoom would count this attempt as delivered. */
  delivered: boolean;
}

/** One event and every attempt made to deliver it. */
export interface Delivery {
  event: string;
  streamId?: string;
  /** The envelope's `event_ts`, epoch ms. */
  eventTs: number;
  /** The exact bytes sent (and signed) on every attempt. */
  body: Buffer;
  delivered: boolean;
  attempts: WebhookAttempt[];
}

export interface WebhookSenderOptions {
  /** The app's event notification endpoint, `http:` or `https:`. */
  url: string;
  /** The event subscription's secret token, used for `x-zm-signature` and URL validation. */
  secretToken: string;
  /** The app's client id, sent in the `clientid` header. */
  clientId: string;
  /** ≥ 1; retry delays are divided by it, so a test sees Zoom's schedule in milliseconds. Default 1. */
  timeScale?: number;
  /** Real milliseconds an endpoint has to answer. Default {@link WEBHOOK_RESPONSE_DEADLINE_MS}. */
  responseDeadlineMs?: number;
  /** Nominal retry delays, ms, each after the previous attempt. Default {@link WEBHOOK_RETRY_DELAYS_MS}. */
  retryDelaysMs?: readonly number[];
  /**
   * Called after every attempt, in order. It must not throw: errors it throws are ignored so that an
   * observer cannot break delivery.
   */
  onAttempt?: (attempt: WebhookAttempt) => void;
}

/**
 * Delivers webhooks the way Zoom does.
 *
 * @remarks Every request is a fresh connection (no keep-alive), like Zoom's delivery fleet. Each retry
 * gets a fresh `x-zm-request-timestamp`, signature and `x-zm-request-id`, over the same body bytes: a
 * receiver with a timestamp tolerance must still accept a retry sent an hour later, and must dedupe on
 * the envelope (`event`, stream, `event_ts`), not on the request id.
 *
 * @example
 * const sender = new WebhookSender({ url: 'http://127.0.0.1:8080/webhook', secretToken, clientId });
 * const delivery = await sender.send('meeting.rtms_started', payload, { streamId });
 * await sender.close();
 */
export class WebhookSender {
  private readonly url: URL;
  private readonly secretToken: string;
  private readonly clientId: string;
  private readonly timeScale: number;
  private readonly responseDeadlineMs: number;
  private readonly retryDelaysMs: readonly number[];
  private readonly onAttempt: ((attempt: WebhookAttempt) => void) | undefined;
  private readonly agent: HttpAgent;
  /** Aborted by close(): cancels every wait and every request in flight. */
  /** Aborted by close(); every delivery in flight listens to it, so it takes any number of listeners. */
  private readonly lifetime = unlimitedAbortController();
  private readonly log: WebhookAttempt[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;

  constructor(options: WebhookSenderOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch (cause) {
      throw new RtmsError(
        RTMS_ERROR_CODES.INVALID_OPTIONS,
        `webhook URL ${JSON.stringify(options.url)} is not a URL`,
        {
          fix: 'give an absolute http:// or https:// URL',
          cause,
        },
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw RtmsError.invalidOptions(
        `webhook URL protocol ${url.protocol} is not supported`,
        'use http or https',
      );
    }
    if (options.secretToken.length === 0) {
      throw RtmsError.invalidOptions(
        'the webhook secret token is empty',
        'pass the secret token to sign with',
      );
    }
    const timeScale = checkTimeScale(options.timeScale, 'real-time');
    const deadline = options.responseDeadlineMs ?? WEBHOOK_RESPONSE_DEADLINE_MS;
    if (!Number.isFinite(deadline) || deadline <= 0) {
      throw RtmsError.invalidOptions(`responseDeadlineMs ${deadline} is not positive`, 'use e.g. 3000');
    }
    const delays = options.retryDelaysMs ?? WEBHOOK_RETRY_DELAYS_MS;
    if (delays.some((d) => !Number.isFinite(d) || d < 0)) {
      throw RtmsError.invalidOptions('retryDelaysMs holds a negative or infinite delay', 'use delays >= 0');
    }
    this.url = url;
    this.secretToken = options.secretToken;
    this.clientId = options.clientId;
    this.timeScale = timeScale;
    this.responseDeadlineMs = deadline;
    this.retryDelaysMs = [...delays];
    this.onAttempt = options.onAttempt;
    this.agent =
      url.protocol === 'https:' ? new HttpsAgent({ keepAlive: false }) : new HttpAgent({ keepAlive: false });
  }

  /**
   * Sends `{event, event_ts, payload}` as compact JSON, signed over the exact bytes, and follows Zoom's
   * policy. Resolves when delivered, when the policy gives up, or when the sender is closed; rejects only
   * when `payload` cannot be serialized.
   *
   * @param options.eventTs `event_ts`, epoch ms (default now).
   * @param options.streamId recorded with the attempts, for fault control and assertions.
   * @param options.delayMs real milliseconds to wait before the first attempt (a "slow webhook" fault).
   */
  send(
    event: string,
    payload: Record<string, unknown>,
    options: { eventTs?: number; streamId?: string; delayMs?: number } = {},
  ): Promise<Delivery> {
    const eventTs = options.eventTs ?? Date.now();
    let body: Buffer;
    try {
      body = Buffer.from(JSON.stringify({ event, event_ts: eventTs, payload }), 'utf8');
    } catch (cause) {
      return Promise.reject(
        new RtmsError(RTMS_ERROR_CODES.INVALID_OPTIONS, `the payload of ${event} is not JSON-serializable`, {
          fix: 'pass plain JSON values (no BigInt, no cycles)',
          cause,
        }),
      );
    }
    return this.track(this.deliver(event, options.streamId, eventTs, body, options.delayMs ?? 0));
  }

  /**
   * Sends the exact body bytes of an earlier delivery again, as a new delivery with the same policy and
   * fresh timestamp, signature and request id — what a duplicate delivery or a late retry looks like.
   */
  resend(delivery: Pick<Delivery, 'event' | 'streamId' | 'eventTs' | 'body'>): Promise<Delivery> {
    return this.track(this.deliver(delivery.event, delivery.streamId, delivery.eventTs, delivery.body, 0));
  }

  /**
   * Sends `endpoint.url_validation` with a random `plainToken`, once (it is not retried), and checks the
   * answer: HTTP 200 or 204 in time, JSON `{plainToken, encryptedToken}` with the same `plainToken` and
   * `encryptedToken` = hex HMAC-SHA256(secret token, plainToken).
   *
   * @returns `status` is the HTTP status or a negative code; 0 when no request was made (closed).
   */
  validateUrl(): Promise<{ ok: boolean; status: number; reason?: string }> {
    return this.track(this.validate());
  }

  /** Every attempt so far, in the order they finished. */
  attempts(): readonly WebhookAttempt[] {
    return this.log;
  }

  /**
   * Cancels pending retries and requests in flight, and resolves once every pending `send()`, `resend()`
   * and `validateUrl()` has resolved (undelivered). Idempotent. Later calls to those resolve undelivered
   * without sending.
   */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.lifetime.abort();
      this.closing = Promise.allSettled([...this.pending]).then(() => {
        this.agent.destroy();
      });
    }
    return this.closing;
  }

  /** Disposes of the sender with `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    const forget = (): void => {
      this.pending.delete(work);
    };
    work.then(forget, forget);
    return work;
  }

  private async deliver(
    event: string,
    streamId: string | undefined,
    eventTs: number,
    body: Buffer,
    delayMs: number,
  ): Promise<Delivery> {
    const delivery: Delivery = { event, eventTs, body, delivered: false, attempts: [] };
    if (streamId !== undefined) delivery.streamId = streamId;
    if (delayMs > 0 && !(await this.wait(delayMs))) return delivery;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.post(body);
      // Cut short by close(): there is no outcome to record.
      if (outcome === undefined) return delivery;
      const delivered = isWebhookDelivered(outcome.status, attempt);
      const record: WebhookAttempt = {
        event,
        attempt,
        status: outcome.status,
        latencyMs: outcome.latencyMs,
        at: outcome.at,
        requestId: outcome.requestId,
        delivered,
      };
      if (streamId !== undefined) record.streamId = streamId;
      delivery.attempts.push(record);
      this.record(record);
      if (delivered) {
        delivery.delivered = true;
        return delivery;
      }
      const nominalDelay = this.retryDelaysMs[attempt];
      if (nominalDelay === undefined || !isWebhookRetryable(outcome.status)) return delivery;
      if (!(await this.wait(nominalDelay / this.timeScale))) return delivery;
    }
  }

  private async validate(): Promise<{ ok: boolean; status: number; reason?: string }> {
    const plainToken = randomBytes(16).toString('base64url');
    const body = urlValidationBody(plainToken, Date.now());
    const outcome = await this.post(body);
    if (outcome === undefined) return { ok: false, status: 0, reason: 'the sender was closed' };
    const reason = urlValidationProblem(outcome, plainToken, this.secretToken, this.responseDeadlineMs);
    this.record({
      event: URL_VALIDATION_EVENT,
      attempt: 0,
      status: outcome.status,
      latencyMs: outcome.latencyMs,
      at: outcome.at,
      requestId: outcome.requestId,
      delivered: reason === undefined,
    });
    return reason === undefined
      ? { ok: true, status: outcome.status }
      : { ok: false, status: outcome.status, reason };
  }

  /** One POST of `body`. Resolves undefined when close() cut it short; never rejects. */
  private post(body: Buffer): Promise<PostOutcome | undefined> {
    return postWebhook(
      {
        url: this.url,
        agent: this.agent,
        secretToken: this.secretToken,
        clientId: this.clientId,
        deadlineMs: this.responseDeadlineMs,
        signal: this.lifetime.signal,
      },
      body,
    );
  }

  private record(attempt: WebhookAttempt): void {
    this.log.push(attempt);
    try {
      this.onAttempt?.(attempt);
    } catch {
      // An observer's bug must not change what Zoom would do.
    }
  }

  /** Resolves true after `ms`, or false as soon as the sender is closed. */
  private wait(ms: number): Promise<boolean> {
    const signal = this.lifetime.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      timer.unref();
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function unlimitedAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
