/**
 * What every adapter shares: read the raw body with a size cap, answer first, then run the application's
 * handler, so a slow or throwing handler can never delay or change Zoom's 200.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RTMS_ERROR_CODES, RtmsError } from '../../protocol/errors.js';
import type { WebhookEvent } from '../events.js';
import type { WebhookReceiver, WebhookResult } from '../receiver.js';

export type WebhookHandler = (event: WebhookEvent) => unknown;

export interface WebhookAdapterOptions {
  receiver: WebhookReceiver;
  /** Runs after the response has been written. May be async; a rejection goes to `onError`. */
  onEvent: WebhookHandler;
  /** A handler failed. Default: printed to stderr. */
  onError?: (error: RtmsError, event: WebhookEvent | undefined) => void;
  /**
   * Every result, once its answer has been handed to the socket (for metrics and logs), with the time
   * from the request's arrival (its headers read) to then: what Zoom's 3 s deadline is measured against,
   * body upload and queueing included. Runs before `onEvent`.
   */
  onResult?: (result: WebhookResult, latencyMs: number) => void;
}

function defaultOnError(error: RtmsError): void {
  console.error(`[rtmskit] ${error.toString()}`, error.cause ?? '');
}

/** Runs the handler for a result's event on a later tick, catching everything it throws. */
export function dispatchEvent(result: WebhookResult, options: WebhookAdapterOptions): void {
  const event = result.event;
  if (event === undefined) return;
  const report = (cause: unknown) => {
    const error = new RtmsError(
      RTMS_ERROR_CODES.HANDLER_FAILED,
      `webhook handler failed for ${event.event}`,
      {
        cause,
        fix: 'fix the error in your onEvent handler; the webhook was acknowledged and will not be resent',
      },
    );
    (options.onError ?? defaultOnError)(error, event);
  };
  setImmediate(() => {
    try {
      const pending = options.onEvent(event) as { then?: unknown } | undefined;
      if (typeof pending?.then === 'function') Promise.resolve(pending).catch(report);
    } catch (err) {
      report(err);
    }
  });
}

/** A request body that grew past the cap. */
export class BodyTooLarge extends Error {
  constructor(readonly size: number) {
    super(`body larger than ${size} bytes`);
  }
}

/**
 * Reads a request body up to `maxBytes + 1` bytes. Past the cap it stops buffering (and resolves with
 * what it has so the receiver answers 413) rather than holding an unbounded body in memory.
 */
export function readRawBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', finish);
      req.off('error', onError);
      resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Keep one byte past the cap so the receiver sees the body is too large; drain the rest.
        chunks.length = 0;
        chunks.push(Buffer.alloc(maxBytes + 1));
        req.resume();
        finish();
        return;
      }
      chunks.push(chunk);
    };
    const onError = (err: Error) => {
      if (done) return;
      done = true;
      reject(err);
    };
    req.on('data', onData);
    req.on('end', finish);
    req.on('error', onError);
  });
}

/**
 * Verifies and answers one request with its raw body, then runs the handler once the answer is written.
 */
export function answerWebhook(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  options: WebhookAdapterOptions,
  startedMs: number,
): void {
  const result = options.receiver.receive(body, req.headers);
  const { text, headers } = responseOf(result);
  res.writeHead(result.status, headers);
  res.end(text, () => {
    options.onResult?.(result, performance.now() - startedMs);
    dispatchEvent(result, options);
  });
}

/** The JSON text and headers of a result. */
export function responseOf(result: WebhookResult): { text: string; headers: Record<string, string> } {
  const text = JSON.stringify(result.body);
  return {
    text,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
    },
  };
}
