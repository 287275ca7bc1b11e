/**
 * The live outputs of a service on a Redis store, started together: the Redis Streams output (this
 * instance's events and opted-in media appended to `rtmskit:events` and `rtmskit:media:<id>`), the
 * reader that brings every other instance's events to this bus, and the fleet media relay that lets
 * `bus.subscribeMedia` reach streams held elsewhere. Three connections of their own: commands
 * (pipelined), the blocking read, and pub/sub.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { StreamManager } from '../manager/StreamManager.js';
import {
  defaultRedisReconnectPolicy,
  ioredisOptions,
  REDIS_COMMAND_TIMEOUT_MS,
  REDIS_CONNECT_TIMEOUT_MS,
  REDIS_QUIT_TIMEOUT_MS,
} from '../store/redis/connection.js';
import { unreachable } from '../store/redis/errors.js';
import { DEFAULT_REDIS_KEY_PREFIX } from '../store/redis/keys.js';
import { parseRedisUrl, type RedisTarget, redactUrl } from '../store/redis/url.js';
import type { EventBus, MediaKindOut } from './EventBus.js';
import { FleetEventReader } from './FleetEventReader.js';
import { FleetMedia } from './FleetMedia.js';
import { RedisStreamsOutput } from './RedisStreamsOutput.js';
import { type BatchCounters, RedisBatch } from './redisBatch.js';
import { LiveKeys } from './redisEntries.js';
import { registerRedisOutputMetrics } from './redisOutputMetrics.js';

/** The bounds of the Redis streams, and the media kinds appended per stream. */
export interface RedisStreamsSettings {
  eventsMaxLen: number;
  media: readonly MediaKindOut[];
  mediaMaxLen: number;
}

export interface RedisOutputsOptions {
  /** The store URL (`redis://…`) and its password, as the store has them. */
  storeUrl: string;
  redisPassword?: string | undefined;
  instanceId: string;
  streams: RedisStreamsSettings;
  bus: EventBus;
  /** Which streams this instance holds. */
  manager: Pick<StreamManager, 'get'>;
  logger: Logger;
  /** Default `rtmskit:`, as the store's. */
  keyPrefix?: string;
  now?: () => number;
}

/** One connection, with the same timeouts and reconnects as the store's, and its errors kept for reports. */
function connection(target: RedisTarget): { redis: Redis; lastError: () => Error | undefined } {
  const redis = new Redis(
    ioredisOptions(target, {
      commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
      connectTimeoutMs: REDIS_CONNECT_TIMEOUT_MS,
      reconnect: defaultRedisReconnectPolicy,
    }),
  );
  let last: Error | undefined;
  // A listener keeps ioredis from printing "Unhandled error event"; the error explains later failures.
  redis.on('error', (err: Error) => {
    last = err;
  });
  redis.on('ready', () => {
    last = undefined;
  });
  return { redis, lastError: () => last };
}

export class RedisOutputs {
  readonly streams: RedisStreamsOutput;
  readonly reader: FleetEventReader;
  readonly media: FleetMedia;
  private readonly batch: RedisBatch;
  private readonly commands: Redis;
  /** Background steps that failed, logged once until their connection is back. */
  private readonly failing = new Set<string>();
  private closed = false;

  private constructor(options: RedisOutputsOptions) {
    const { bus, logger, streams, instanceId } = options;
    const target = parseRedisUrl(options.storeUrl, options.redisPassword);
    const keys = new LiveKeys(options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX);
    const commands = connection(target);
    const reading = connection(target);
    const subscribing = connection(target);
    this.commands = commands.redis;
    const report = (step: string, err: unknown, redis: Redis, lastError: () => Error | undefined) => {
      if (this.closed || this.failing.has(step)) return;
      this.failing.add(step);
      const error = unreachable(err, {
        location: redactUrl(options.storeUrl),
        status: redis.status,
        lastError: lastError(),
        password: target.password,
        commandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS,
      });
      logger.warn({ err: error, step }, 'live output step failed; retrying');
    };
    reading.redis.on('ready', () => this.failing.delete('read events'));
    subscribing.redis.on('ready', () => this.failing.delete('subscribe'));
    this.batch = new RedisBatch(commands.redis, {
      onOutage: (reason) =>
        logger.warn(
          { reason },
          'Redis unreachable: live output appends are dropped (and counted) until it is back',
        ),
      onBack: (dropped) => logger.info({ dropped }, 'Redis is back: live outputs append again'),
    });
    this.streams = new RedisStreamsOutput({
      bus,
      batch: this.batch,
      keys,
      eventsMaxLen: streams.eventsMaxLen,
      media: streams.media,
      mediaMaxLen: streams.mediaMaxLen,
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    this.reader = new FleetEventReader({
      redis: reading.redis,
      key: keys.events,
      instanceId,
      deliver: (event) => bus.inject(event),
      onError: (err) => report('read events', err, reading.redis, reading.lastError),
    });
    this.media = new FleetMedia({
      bus,
      batch: this.batch,
      subscriber: subscribing.redis,
      keys,
      isLocal: (streamId) => options.manager.get(streamId) !== undefined,
      onError: (err) => report('subscribe', err, subscribing.redis, subscribing.lastError),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
  }

  /**
   * Connects and starts everything. Resolves once each part made its first attempt, whether Redis
   * answered or not: what could not start goes on trying in the background, and never fails the service.
   */
  static async start(options: RedisOutputsOptions): Promise<RedisOutputs> {
    const outputs = new RedisOutputs(options);
    outputs.streams.start();
    await Promise.all([
      outputs.commands.connect().catch(() => {
        // Reconnects by itself; appends are dropped and counted until it does.
      }),
      outputs.reader.start(),
      outputs.media.start(),
    ]);
    return outputs;
  }

  /** Appended and dropped entries by kind, relayed frames included (`relay`). */
  get counters(): BatchCounters {
    return this.batch.counters;
  }

  /** Adds the outputs' metrics to `/metrics`. */
  registerMetrics(registry: Registry): void {
    registerRedisOutputMetrics(registry, {
      batch: this.batch.counters,
      framesReceived: () => this.media.counters.received,
      eventsInjected: () => this.reader.counters.injected,
    });
  }

  /** Stops every part, sends what is queued, and closes the connections. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.streams.close();
    this.media.close();
    await this.reader.close();
    await this.batch.close();
    const quit = this.commands.quit().catch(() => undefined);
    const timer = setTimeout(() => this.commands.disconnect(), REDIS_QUIT_TIMEOUT_MS);
    await quit;
    clearTimeout(timer);
    this.commands.disconnect();
  }
}
