/**
 * How the Redis store talks to Redis: its timeouts, its reconnect policy, and the ioredis options that
 * make a call fail at once when Redis is away instead of waiting in a queue.
 */
import { isIP } from 'node:net';
import type { RedisOptions } from 'ioredis';
import type { RedisTarget } from './url.js';

/**
 * A call that Redis has not answered within this long rejects with `STORE_UNREACHABLE` (a server that
 * stopped answering without closing the connection). Calls made while disconnected reject at once.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 2_000;

/** One connection attempt (TCP, TLS and the ready check) gives up after this long. */
export const REDIS_CONNECT_TIMEOUT_MS = 5_000;

/** `close()` waits this long for Redis to acknowledge QUIT before dropping the connection. */
export const REDIS_QUIT_TIMEOUT_MS = 1_000;

/** First reconnect after about this long. */
export const REDIS_RECONNECT_BASE_MS = 100;
/** Reconnects never wait longer than this, so the store is back soon after Redis is. */
export const REDIS_RECONNECT_MAX_DELAY_MS = 2_000;
/** Reconnects never come sooner than this, so an instant refusal cannot spin. */
export const REDIS_RECONNECT_MIN_DELAY_MS = 50;
/** ± share of random jitter, so a fleet does not reconnect in lockstep. */
export const REDIS_RECONNECT_JITTER = 0.2;

/**
 * The delay before reconnect attempt `attempt` (1 for the first). The store never gives up: it
 * reconnects until it is closed.
 */
export type RedisReconnectPolicy = (attempt: number) => number;

/** ~100 ms, doubling, capped at 2 s, with ±20 % jitter. */
export const defaultRedisReconnectPolicy: RedisReconnectPolicy = (attempt) => {
  const base = REDIS_RECONNECT_BASE_MS * 2 ** Math.min(30, Math.max(0, attempt - 1));
  const jitter = 1 + (Math.random() * 2 - 1) * REDIS_RECONNECT_JITTER;
  return Math.round(base * jitter);
};

/** The settings {@link ioredisOptions} takes besides the target. */
export interface ConnectionSettings {
  /** Default {@link REDIS_COMMAND_TIMEOUT_MS}. */
  commandTimeoutMs?: number;
  /** Default {@link REDIS_CONNECT_TIMEOUT_MS}. */
  connectTimeoutMs?: number;
  /** Default {@link defaultRedisReconnectPolicy}. */
  reconnect?: RedisReconnectPolicy;
}

/** The delay a policy gives, held between the floor and the cap whatever the policy returns. */
export function boundedDelay(policy: RedisReconnectPolicy, attempt: number): number {
  const delay = policy(attempt);
  if (!Number.isFinite(delay)) return REDIS_RECONNECT_MAX_DELAY_MS;
  return Math.max(REDIS_RECONNECT_MIN_DELAY_MS, Math.min(REDIS_RECONNECT_MAX_DELAY_MS, delay));
}

/**
 * ioredis options for `target`. No offline queue and no retries per request: a call while disconnected
 * rejects at once, and a call in flight when the connection drops rejects rather than being sent again
 * after the reconnect (a resent claim could answer "seen" for a delivery nobody handled).
 */
export function ioredisOptions(target: RedisTarget, settings: ConnectionSettings = {}): RedisOptions {
  const reconnect = settings.reconnect ?? defaultRedisReconnectPolicy;
  const options: RedisOptions = {
    host: target.host,
    port: target.port,
    db: target.db,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableReadyCheck: true,
    commandTimeout: settings.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: settings.connectTimeoutMs ?? REDIS_CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt: number) => boundedDelay(reconnect, attempt),
  };
  if (target.username !== undefined) options.username = target.username;
  if (target.password !== undefined) options.password = target.password;
  // SNI and the certificate check use the host name; an IP address is checked against the certificate's
  // IP entries without SNI.
  if (target.tls) options.tls = isIP(target.host) === 0 ? { servername: target.host } : {};
  return options;
}
