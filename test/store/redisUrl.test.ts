/**
 * Reading Redis store URLs and the connection options made from them: no server needed, so these run
 * everywhere, `rediss://` (TLS) included.
 */
import { describe, expect, it } from 'vitest';
import { RTMS_ERROR_CODES } from '../../src/protocol/errors.js';
import {
  boundedDelay,
  defaultRedisReconnectPolicy,
  ioredisOptions,
  REDIS_COMMAND_TIMEOUT_MS,
  REDIS_CONNECT_TIMEOUT_MS,
  REDIS_RECONNECT_MAX_DELAY_MS,
  REDIS_RECONNECT_MIN_DELAY_MS,
} from '../../src/store/redis/connection.js';
import { parseRedisUrl, redactUrl } from '../../src/store/redis/url.js';

const SECRET = 's3cret/with@odd:chars';
const ENCODED = encodeURIComponent(SECRET);

describe('parseRedisUrl', () => {
  it('reads host, port, db, user and password, and shows the URL without the password', () => {
    expect(parseRedisUrl(`redis://alice:${ENCODED}@redis.internal:6380/2`)).toEqual({
      host: 'redis.internal',
      port: 6380,
      db: 2,
      tls: false,
      username: 'alice',
      password: SECRET,
      location: 'redis://alice@redis.internal:6380/2',
    });
  });

  it('defaults the port to 6379 and the db to 0, and has no user or password unless given', () => {
    const target = parseRedisUrl('redis://localhost');
    expect(target).toEqual({
      host: 'localhost',
      port: 6379,
      db: 0,
      tls: false,
      location: 'redis://localhost:6379/0',
    });
    expect(target).not.toHaveProperty('password');
    expect(parseRedisUrl('redis://localhost:6379/').db).toBe(0);
  });

  it('reads rediss:// as TLS, with the host name for SNI and the certificate check', () => {
    const target = parseRedisUrl(`rediss://default:${ENCODED}@cache.example.com:6380/1`);
    expect(target).toMatchObject({
      host: 'cache.example.com',
      port: 6380,
      db: 1,
      tls: true,
      password: SECRET,
    });
    expect(target.location).toBe('rediss://default@cache.example.com:6380/1');
    expect(ioredisOptions(target).tls).toEqual({ servername: 'cache.example.com' });
    // An IP address is not a server name: no SNI.
    expect(ioredisOptions(parseRedisUrl('rediss://10.1.2.3:6380')).tls).toEqual({});
    expect(ioredisOptions(parseRedisUrl('redis://10.1.2.3:6380')).tls).toBeUndefined();
  });

  it('reads an IPv6 host', () => {
    const target = parseRedisUrl('redis://[::1]:7000/4');
    expect(target).toMatchObject({ host: '::1', port: 7000, db: 4 });
    expect(target.location).toBe('redis://[::1]:7000/4');
  });

  it('takes the redisPassword option when the URL has none; the URL’s wins when both do', () => {
    expect(parseRedisUrl('redis://localhost', 'from-option').password).toBe('from-option');
    expect(parseRedisUrl('redis://user@localhost', 'from-option')).toMatchObject({
      username: 'user',
      password: 'from-option',
    });
    expect(parseRedisUrl('redis://:from-url@localhost', 'from-option').password).toBe('from-url');
    expect(parseRedisUrl('redis://:from-url@localhost', 'from-option').location).not.toContain('from-');
  });

  it('refuses malformed URLs with CONFIG_INVALID, never repeating the password', () => {
    const cases: Array<[url: string, says: RegExp]> = [
      [`redis://:${ENCODED}@localhost:notaport`, /not a valid URL/],
      [`redis://:${ENCODED}@localhost:65536`, /not a valid URL/],
      [`redis://:${ENCODED}@localhost:0`, /port 0/],
      [`redis://:${ENCODED}@localhost:6379/zero`, /database "zero" is not a number/],
      [`redis://:${ENCODED}@localhost:6379/-1`, /not a number/],
      [`redis://:${ENCODED}@localhost:6379/1/2`, /not a number/],
      [`redis://:${ENCODED}@localhost:6379/1?db=2`, /query strings/],
      [`redis://:${ENCODED}@localhost:6379/1#frag`, /query strings/],
      [`http://:${ENCODED}@localhost:6379`, /not a Redis scheme/],
      [`redis://:${ENCODED}@:6379`, /not a valid URL|names no host/],
    ];
    for (const [url, says] of cases) {
      let error: unknown;
      try {
        parseRedisUrl(url);
      } catch (err) {
        error = err;
      }
      expect(error, url).toMatchObject({
        code: RTMS_ERROR_CODES.CONFIG_INVALID,
        message: expect.stringMatching(says),
      });
      expect((error as Error).message, url).not.toContain(ENCODED);
      expect((error as Error).message, url).not.toContain('s3cret');
    }
  });
});

describe('redactUrl', () => {
  it('hides everything between // and the last @', () => {
    expect(redactUrl('redis://user:pw@host:1/0')).toBe('redis://***@host:1/0');
    expect(redactUrl('redis://:pa/ss@word@host:1')).toBe('redis://***@host:1');
    expect(redactUrl('redis://host:1/0')).toBe('redis://host:1/0');
  });
});

describe('ioredisOptions', () => {
  it('fails calls at once when disconnected instead of queueing or resending them', () => {
    const options = ioredisOptions(parseRedisUrl('redis://:pw@localhost:6390/3'));
    expect(options).toMatchObject({
      host: 'localhost',
      port: 6390,
      db: 3,
      password: 'pw',
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    });
    expect(options).not.toHaveProperty('username');
  });

  it('reconnects forever, within the floor and the cap whatever the policy says', () => {
    const strategy = ioredisOptions(parseRedisUrl('redis://localhost'), { reconnect: () => 0 }).retryStrategy;
    expect(strategy?.(1)).toBe(REDIS_RECONNECT_MIN_DELAY_MS);
    expect(boundedDelay(() => 10 ** 9, 3)).toBe(REDIS_RECONNECT_MAX_DELAY_MS);
    expect(boundedDelay(() => Number.NaN, 3)).toBe(REDIS_RECONNECT_MAX_DELAY_MS);
    expect(boundedDelay(() => 300, 3)).toBe(300);
    for (const attempt of [1, 2, 5, 50, 10_000]) {
      const delay = boundedDelay(defaultRedisReconnectPolicy, attempt);
      expect(delay).toBeGreaterThanOrEqual(REDIS_RECONNECT_MIN_DELAY_MS);
      expect(delay).toBeLessThanOrEqual(REDIS_RECONNECT_MAX_DELAY_MS);
    }
    // The first retries come quickly, then it doubles.
    expect(defaultRedisReconnectPolicy(1)).toBeLessThan(150);
    expect(defaultRedisReconnectPolicy(4)).toBeGreaterThan(600);
  });
});
