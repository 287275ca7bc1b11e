/**
 * A `node:http` request handler for Zoom webhooks.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerWebhook, readRawBody, type WebhookAdapterOptions } from './dispatch.js';

/**
 * Returns `(req, res) => void` for `http.createServer` or a router. It answers every request itself;
 * mount it on the webhook path only.
 *
 * @example
 * http.createServer(createNodeWebhookHandler({ receiver, onEvent: (e) => manager.handleWebhook(e) }));
 */
export function createNodeWebhookHandler(options: WebhookAdapterOptions) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST', 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: 'METHOD_NOT_ALLOWED', message: 'Zoom webhooks are POST requests' }));
      return;
    }
    readRawBody(req, options.receiver.maxBodyBytes).then(
      (body) => answerWebhook(req, res, body, options, started),
      () => {
        // The client went away mid-body: nothing to answer.
        res.destroy();
      },
    );
  };
}
