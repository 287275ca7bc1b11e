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
  /** Set by Express when the middleware runs as a route's handler (`app.post(path, …)`). */
  route?: unknown;
  /** The URL before any `app.use(prefix, …)` stripped its prefix. */
  originalUrl?: string;
}

export interface ExpressWebhookOptions extends WebhookAdapterOptions {
  /**
   * The webhook path, for the middleware mounted with `app.use(…)`: only POST requests to it are answered,
   * everything else goes on to `next()`. Mounted on a route (`app.post(path, …)`) it answers that route's
   * requests whatever this says. Default `/webhook`.
   */
  path?: string;
}

const DEFAULT_PATH = '/webhook';

/** True when the request is the webhook's to answer (see {@link ExpressWebhookOptions.path}). */
function isWebhookRequest(req: ExpressLikeRequest, path: string): boolean {
  if (req.route !== undefined) return true;
  const url = req.originalUrl ?? req.url ?? '';
  const query = url.indexOf('?');
  return req.method === 'POST' && (query < 0 ? url : url.slice(0, query)) === path;
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
 * Mounted with `app.use(rtmsWebhookMiddleware({ receiver, onEvent }))` it answers POST `/webhook` (or
 * `options.path`) and passes every other request on, so the app's other routes keep working.
 *
 * @remarks If a JSON parser already consumed the body and left no raw copy, the request is answered 500
 * (so Zoom retries once this is fixed) and `onError` receives a `RAW_BODY_UNAVAILABLE` error naming the fix.
 */
export function rtmsWebhookMiddleware(options: ExpressWebhookOptions) {
  const path = options.path ?? DEFAULT_PATH;
  return (req: ExpressLikeRequest, res: ServerResponse, next?: ExpressLikeNext): void => {
    if (next !== undefined && !isWebhookRequest(req, path)) {
      next();
      return;
    }
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
