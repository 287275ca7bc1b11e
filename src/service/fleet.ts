/**
 * The service's part in a fleet (a Redis store): one {@link FleetMember} wired to the manager and the
 * registry. It takes over streams nobody holds, puts a stream's record back after Redis lost it, and
 * shows which instance holds what.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { FleetMember, ZOOM_NOTICES_SILENCE_MS } from '../fleet/FleetMember.js';
import { SIGNALING_WINDOW_MS, type StreamManager } from '../manager/StreamManager.js';
import {
  defaultRedisReconnectPolicy,
  ioredisOptions,
  REDIS_COMMAND_TIMEOUT_MS,
  REDIS_CONNECT_TIMEOUT_MS,
} from '../store/redis/connection.js';
import { unreachable } from '../store/redis/errors.js';
import { DEFAULT_REDIS_KEY_PREFIX } from '../store/redis/keys.js';
import { parseRedisUrl, redactUrl } from '../store/redis/url.js';
import type { Store, StreamRecord } from '../store/Store.js';
import type { ServiceConfig } from './serviceConfig.js';

/** How soon a record Redis would not take is written again. */
const REPUBLISH_RETRY_MS = 1_000;

/** A stream of the fleet's registry with the instance that holds it. */
export interface FleetStream {
  streamId: string;
  product: StreamRecord['product'];
  instanceId: string;
  meetingId?: string;
  state: StreamRecord['state'];
  startedAt: number;
  updatedAt: number;
  /** The instance holding its connections now, if any. */
  owner: string | null;
}

export interface ServiceFleetParts {
  config: ServiceConfig;
  store: Store;
  manager: () => StreamManager;
  logger: Logger;
  now: () => number;
}

export class ServiceFleet {
  readonly member: FleetMember;
  private readonly redis: Redis;
  private readonly parts: ServiceFleetParts;
  /** Streams whose record is being written again after Redis lost it. */
  private readonly republishing = new Set<string>();
  private closed = false;
  /** Background failures are logged once per step until the step works again. */
  private readonly failing = new Set<string>();

  constructor(parts: ServiceFleetParts) {
    this.parts = parts;
    const { config, store, logger } = parts;
    const target = parseRedisUrl(config.storeUrl, config.redisPassword);
    this.redis = new Redis(
      ioredisOptions(target, {
        commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
        connectTimeoutMs: REDIS_CONNECT_TIMEOUT_MS,
        reconnect: defaultRedisReconnectPolicy,
      }),
    );
    let lastError: Error | undefined;
    this.redis.on('error', (err: Error) => {
      lastError = err;
    });
    const redis = this.redis;
    this.member = new FleetMember({
      redis: this.redis,
      store,
      instanceId: config.instanceId,
      prefix: DEFAULT_REDIS_KEY_PREFIX,
      now: parts.now,
      redisError: (err) =>
        unreachable(err, {
          location: redactUrl(config.storeUrl),
          status: redis.status,
          lastError,
          password: target.password,
          commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
        }),
      onRouted: (event) => {
        const stream = 'streamId' in event ? event.streamId : undefined;
        parts
          .manager()
          .handleRouted(event)
          .then(
            (outcome) =>
              logger.info(
                { event: event.event, stream, delivery: event.deliveryKey, outcome },
                'routed webhook handled',
              ),
            (err: unknown) =>
              logger.error({ err, event: event.event, stream }, 'routed webhook event failed'),
          );
      },
      onLost: (streamId, cause) => {
        logger.warn({ stream: streamId, cause }, 'lease lost: closing the stream here');
        void parts.manager().release(streamId);
      },
      onOrphan: (record) => this.takeOver(record),
      onReacquired: (streamId) => this.republish(streamId),
      onError: (err, step) => {
        if (this.failing.has(step)) return;
        this.failing.add(step);
        logger.warn({ err, step }, 'fleet step failed; retrying');
      },
    });
  }

  /** Connects to Redis and starts the member's inbox, heartbeat and takeover scan. */
  async start(): Promise<void> {
    await this.redis.connect();
    await this.member.start();
  }

  /**
   * An active stream nobody holds: its owner died or let it go. Resumed here if this instance wins its
   * lease and Zoom can still be inside its reconnect window (which opens when Zoom notices the owner
   * gone); marked lost past it.
   */
  private async takeOver(record: StreamRecord): Promise<boolean> {
    this.failing.delete('scan');
    const { store, logger, now } = this.parts;
    const silentMs = now() - record.updatedAt;
    if (silentMs > ZOOM_NOTICES_SILENCE_MS + SIGNALING_WINDOW_MS) {
      await store.updateStream(record.streamId, { state: 'lost', endedAt: now() });
      logger.warn({ stream: record.streamId, silentMs }, 'stream nobody held is past Zoom’s window: lost');
      return false;
    }
    const outcome = await this.parts.manager().resume({
      streamId: record.streamId,
      instanceId: record.instanceId,
      product: record.product,
      serverUrls: record.serverUrls,
      ...(record.meetingId === undefined ? {} : { meetingId: record.meetingId }),
    });
    if (outcome !== 'connecting') return false;
    logger.info({ stream: record.streamId, silentMs }, 'took over a stream nobody held');
    return true;
  }

  /**
   * Redis lost the stream's record (a restart without persistence): it is written again from here, and
   * tried again every second until Redis takes it (its connection may come back later than the lease's).
   */
  private republish(streamId: string): void {
    if (this.republishing.has(streamId)) return;
    this.republishing.add(streamId);
    const attempt = async (): Promise<void> => {
      if (this.closed || this.parts.manager().get(streamId) === undefined) {
        this.republishing.delete(streamId);
        return;
      }
      try {
        await this.writeRecord(streamId);
        this.republishing.delete(streamId);
      } catch {
        setTimeout(() => void attempt(), REPUBLISH_RETRY_MS).unref();
      }
    };
    void attempt();
  }

  private async writeRecord(streamId: string): Promise<void> {
    const { store, logger, now } = this.parts;
    const snapshot = this.parts.manager().snapshot(streamId);
    const stream = this.parts.manager().get(streamId);
    if (!snapshot || !stream) return;
    if ((await store.getStream(streamId)) !== undefined) return;
    await store.putStream({
      streamId,
      product: snapshot.product,
      instanceId: snapshot.instanceId,
      ...(snapshot.meetingId === undefined ? {} : { meetingId: snapshot.meetingId }),
      serverUrls: [...stream.signalingUrls],
      state: 'active',
      startedAt: snapshot.startedAt,
      updatedAt: now(),
      lastStartedEventTs: 0,
    });
    logger.warn({ stream: streamId }, 'stream record was gone from Redis: written again');
  }

  /** Active streams of the whole fleet with their owners, and the latest ended ones. */
  async view(limit: number): Promise<FleetStream[]> {
    const records = await this.parts.store.listStreams({ limit });
    const holders = await this.member.holders(records.map((r) => r.streamId));
    return records.map((r) => {
      const holder = holders.get(r.streamId);
      return {
        streamId: r.streamId,
        product: r.product,
        instanceId: r.instanceId,
        ...(r.meetingId === undefined ? {} : { meetingId: r.meetingId }),
        state: r.state,
        startedAt: r.startedAt,
        updatedAt: r.updatedAt,
        owner: holder === undefined || holder.startsWith('~') ? null : holder,
      };
    });
  }

  /** Before the manager closes its streams: their leases go to whoever takes them next, at once. */
  beginHandOver(): void {
    this.member.beginHandOver();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.member.close();
    this.redis.disconnect();
  }
}
