/**
 * `doctor`'s Redis check, for a `redis://` or `rediss://` store URL: Redis answers, which version it is,
 * and how long one round trip takes. The password never appears in what it reports.
 */
import { isRtmsError } from '../protocol/errors.js';
import { RedisStore } from '../store/RedisStore.js';
import { redactUrl } from '../store/redis/url.js';
import { type CheckResult, result } from './result.js';

/** How long doctor waits for Redis to answer before it fails the check. */
export const REDIS_CHECK_TIMEOUT_MS = 3_000;

/** True for the store URLs the Redis check applies to. */
export function isRedisUrl(storeUrl: string): boolean {
  return /^rediss?:\/\//i.test(storeUrl);
}

/** Connects to the Redis `storeUrl` names, asks INFO server and times a PING. */
export async function checkRedis(
  storeUrl: string,
  options: { password?: string; timeoutMs?: number } = {},
): Promise<CheckResult> {
  const timeoutMs = options.timeoutMs ?? REDIS_CHECK_TIMEOUT_MS;
  let store: RedisStore | undefined;
  try {
    store = await RedisStore.open(storeUrl, {
      connectTimeoutMs: timeoutMs,
      commandTimeoutMs: timeoutMs,
      ...(options.password === undefined ? {} : { redisPassword: options.password }),
    });
    const facts = await store.serverFacts();
    return result(
      'redis',
      'pass',
      `Redis ${facts.version} at ${store.location}, round trip ${facts.roundTripMs.toFixed(1)} ms`,
    );
  } catch (err) {
    const shown = store?.location ?? redactUrl(storeUrl);
    const detail = isRtmsError(err) ? (err.message.split(' — ')[0] ?? err.message) : String(err);
    return result(
      'redis',
      'fail',
      detail,
      (isRtmsError(err) ? err.fix : undefined) ??
        `start Redis at ${shown} or correct RTMSKIT_STORE_URL (and RTMSKIT_REDIS_PASSWORD)`,
    );
  } finally {
    await store?.close();
  }
}
