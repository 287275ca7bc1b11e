/** One signed POST of a webhook body, with Zoom's headers, its answer deadline and a cap on the answer. */
import { randomBytes, randomUUID } from 'node:crypto';
import { type Agent, type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  WEBHOOK_STATUS_CONNECTION_FAILED,
  WEBHOOK_STATUS_TIMEOUT,
  WEBHOOK_USER_AGENT,
} from '../protocol/webhookDelivery.js';
import { WEBHOOK_HEADERS, webhookSignature } from '../protocol/webhookSignature.js';

/**
 * Most of a response body the sender reads. Zoom ignores event answers; a URL validation answer is
 * about 100 bytes, so anything larger is not one.
 */
export const WEBHOOK_RESPONSE_BODY_CAP_BYTES = 64 * 1024;

/** Where and how a webhook is posted. */
export interface PostTarget {
  url: URL;
  /** Without keep-alive: every request is a fresh connection. */
  agent: Agent;
  secretToken: string;
  /** Sent in the `clientid` header. */
  clientId: string;
  /** Real ms the endpoint has to answer. */
  deadlineMs: number;
  /** Aborting it cuts the request short. */
  signal: AbortSignal;
}

/** What one request produced. */
export interface PostOutcome {
  status: number;
  latencyMs: number;
  at: number;
  requestId: string;
  /** The response body, up to the cap; empty when there was no response. */
  body: Buffer;
  /** More than the cap arrived; `body` holds only the start. */
  bodyTruncated: boolean;
  /** Why the request failed, for negative statuses. */
  failure?: string;
}

/**
 * One POST of `body` to `target`, signed afresh. Resolves undefined when `target.signal` cut it short;
 * never rejects.
 */
export function postWebhook(target: PostTarget, body: Buffer): Promise<PostOutcome | undefined> {
  const signal = target.signal;
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const at = Date.now();
    const started = performance.now();
    const timestamp = String(Math.floor(at / 1000));
    const requestId = randomUUID().replaceAll('-', '_');
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    let req: ClientRequest | undefined;

    const finish = (status: number, extra: { failure?: string; bodyTruncated?: boolean } = {}): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      signal.removeEventListener('abort', onAbort);
      const outcome: PostOutcome = {
        status,
        latencyMs: Math.round(performance.now() - started),
        at,
        requestId,
        body: Buffer.concat(chunks),
        bodyTruncated: extra.bodyTruncated ?? false,
      };
      if (extra.failure !== undefined) outcome.failure = extra.failure;
      resolve(outcome);
    };
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req?.destroy();
      resolve(undefined);
    };
    // Destroying the request is what makes the deadline real: the socket is gone, like Zoom's read timeout.
    const deadline = setTimeout(() => {
      finish(WEBHOOK_STATUS_TIMEOUT, { failure: 'timeout' });
      req?.destroy();
    }, target.deadlineMs);
    deadline.unref();
    signal.addEventListener('abort', onAbort, { once: true });

    const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
    req = send(target.url, {
      method: 'POST',
      agent: target.agent,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(body.length),
        'user-agent': WEBHOOK_USER_AGENT,
        [WEBHOOK_HEADERS.timestamp]: timestamp,
        [WEBHOOK_HEADERS.signature]: webhookSignature(target.secretToken, timestamp, body),
        [WEBHOOK_HEADERS.requestId]: requestId,
        [WEBHOOK_HEADERS.trackingId]: `v=2.0;clid=us05;rid=WEB_${randomBytes(16).toString('hex')}`,
        [WEBHOOK_HEADERS.clientId]: target.clientId,
      },
    });
    // Kept for the whole life of the request: a late error after destroy() must not crash the process.
    req.on('error', (err: NodeJS.ErrnoException) => {
      finish(WEBHOOK_STATUS_CONNECTION_FAILED, { failure: err.code ?? err.message });
    });
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received <= WEBHOOK_RESPONSE_BODY_CAP_BYTES) {
          chunks.push(chunk);
          return;
        }
        finish(status, { bodyTruncated: true });
        res.destroy();
      });
      res.on('end', () => finish(status));
      res.on('error', (err: NodeJS.ErrnoException) => {
        finish(WEBHOOK_STATUS_CONNECTION_FAILED, { failure: err.code ?? err.message });
      });
      // A response cut off before its end is a failed connection, not an answer.
      res.on('close', () => {
        if (!res.complete) finish(WEBHOOK_STATUS_CONNECTION_FAILED, { failure: 'response aborted' });
      });
    });
    req.end(body);
  });
}
