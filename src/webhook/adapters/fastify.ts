/**
 * A Fastify plugin for Zoom webhooks. Register it (encapsulated) and it adds one POST route whose body is
 * kept raw, so the signature can be verified; other routes keep their own parsers.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { WebhookResult } from '../receiver.js';
import { dispatchEvent, type WebhookAdapterOptions } from './dispatch.js';

export interface FastifyWebhookOptions extends WebhookAdapterOptions {
  /** Route path. Default `/webhook`. */
  path?: string;
}

/**
 * @example
 * await app.register(rtmsWebhookPlugin, { receiver, onEvent, path: '/zoom/webhook' });
 */
export async function rtmsWebhookPlugin(app: FastifyInstance, options: FastifyWebhookOptions): Promise<void> {
  const { receiver } = options;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: receiver.maxBodyBytes + 1 },
    (_req, body, done) => {
      done(null, body);
    },
  );
  // Bodies past the parser's limit never reach the receiver: answer them in the receiver's shape too.
  // `reply.elapsedTime` counts from Fastify's first sight of the request, right after its headers were read.
  const answered = (reply: FastifyReply, result: WebhookResult, then?: () => void) => {
    reply.raw.once('finish', () => {
      options.onResult?.(result, reply.elapsedTime);
      then?.();
    });
    return reply.code(result.status).type('application/json; charset=utf-8').send(result.body);
  };
  app.setErrorHandler((error: { code?: string; statusCode?: number }, _request, reply) => {
    if (error.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw error;
    return answered(reply, receiver.receive(Buffer.alloc(receiver.maxBodyBytes + 1), {}));
  });
  app.post(options.path ?? '/webhook', (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const result = receiver.receive(body, request.headers);
    return answered(reply, result, () => dispatchEvent(result, options));
  });
}
