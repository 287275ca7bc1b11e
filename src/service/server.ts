/**
 * The HTTP surface: the webhook endpoint, health and readiness, Prometheus metrics, the stream API, the
 * live outputs and the dashboard, with the bounds that keep slow or idle clients from holding the server.
 */
import Fastify, { LogController } from 'fastify';
import type { Logger } from 'pino';
import type { StreamManager } from '../manager/StreamManager.js';
import type { EventBus } from '../outputs/EventBus.js';
import type { Store } from '../store/Store.js';
import { rtmsWebhookPlugin } from '../webhook/adapters/fastify.js';
import type { WebhookEvent } from '../webhook/events.js';
import type { WebhookReceiver, WebhookResult } from '../webhook/receiver.js';
import { adminGuard } from './adminGuard.js';
import type { ServiceConfig, TrustProxy } from './config.js';
import { ConnectionGuard } from './connectionGuard.js';
import { dashboardPlugin } from './dashboard.js';
import type { FleetStream } from './fleet.js';
import type { ServiceMetrics } from './metrics.js';
import type { OutputCounters } from './outputCounters.js';
import type { ReadinessCheck } from './readiness.js';
import { ssePlugin } from './sse.js';

/**
 * How often Node checks every connection against the header and request timeouts. Node's default
 * (30 s) would let a slow client keep its socket for up to 30 s past the timeout.
 */
export const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;

/** Streams of the registry `/api/streams` lists, newest first. */
const API_STREAMS_LIMIT = 100;

/** Longest event name written to a log line as it came. */
const LOGGED_EVENT_NAME_CHARS = 80;

export interface ServerDeps {
  config: ServiceConfig;
  logger: Logger;
  receiver: WebhookReceiver;
  manager: StreamManager;
  store: Store;
  metrics: ServiceMetrics;
  readiness: ReadinessCheck;
  onEvent: (event: WebhookEvent) => void;
  /** In a fleet: the registry's streams with the instance holding each. */
  fleetView?: (limit: number) => Promise<FleetStream[]>;
  /** The live outputs' feed and counters. */
  bus: EventBus;
  outputs: OutputCounters;
}

/** Builds the Fastify app (not listening yet) and the cap on its connections. */
export async function buildServer(deps: ServerDeps) {
  const { config, logger, manager, store, metrics, readiness } = deps;
  const limits = config.http;
  // Webhooks are logged once each, with their outcome; Fastify's per-request lines would double them.
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: fastifyTrustProxy(config.trustProxy),
    bodyLimit: deps.receiver.maxBodyBytes,
    connectionTimeout: limits.idleTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerConnection,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS,
    },
  });
  const connections = new ConnectionGuard(app.server, {
    maxConnections: limits.maxConnections,
    maxRequestsPerConnection: limits.maxRequestsPerConnection,
    onLimit: ({ open, closed, maxConnections }) =>
      logger.warn(
        { open, closed, maxConnections },
        `HTTP connection limit reached: closed the ${closed} oldest idle or slow connection(s); ` +
          'raise RTMSKIT_MAX_CONNECTIONS if this is real traffic',
      ),
  });

  await app.register(rtmsWebhookPlugin, {
    receiver: deps.receiver,
    path: config.webhookPath,
    onEvent: deps.onEvent,
    onResult: (result: WebhookResult, latencyMs: number) => {
      metrics.webhook(result, latencyMs);
      const line = {
        event: result.eventName?.slice(0, LOGGED_EVENT_NAME_CHARS),
        outcome: result.outcome,
        status: result.status,
      };
      if (result.outcome === 'rejected')
        logger.warn({ ...line, reason: result.error?.message }, 'webhook rejected');
      else logger.info(line, 'webhook');
    },
    onError: (error, event) => logger.error({ err: error, event: event?.event }, 'webhook handler failed'),
  });

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const ready = await readiness.check();
    return ready.ok ? { ok: true } : reply.code(503).send({ ok: false, reason: ready.reason });
  });

  const admin = adminGuard(config.adminToken);
  app.get('/metrics', { preHandler: admin }, async (_req, reply) => {
    const text = await metrics.text();
    return reply.type(metrics.contentType).send(text);
  });
  app.get('/api/streams', { preHandler: admin }, async () => {
    const live = manager.streams();
    // A fleet's registry is the fleet's: every stream, with the instance that holds it.
    const recent = deps.fleetView
      ? await deps.fleetView(API_STREAMS_LIMIT)
      : await store.listStreams({ limit: API_STREAMS_LIMIT });
    return { instance: config.instanceId, media: config.media, live, recent };
  });
  const adminWithQueryToken = adminGuard(config.adminToken, { queryToken: true });
  await app.register(ssePlugin(deps.bus, deps.outputs, adminWithQueryToken));
  await app.register(dashboardPlugin({ dataDir: config.dataDir, admin, adminWithQueryToken }));
  app.get('/api/revocations', { preHandler: admin }, async () => ({
    revocations: await store.listTombstones({ limit: 100 }),
  }));
  return { app, connections };
}

/** Fastify's form of the trust-proxy setting; a hop count trusts that many proxies nearest the socket. */
function fastifyTrustProxy(
  trust: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

/** The service's HTTP server. */
export type ServiceServer = Awaited<ReturnType<typeof buildServer>>;
