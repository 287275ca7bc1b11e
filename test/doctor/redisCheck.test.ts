/**
 * doctor's Redis check against a real redis-server: version and round trip when it answers, FAIL with a
 * fix naming the URL (never the password) when it does not, and its place in `runDoctor`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatChecks } from '../../src/cli/doctor.js';
import { checkRedis, isRedisUrl, runDoctor } from '../../src/doctor/checks.js';
import {
  type RedisServer,
  skipWithoutRedis,
  startRedisServer,
  stopRedisServers,
} from '../helpers/redisServer.js';

const PASSWORD = 'doctor-Pa55word';
const APP_ENV = {
  ZOOM_CLIENT_ID: 'appClientId0001',
  ZOOM_CLIENT_SECRET: 'appClientSecret-0001',
  ZOOM_SECRET_TOKEN: 'webhookSecretToken-0001',
};

/** The server's version as redis-server itself prints it, independently of the check. */
function installedVersion(): string {
  const out = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout;
  return /v=(\S+)/.exec(out)?.[1] ?? 'not found';
}

describe('isRedisUrl', () => {
  it('is true for redis:// and rediss:// only', () => {
    expect(isRedisUrl('redis://localhost')).toBe(true);
    expect(isRedisUrl('REDISS://cache:6380')).toBe(true);
    expect(isRedisUrl('sqlite:./data/rtmskit.db')).toBe(false);
    expect(isRedisUrl('memory:')).toBe(false);
  });
});

describe.skipIf(skipWithoutRedis())('checkRedis', () => {
  let open: RedisServer;
  let guarded: RedisServer;

  beforeAll(async () => {
    [open, guarded] = await Promise.all([startRedisServer(), startRedisServer({ password: PASSWORD })]);
  });

  afterAll(async () => {
    await stopRedisServers([open, guarded]);
  });

  it('passes with the version and a round trip when Redis answers', async () => {
    const result = await checkRedis(open.url);
    expect(result).toMatchObject({ name: 'redis', status: 'pass' });
    expect(result.detail).toContain(`Redis ${installedVersion()} at redis://127.0.0.1:${open.port}/0`);
    expect(result.detail).toMatch(/round trip \d+\.\d ms$/);
  });

  it('passes with a password from the URL or the option, and shows neither', async () => {
    const bare = `redis://127.0.0.1:${guarded.port}`;
    for (const result of [await checkRedis(guarded.url), await checkRedis(bare, { password: PASSWORD })]) {
      expect(result.status).toBe('pass');
      expect(JSON.stringify(result)).not.toContain(PASSWORD);
    }
  });

  it('fails a wrong password with a fix about the password, without showing it', async () => {
    const result = await checkRedis(`redis://:wrong-${PASSWORD}@127.0.0.1:${guarded.port}`);
    expect(result.status).toBe('fail');
    expect(result.fix).toMatch(/password/);
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
  });

  it('fails when Redis is not reachable, with a fix naming the URL without the password', async () => {
    const gone = await startRedisServer();
    const url = `redis://:${PASSWORD}@127.0.0.1:${gone.port}/2`;
    await gone.stop();
    const result = await checkRedis(url);
    expect(result.status).toBe('fail');
    expect(result.detail).toMatch(/ECONNREFUSED/);
    expect(result.fix).toContain(`redis://127.0.0.1:${gone.port}/2`);
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
    const text = formatChecks([result]);
    expect(text).toMatch(/^FAIL {2}redis {2}/m);
    expect(text).toMatch(/^ +fix: start Redis at redis:\/\/127\.0\.0\.1:\d+\/2/m);
  });

  it('runs next to the store check in runDoctor when the store URL is Redis', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'rtmskit-doctor-redis-'));
    const results = await runDoctor({
      env: {
        ...APP_ENV,
        RTMSKIT_STORE_URL: `redis://127.0.0.1:${guarded.port}`,
        RTMSKIT_REDIS_PASSWORD: PASSWORD,
        RTMSKIT_PORT: '0',
      },
      cwd,
      path: cwd,
    }).finally(() => rm(cwd, { recursive: true, force: true }));
    const names = results.map((r) => r.name);
    expect(names.indexOf('redis')).toBe(names.indexOf('store') + 1);
    expect(results.find((r) => r.name === 'store')).toMatchObject({ status: 'pass' });
    expect(results.find((r) => r.name === 'redis')).toMatchObject({ status: 'pass' });
    expect(formatChecks(results)).not.toContain(PASSWORD);
  });
});
