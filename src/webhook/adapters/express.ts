/**
 * An Express middleware for Zoom webhooks. It works with or without body parsers before it, as long as
 * the raw bytes are still available.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RTMS_ERROR_CODES, RtmsError } from '../../protocol/errors.js';
import { answerWebhook, readRawBody, type WebhookAdapterOptions } from './dispatch.js';

/** The parts of Express's request that matter here (Express's `Request` extends `IncomingMessage`). */
export interface ExpressLikeRequest extends IncomingMessage {
  body?: unknown;
  rawBody?: unknown;
}

export type ExpressLikeNext = (err?: unknown) => void;

const RAW_BODY_FIX =
  "mount the rtmskit middleware before express.json(), or give its route express.raw({ type: '*/*', limit: '256kb' }); " +
  'the signature covers the exact bytes Zoom sent, which a parsed body no longer has';

function rawBodyOf(req: ExpressLikeRequest): Buffer | undefined {
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
  if (typeof req.rawBody === 'string') return Buffer.from(req.rawBody);
  if (Buffer.isBuffer(req.body)) return req.body;
  if (typeof req.body === 'string') return Buffer.from(req.body);
  return undefined;
}

/**
 * Returns an Express middleware: `app.post('/webhook', rtmsWebhookMiddleware({ receiver, onEvent }))`.
 *
 * @remarks If a JSON parser already consumed the body and left no raw copy, the request is answered 500
 * (so Zoom retries once this is fixed) and `onError` receives a `RAW_BODY_UNAVAILABLE` error naming the fix.
 */
export function rtmsWebhookMiddleware(options: WebhookAdapterOptions) {
  return (req: ExpressLikeRequest, res: ServerResponse, _next?: ExpressLikeNext): void => {
    const started = performance.now();
    const respond = (body: Buffer) => answerWebhook(req, res, body, options, started);

    const raw = rawBodyOf(req);
    if (raw !== undefined) {
      respond(raw);
      return;
    }
    if (req.readableEnded || req.body !== undefined) {
      const error = new RtmsError(
        RTMS_ERROR_CODES.RAW_BODY_UNAVAILABLE,
        'the webhook body was parsed before rtmskit could verify its signature',
        { fix: RAW_BODY_FIX },
      );
      res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: error.code, message: error.message, fix: RAW_BODY_FIX }));
      if (options.onError) options.onError(error, undefined);
      else console.error(`[rtmskit] ${error.toString()}`);
      return;
    }
    readRawBody(req, options.receiver.maxBodyBytes).then(respond, () => res.destroy());
  };
}
