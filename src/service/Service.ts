/**
 * The rtmskit service: receives Zoom's webhooks, holds every stream, records them, and keeps a durable
 * registry so a restart resumes what was live. On a Redis store it is one instance of a fleet.
 */
import type { Logger } from 'pino';
import { StreamManager, type StreamRef } from '../manager/StreamManager.js';
import type { Encoder } from '../media/encode/index.js';
import type { RecordingManifest } from '../media/manifest.js';
import { attachRecorder, type RecorderHandle } from '../media/Recorder.js';
import { EventBus } from '../outputs/EventBus.js';
import type { Notifier, NotifierTuning } from '../outputs/notify/Notifier.js';
import { registerNotifyMetrics } from '../outputs/notify/notifyMetrics.js';
import { RedisOutputs } from '../outputs/RedisOutputs.js';
import { recordingFinishedData } from '../outputs/recordingEvent.js';
import { StopReason } from '../protocol/enums.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/Store.js';
import type { WebhookEvent } from '../webhook/events.js';
import { WebhookReceiver } from '../webhook/receiver.js';
import { DEFAULT_REDIS_STREAMS, type ServiceConfig } from './config.js';
import type { ConnectionGuard } from './connectionGuard.js';
import { prepareDataFolder, repairAtStart } from './dataFolder.js';
import { ServiceFleet } from './fleet.js';
import { Housekeeping } from './housekeeping.js';
import { attachLive } from './live.js';
import { createLogger } from './logger.js';
import { streamMediaParams } from './mediaRequest.js';
import { ServiceMetrics } from './metrics.js';
import { OutputCounters } from './outputCounters.js';
import { isStoreUnreachable, PendingWebhooks } from './pendingWebhooks.js';
import { ReadinessCheck } from './readiness.js';
import { ServiceRegistry } from './registry.js';
import { buildServer, type ServiceServer } from './server.js';
import { needsPostProcessing, startEncoder, startNotifier } from './serviceOutputs.js';

/** How often live streams are marked alive in the registry, so a restart knows if they are still in Zoom's window. */
export const REGISTRY_HEARTBEAT_MS = 5_000;

export interface ServiceOptions {
  logger?: Logger;
  now?: () => number;
  /** Called with each recording's final manifest and folder. */
  onRecordingFinalized?: (manifest: RecordingManifest, ref: StreamRef) => void;
  /** Timings of the outbound webhooks (retries, timeouts); the defaults suit production. */
  notifyTuning?: NotifierTuning;
}

export class RtmsService implements AsyncDisposable {
  readonly config: ServiceConfig;
  readonly logger: Logger;
  readonly manager: StreamManager;
  readonly store: Store;
  readonly metrics: ServiceMetrics;
  readonly recorder: RecorderHandle;
  readonly readiness: ReadinessCheck;
  readonly housekeeping: Housekeeping;
  /** This instance's part in a fleet, on a Redis store. */
  readonly fleet: ServiceFleet | undefined;
  /** On a Redis store: the Redis Streams output, and every instance's events and media on this bus. */
  readonly redisOutputs: RedisOutputs | undefined;
  /** Outbound webhooks, when `RTMSKIT_NOTIFY_URL` is set. */
  readonly notifier: Notifier | undefined;
  /** Post-processing of finished recordings: decoded G.722 and Opus, the mix, `RTMSKIT_ENCODE`'s copies. */
  readonly encoder: Encoder;
  /** Every stream's events, for the live outputs. */
  readonly bus: EventBus;
  private readonly closeLive: () => void;
  private readonly pending: PendingWebhooks;
  private readonly registry: ServiceRegistry;
  private readonly app: ServiceServer['app'];
  private readonly heartbeat: NodeJS.Timeout;
  private readonly now: () => number;
  private shuttingDown: Promise<void> | undefined;
  /** Address the server listens on. */
  url = '';

  private constructor(parts: {
    config: ServiceConfig;
    logger: Logger;
    manager: StreamManager;
    store: Store;
    metrics: ServiceMetrics;
    recorder: RecorderHandle;
    readiness: ReadinessCheck;
    housekeeping: Housekeeping;
    fleet: ServiceFleet | undefined;
    redisOutputs: RedisOutputs | undefined;
    notifier: Notifier | undefined;
    encoder: Encoder;
    bus: EventBus;
    closeLive: () => void;
    pending: PendingWebhooks;
    app: ServiceServer['app'];
    now: () => number;
  }) {
    this.config = parts.config;
    this.logger = parts.logger;
    this.manager = parts.manager;
    this.store = parts.store;
    this.metrics = parts.metrics;
    this.recorder = parts.recorder;
    this.readiness = parts.readiness;
    this.housekeeping = parts.housekeeping;
    this.fleet = parts.fleet;
    this.redisOutputs = parts.redisOutputs;
    this.notifier = parts.notifier;
    this.encoder = parts.encoder;
    this.bus = parts.bus;
    this.closeLive = parts.closeLive;
    this.pending = parts.pending;
    this.registry = new ServiceRegistry({
      store: parts.store,
      logger: parts.logger,
      now: parts.now,
      fleet: parts.fleet !== undefined,
    });
    this.app = parts.app;
    this.now = parts.now;
    this.heartbeat = setInterval(() => void this.beat(), REGISTRY_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Opens the store, repairs unfinished recordings, resumes live streams, and starts listening. */
  static async start(config: ServiceConfig, options: ServiceOptions = {}): Promise<RtmsService> {
    const logger = (options.logger ?? createLogger({ level: config.logLevel })).child({
      instance: config.instanceId,
    });
    const now = options.now ?? Date.now;
    const recordingsDir = await prepareDataFolder(config.dataDir);
    const store = await openStore(
      config.storeUrl,
      config.redisPassword === undefined ? {} : { redisPassword: config.redisPassword },
    );
    // Recordings whose encoding a stop or a crash cut short, met by the repair pass: redone below.
    const unencoded = await repairAtStart(config.dataDir, logger);

    const receiver = new WebhookReceiver({
      secretToken: [config.app.secretToken, ...(config.videoSdk ? [config.videoSdk.secretToken] : [])].filter(
        Boolean,
      ),
      insecureSkipVerify: config.insecureSkipVerify,
    });
    if (config.insecureSkipVerify) {
      logger.warn(
        'WEBHOOK SIGNATURES ARE NOT VERIFIED (--insecure-skip-verify): anyone who can reach this port can start streams',
      );
    }
    let manager: StreamManager | undefined;
    const fleet =
      store.kind === 'redis'
        ? new ServiceFleet({ config, store, manager: () => manager as StreamManager, logger, now })
        : undefined;
    manager = new StreamManager({
      credentials: (product) => (product === 'session' && config.videoSdk ? config.videoSdk : config.app),
      stream: {
        media: config.media,
        allowedHosts: config.allowedHosts,
        allowLoopback: config.allowLoopback,
        ...streamMediaParams(config),
      },
      ledger: store,
      maxConcurrentHandshakes: config.maxConcurrentHandshakes,
      ...(fleet === undefined ? {} : { ownership: fleet.member }),
    });
    let readiness: ReadinessCheck | undefined;
    const bus = new EventBus({ instanceId: config.instanceId });
    bus.attach(manager);
    let service: RtmsService | undefined;
    const notifier = startNotifier(config, store, bus, {
      logger,
      now,
      stopping: () => service?.stopping === true,
      ...(options.notifyTuning === undefined ? {} : { tuning: options.notifyTuning }),
    });
    const redisOutputs =
      store.kind === 'redis'
        ? await RedisOutputs.start({
            storeUrl: config.storeUrl,
            redisPassword: config.redisPassword,
            instanceId: config.instanceId,
            streams: config.redisStreams ?? DEFAULT_REDIS_STREAMS,
            bus,
            manager,
            logger,
          })
        : undefined;
    const outputs = new OutputCounters();
    const encoder = startEncoder(config, bus, logger, unencoded);
    const recorder = attachRecorder(manager, {
      dataDir: config.dataDir,
      writer: config.instanceId,
      audioLayout: config.audioLayout,
      onError: (err, ref) => {
        readiness?.sinkFailed(`stream ${ref.streamId}: ${err.message}`);
        logger.error({ err, stream: ref.streamId }, 'recording write failed');
      },
      onFinalized: (manifest, ref, dir) => {
        // Where the files are is the first thing a person looks for when a stream ends.
        logger.info(
          {
            stream: ref.streamId,
            dir,
            reason: manifest.endReason,
            ...(manifest.stopReasonName ? { stopReason: manifest.stopReasonName } : {}),
          },
          'recording finished',
        );
        if (needsPostProcessing(manifest, encoder, service?.stopping === true)) void encoder.add(dir);
        else bus.publish(ref, 'recordingFinished', recordingFinishedData(manifest, dir, config.dataDir));
        options.onRecordingFinalized?.(manifest, ref);
      },
    });
    readiness = new ReadinessCheck({
      store,
      recordingsDir,
      sinkDrops: () => Object.values(recorder.drops()).reduce((a, b) => a + b, 0),
      now,
      onChange: (ready) => {
        if (ready.ok) logger.info('ready again');
        else logger.warn({ reason: ready.reason, detail: ready.detail }, 'not ready');
      },
    });
    let connections: ConnectionGuard | undefined;
    const metrics = new ServiceMetrics(manager, {
      drops: () => recorder.drops(),
      http: () => connections?.counters ?? { open: 0, evicted: 0 },
      instanceId: config.instanceId,
      outputs,
      ...(fleet === undefined ? {} : { fleet: fleet.member }),
    });
    redisOutputs?.registerMetrics(metrics.registry);
    if (notifier !== undefined) registerNotifyMetrics(metrics.registry, notifier);
    const housekeeping = new Housekeeping({
      dataDir: config.dataDir,
      retention: config.retention,
      store,
      logger,
      metrics,
      liveStreamIds: () => manager.streams().map((s) => s.streamId),
      recordingSettled: (streamId) => recorder.settled(streamId),
      now,
    });
    const act = (event: WebhookEvent): Promise<void> =>
      (manager as StreamManager).handleWebhook(event).then((outcome) => service?.onHandled(event, outcome));
    // Zoom has its 200 already and will not send the event again: while the store is away it waits here.
    const pending = new PendingWebhooks({
      act,
      gaveUp: (event, why) =>
        logger.error(
          { event: event.event, delivery: 'deliveryKey' in event ? event.deliveryKey : undefined, why },
          'webhook event not acted on',
        ),
      now,
    });
    const onEvent = (event: WebhookEvent) => {
      act(event).catch((err: unknown) => {
        if (!isStoreUnreachable(err)) {
          logger.error({ err, event: event.event }, 'webhook event failed');
          return;
        }
        logger.warn({ event: event.event }, 'store unreachable: the webhook event waits for it');
        pending.add(event);
      });
    };
    const server = await buildServer({
      config,
      logger,
      receiver,
      manager,
      store,
      metrics,
      readiness,
      onEvent,
      bus,
      outputs,
      ...(fleet === undefined ? {} : { fleetView: (limit: number) => fleet.view(limit) }),
    });
    connections = server.connections;
    const { app } = server;
    const closeLive = attachLive(app.server, {
      bus,
      counters: outputs,
      adminToken: config.adminToken,
      // A stream held by another instance of the fleet is known too: its events reach this bus.
      knows: async (streamId) =>
        manager.get(streamId) !== undefined ||
        (fleet !== undefined && (await store.getStream(streamId).catch(() => undefined))?.state === 'active'),
    });
    service = new RtmsService({
      config,
      logger,
      manager,
      store,
      metrics,
      recorder,
      readiness,
      housekeeping,
      fleet,
      redisOutputs,
      notifier,
      encoder,
      bus,
      pending,
      closeLive,
      app,
      now,
    });
    service.watchStreams();
    // In a fleet, the takeover scan resumes what nobody holds, whoever held it before.
    if (fleet === undefined) await service.registry.resume(manager);
    else await fleet.start();
    await housekeeping.start();
    const address = await app.listen({ port: config.port, host: config.host });
    service.url = address;
    logger.info(
      { url: address, webhook: `${address}${config.webhookPath}`, store: store.location },
      'rtmskit service listening',
    );
    return service;
  }

  private onHandled(event: WebhookEvent, outcome: string): void {
    this.logger.info(
      {
        event: event.event,
        stream: 'streamId' in event ? event.streamId : undefined,
        delivery: event.deliveryKey,
        outcome,
      },
      'webhook handled',
    );
    // Zoom may revoke a stream this process does not hold (it ended, or ran before a restart).
    if (
      event.kind === 'stopped' &&
      event.stopReason === StopReason.STREAM_REVOKED &&
      outcome !== 'duplicate'
    ) {
      void this.housekeeping.revoke({
        streamId: event.streamId,
        product: event.product,
        instanceId: event.instanceId,
        meetingId: event.meetingId,
      });
    }
    this.registry.webhookHandled(event, outcome);
  }

  private watchStreams(): void {
    const { manager, logger } = this;
    manager.on('stateChange', (ref, { from, to }) =>
      logger.info({ stream: ref.streamId, from, to }, 'stream state'),
    );
    manager.on('reconnecting', (ref, e) =>
      logger.warn(
        { stream: ref.streamId, scope: e.scope, reason: e.reason, attempt: e.attempt },
        'reconnecting',
      ),
    );
    manager.on('reconnected', (ref, e) =>
      logger.info(
        { stream: ref.streamId, scope: e.scope, downtimeMs: Math.round(e.downtimeMs) },
        'reconnected',
      ),
    );
    manager.on('streamRemoved', (ref, closed) => {
      if (closed.reason === 'released') {
        // Another instance holds it now; the stream goes on there and its record stays active.
        logger.warn({ stream: ref.streamId }, 'stream handed over to another instance');
        return;
      }
      if (closed.error) logger.error({ stream: ref.streamId, err: closed.error }, `stream ${closed.reason}`);
      else
        logger.info(
          { stream: ref.streamId, reason: closed.reason, stopReason: closed.stopReason },
          'stream ended',
        );
      if (closed.stopReason === StopReason.STREAM_REVOKED) void this.housekeeping.revoke(ref);
      // A stream dropped by our own shutdown is still live at Zoom: leave it active so a restart resumes it.
      if (!this.shuttingDown) this.registry.streamEnded(ref.streamId, closed);
    });
  }

  private async beat(): Promise<void> {
    await this.registry.touch(this.manager.streams().map((s) => s.streamId));
  }

  /**
   * Stops taking webhooks, drops every stream's sockets (Zoom keeps them for its window, so a restart can
   * resume), finalizes every recording and closes the store. Idempotent.
   */
  /** True from the moment {@link RtmsService.shutdown} is called. */
  get stopping(): boolean {
    return this.shuttingDown !== undefined;
  }

  shutdown(): Promise<void> {
    if (!this.shuttingDown) {
      this.shuttingDown = (async () => {
        clearInterval(this.heartbeat);
        await this.beat();
        this.closeLive();
        await this.app.close();
        this.pending.close();
        this.fleet?.beginHandOver();
        await this.manager.close();
        await this.fleet?.close();
        await this.recorder.close();
        await this.encoder.close();
        await this.housekeeping.close();
        // After the recorder: the notifications of recordings finished on the way out are in the outbox.
        await this.notifier?.stop();
        await this.redisOutputs?.close();
        await this.store.close();
        this.logger.info('rtmskit service stopped');
      })();
    }
    return this.shuttingDown;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
}
