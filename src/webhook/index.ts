export type { WebhookAdapterOptions, WebhookHandler } from './adapters/dispatch.js';
export {
  type ExpressLikeRequest,
  type ExpressWebhookOptions,
  rtmsWebhookMiddleware,
} from './adapters/express.js';
export { type FastifyWebhookOptions, rtmsWebhookPlugin } from './adapters/fastify.js';
export { createNodeWebhookHandler } from './adapters/node.js';
export * from './events.js';
export * from './receiver.js';
