/**
 * The fleet's store: one Redis shared by every instance. A delivery is claimed once across all of them
 * (`SET NX PX`), and each change to a stream record moves it in its indexes in the same atomic Lua step,
 * so instances updating one record at once never lose a field and listings never scan the keyspace. The
 * outbox (`redis/outbox.ts`) hands each due notification to one instance at a time. The key layout is in
 * `redis/keys.ts`.
 *
 * When Redis is away, calls reject at once with `STORE_UNREACHABLE` while the connection is re-made in
 * the background with a bounded backoff; the store is usable again as soon as Redis is, without reopening.
 */

import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { RtmsError } from '../protocol/errors.js';
import { checkLimit, checkTtl, pruneCutoff } from './checks.js';
import { notificationCutoff } from './outbox.js';
import { type OutboxBackend, OutboxStore } from './outboxStore.js';
import { type RegistryScripts, registerScripts } from './redis/commands.js';
import {
  type defaultRedisReconnectPolicy,
  ioredisOptions,
  REDIS_COMMAND_TIMEOUT_MS,
  REDIS_CONNECT_TIMEOUT_MS,
  REDIS_QUIT_TIMEOUT_MS,
  type RedisReconnectPolicy,
} from './redis/connection.js';
import { type ConnectionFacts, openFailed, unreachable } from './redis/errors.js';
import { DEFAULT_REDIS_KEY_PREFIX, RedisKeys } from './redis/keys.js';
import { RedisOutbox } from './redis/outbox.js';
import { hashPairs, recordOf, tombstoneJson, tombstoneOf } from './redis/records.js';
import { parseRedisUrl, type RedisTarget } from './redis/url.js';
import type {
  ListStreamsOptions,
  PruneOptions,
  PruneResult,
  Store,
  StreamRecord,
  StreamRecordPatch,
  Tombstone,
} from './Store.js';

/** `prune` deletes ended records and settled notifications in batches of this many, one script call each. */
export const REDIS_PRUNE_BATCH = 500;

/** Options of {@link RedisStore.open}. */
export interface RedisStoreOptions {
  /** The clock for `updatedAt` and prune cutoffs, epoch milliseconds. TTLs are Redis's own. Default `Date.now`. */
  now?: () => number;
  /** The password, when the URL has none (the URL's wins). The service reads it from `RTMSKIT_REDIS_PASSWORD`. */
  redisPassword?: string;
  /** Put before every key, so several apps can share one Redis. Default {@link DEFAULT_REDIS_KEY_PREFIX}. */
  keyPrefix?: string;
  /** Default {@link REDIS_COMMAND_TIMEOUT_MS}. */
  commandTimeoutMs?: number;
  /** One connection attempt, and the wait of `open`. Default {@link REDIS_CONNECT_TIMEOUT_MS}. */
  connectTimeoutMs?: number;
  /** Delay before each reconnect. Default {@link defaultRedisReconnectPolicy} (held within 50 ms – 2 s). */
  reconnectPolicy?: RedisReconnectPolicy;
  /** Told about each connection error while the store reconnects (password-free). Default: ignored. */
  onConnectionError?: (err: Error) => void;
}

/** What `doctor` shows about the server. */
export interface RedisServerFacts {
  /** `redis_version` from INFO server. */
  version: string;
  /** One PING's round trip. */
  roundTripMs: number;
}

/** A {@link Store} in Redis, shared by any number of processes. */
export class RedisStore extends OutboxStore implements Store, AsyncDisposable {
  readonly kind = 'redis';
  /** The URL without its password. */
  readonly location: string;
  private readonly redis: Redis;
  private readonly scripts: RegistryScripts;
  private readonly outbox: RedisOutbox;
  private readonly keys: RedisKeys;
  private readonly target: RedisTarget;
  private readonly now: () => number;
  private readonly commandTimeoutMs: number;
  private lastError: Error | undefined;
  private closed = false;

  /**
   * Connects to the Redis a `redis://[user:password@]host:port[/db]` (or `rediss://…`) URL names and
   * resolves once it answers.
   *
   * @throws RtmsError `CONFIG_INVALID` for a malformed URL or key prefix; `STORE_UNREACHABLE` when
   * Redis refuses or does not answer within the connect timeout (the store is then closed). Neither
   * message holds the password.
   */
  static async open(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
    const target = parseRedisUrl(url, options.redisPassword);
    const store = new RedisStore(target, options);
    const timeoutMs = options.connectTimeoutMs ?? REDIS_CONNECT_TIMEOUT_MS;
    try {
      await store.connect(timeoutMs);
    } catch (err) {
      const error = openFailed(err, store.facts());
      await store.close();
      throw error;
    }
    return store;
  }

  private constructor(target: RedisTarget, options: RedisStoreOptions) {
    super();
    this.target = target;
    this.location = target.location;
    this.now = options.now ?? Date.now;
    this.keys = new RedisKeys(checkPrefix(options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX));
    this.commandTimeoutMs = options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS;
    this.redis = new Redis(
      ioredisOptions(target, {
        commandTimeoutMs: this.commandTimeoutMs,
        ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
        ...(options.reconnectPolicy === undefined ? {} : { reconnect: options.reconnectPolicy }),
      }),
    );
    // A listener keeps ioredis from printing "Unhandled error event"; the error explains later failures.
    this.redis.on('error', (err: Error) => {
      this.lastError = err;
      if (this.closed) return;
      options.onConnectionError?.(unreachable(err, { ...this.facts(), lastError: undefined }));
    });
    this.redis.on('ready', () => {
      this.lastError = undefined;
    });
    this.scripts = registerScripts(this.redis);
    this.outbox = new RedisOutbox(this.redis, this.keys, (command) => this.call(command), this.now);
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    checkTtl(ttlMs);
    // PX takes whole milliseconds; rounding up never lets a key expire early.
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const answer = await this.call(() => this.redis.set(this.keys.delivery(key), '1', 'PX', ttl, 'NX'));
    return answer === 'OK';
  }

  async putStream(record: StreamRecord): Promise<void> {
    this.assertOpen();
    const { streamId } = record;
    await this.call(() =>
      this.scripts.putStream([this.keys.stream(streamId), ...this.keys.indexes], streamId, hashPairs(record)),
    );
  }

  async updateStream(streamId: string, patch: StreamRecordPatch): Promise<void> {
    this.assertOpen();
    const pairs = hashPairs({ ...patch, updatedAt: patch.updatedAt ?? this.now() });
    await this.call(() =>
      this.scripts.updateStream([this.keys.stream(streamId), ...this.keys.indexes], streamId, pairs),
    );
  }

  async touchStreams(streamIds: readonly string[]): Promise<void> {
    this.assertOpen();
    if (streamIds.length === 0) return;
    const records = streamIds.map((id) => this.keys.stream(id));
    await this.call(() => this.scripts.touchStreams(this.keys.indexes, records, this.now(), streamIds));
  }

  async getStream(streamId: string): Promise<StreamRecord | undefined> {
    this.assertOpen();
    const hash = await this.call(() => this.redis.hgetall(this.keys.stream(streamId)));
    return recordOf(streamId, hash);
  }

  async activeStreams(): Promise<StreamRecord[]> {
    this.assertOpen();
    const ids = await this.call(() => this.redis.zrange(this.keys.active, 0, -1));
    // A record may change between the index read and its own: keep what is active as read.
    return (await this.records(ids)).filter((record) => record.state === 'active');
  }

  async listStreams(options: ListStreamsOptions = {}): Promise<StreamRecord[]> {
    this.assertOpen();
    const limit = checkLimit(options.limit);
    if (limit === 0) return [];
    const ids = await this.call(() => this.redis.zrevrange(this.keys.streams, 0, (limit ?? 0) - 1));
    return this.records(ids);
  }

  /**
   * Deletes stream records that are not active and ended before the cutoff, and settled notifications
   * past theirs. Delivery keys expire by themselves in Redis, so `deliveries` is always 0.
   */
  async prune(options: PruneOptions = {}): Promise<PruneResult> {
    this.assertOpen();
    const now = this.now();
    const cutoff = pruneCutoff(now, options);
    const settledBefore = notificationCutoff(now, options.notificationsOlderThanMs);
    let streams = 0;
    for (;;) {
      const ids = await this.call(() =>
        this.redis.zrangebyscore(this.keys.ended, '-inf', `(${cutoff}`, 'LIMIT', 0, REDIS_PRUNE_BATCH),
      );
      if (ids.length === 0) break;
      const records = ids.map((id) => this.keys.stream(id));
      streams += await this.call(() => this.scripts.pruneStreams(this.keys.indexes, records, cutoff, ids));
      if (ids.length < REDIS_PRUNE_BATCH) break;
    }
    const notifications = await this.outbox.prune(settledBefore, REDIS_PRUNE_BATCH);
    return { deliveries: 0, streams, notifications };
  }

  async putTombstone(tombstone: Tombstone): Promise<void> {
    this.assertOpen();
    const { streamId, revokedAt } = tombstone;
    const results = await this.call(() =>
      this.redis
        .multi()
        .set(this.keys.tombstone(streamId), tombstoneJson(tombstone))
        .zadd(this.keys.tombstones, revokedAt, streamId)
        .exec(),
    );
    const failed = results?.find(([err]) => err !== null)?.[0];
    if (failed) throw unreachable(failed, this.facts());
  }

  async getTombstone(streamId: string): Promise<Tombstone | undefined> {
    this.assertOpen();
    const json = await this.call(() => this.redis.get(this.keys.tombstone(streamId)));
    return json === null ? undefined : tombstoneOf(json);
  }

  async listTombstones(options: ListStreamsOptions = {}): Promise<Tombstone[]> {
    this.assertOpen();
    const limit = checkLimit(options.limit);
    if (limit === 0) return [];
    const ids = await this.call(() => this.redis.zrevrange(this.keys.tombstones, 0, (limit ?? 0) - 1));
    if (ids.length === 0) return [];
    const jsons = await this.call(() => this.redis.mget(ids.map((id) => this.keys.tombstone(id))));
    return jsons.filter((json): json is string => json !== null).map(tombstoneOf);
  }

  async ping(): Promise<void> {
    this.assertOpen();
    await this.call(() => this.redis.ping());
  }

  /** The server's version and one round trip, for `doctor`. */
  async serverFacts(): Promise<RedisServerFacts> {
    this.assertOpen();
    const started = performance.now();
    await this.call(() => this.redis.ping());
    const roundTripMs = performance.now() - started;
    const info = await this.call(() => this.redis.info('server'));
    const version = /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown';
    return { version, roundTripMs };
  }

  /** Sends QUIT (waiting at most {@link REDIS_QUIT_TIMEOUT_MS}) and stops reconnecting. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.redis.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((done) => {
        timer = setTimeout(done, REDIS_QUIT_TIMEOUT_MS);
        timer.unref();
      });
      await Promise.race([this.redis.quit().catch(() => undefined), timeout]);
      clearTimeout(timer);
    }
    if (this.redis.status !== 'end') this.redis.disconnect();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async connect(timeoutMs: number): Promise<void> {
    const connecting = this.redis.connect();
    // Awaited below unless the timeout wins; a late rejection must not go unhandled.
    connecting.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([connecting, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The records of `ids`, in that order; an id whose record went in the meantime is left out. */
  private async records(ids: readonly string[]): Promise<StreamRecord[]> {
    // Sent in one tick, so ioredis writes them together: one round trip in all.
    const hashes = await this.call(() =>
      Promise.all(ids.map((id) => this.redis.hgetall(this.keys.stream(id)))),
    );
    return ids.flatMap((id, i) => recordOf(id, hashes[i] ?? {}) ?? []);
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      if (this.closed) throw this.closedError();
      throw unreachable(err, this.facts());
    }
  }

  private facts(): ConnectionFacts {
    return {
      location: this.location,
      status: this.redis.status,
      lastError: this.lastError,
      password: this.target.password,
      commandTimeoutMs: this.commandTimeoutMs,
    };
  }

  protected outboxBackend(): OutboxBackend {
    return this.outbox;
  }

  protected assertOpen(): void {
    if (this.closed) throw this.closedError();
  }

  private closedError(): RtmsError {
    return RtmsError.closed(`Redis store ${this.location}`);
  }
}

/** A prefix with a brace would clash with the registry's `{registry}` hash tag. */
function checkPrefix(prefix: string): string {
  if (/[{}]/.test(prefix)) {
    throw RtmsError.invalidOptions(
      `Redis key prefix "${prefix}" contains a brace`,
      'use letters, digits and separators such as "myapp:"',
    );
  }
  return prefix;
}
