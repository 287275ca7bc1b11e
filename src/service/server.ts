/**
 * The HTTP surface: the webhook endpoint, health and readiness, Prometheus metrics and the stream API.
 */
import Fastify, { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { StreamManager } from '../manager/StreamManager.js';
import type { Store } from '../store/Store.js';
import { rtmsWebhookPlugin } from '../webhook/adapters/fastify.js';
import type { WebhookEvent } from '../webhook/events.js';
import type { WebhookReceiver, WebhookResult } from '../webhook/receiver.js';
import { isLoopbackHost, type ServiceConfig } from './config.js';
import type { ServiceMetrics } from './metrics.js';

export interface ServerDeps {
  config: ServiceConfig;
  logger: Logger;
  receiver: WebhookReceiver;
  manager: StreamManager;
  store: Store;
  metrics: ServiceMetrics;
  onEvent: (event: WebhookEvent) => void;
}

/** Builds the Fastify app (not listening yet). */
export async function buildServer(deps: ServerDeps) {
  const { config, logger, manager, store, metrics } = deps;
  // Webhooks are logged once each, with their outcome; Fastify's per-request lines would double them.
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: true,
  });

  await app.register(rtmsWebhookPlugin, {
    receiver: deps.receiver,
    path: config.webhookPath,
    onEvent: deps.onEvent,
    onResult: (result: WebhookResult, latencyMs: number) => {
      metrics.webhook(result, latencyMs);
      const line = { event: result.eventName, outcome: result.outcome, status: result.status };
      if (result.outcome === 'rejected')
        logger.warn({ ...line, reason: result.error?.message }, 'webhook rejected');
      else logger.info(line, 'webhook');
    },
    onError: (error, event) => logger.error({ err: error, event: event?.event }, 'webhook handler failed'),
  });

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await store.ping();
      return { ok: true, store: store.kind };
    } catch (err) {
      return reply.code(503).send({ ok: false, store: store.kind, error: (err as Error).message });
    }
  });

  const admin = adminGuard(config);
  app.get('/metrics', { preHandler: admin }, async (_req, reply) => {
    const text = await metrics.text();
    return reply.type(metrics.contentType).send(text);
  });
  app.get('/api/streams', { preHandler: admin }, async () => {
    const live = manager.streams();
    const recent = await store.listStreams({ limit: 100 });
    return { live, recent };
  });
  return app;
}

/** Admin routes need the bearer token, unless the server only listens on loopback. */
function adminGuard(config: ServiceConfig) {
  const open = isLoopbackHost(config.host);
  const expected = config.adminToken;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (open) return;
    if (!expected) {
      return reply.code(403).send({
        error: 'ADMIN_DISABLED',
        message: 'admin routes are off when bound to a public address without a token',
        fix: 'set RTMSKIT_ADMIN_TOKEN and send Authorization: Bearer <token>',
      });
    }
    const header = request.headers.authorization ?? '';
    if (!constantTimeEqual(header, `Bearer ${expected}`)) {
      return reply.code(401).send({ error: 'UNAUTHORIZED', message: 'missing or wrong bearer token' });
    }
  };
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** The service's Fastify app. */
export type ServiceServer = Awaited<ReturnType<typeof buildServer>>;
