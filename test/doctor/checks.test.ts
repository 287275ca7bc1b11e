/**
 * Each doctor check passing and failing, against real things on loopback: a held port, the simulator's
 * OAuth endpoint, a running RtmsService, hand-rolled HTTP servers, the real ffmpeg.
 */
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { formatChecks } from '../../src/cli/doctor.js';
import {
  type CheckResult,
  checkConfig,
  checkDataDir,
  checkFfmpeg,
  checkNode,
  checkOAuth,
  checkPort,
  checkRetention,
  checkSignature,
  checkStore,
  checkWebhookUrl,
  runDoctor,
} from '../../src/doctor/checks.js';
import { loadConfig, type ServiceConfig } from '../../src/service/config.js';
import { RtmsService } from '../../src/service/Service.js';
import { Simulator } from '../../src/simulator/index.js';
import { Cleanups } from '../cleanups.js';

const APP = {
  clientId: 'appClientId0001',
  clientSecret: 'appClientSecret-0001',
  secretToken: 'webhookSecretToken-0001',
};
const ACCOUNT_ID = 'sim-account';
const APP_ENV = {
  ZOOM_CLIENT_ID: APP.clientId,
  ZOOM_CLIENT_SECRET: APP.clientSecret,
  ZOOM_SECRET_TOKEN: APP.secretToken,
};

/** ffmpeg on this machine's PATH, looked up independently of the code under test. */
const FFMPEG_INSTALLED = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).error === undefined;
const IN_CI = process.env.CI === 'true';

const cleanups = new Cleanups();

afterEach(() => cleanups.run());

const tempDir = () => cleanups.tempDir('rtmskit-doctor-');

/**
 * Connections each server accepted. doctor's port check now connects to whatever holds the port, and a
 * bare net server never reads from it, so it would not notice the probe hang up: close() would wait forever.
 */
const accepted = new WeakMap<NetServer | HttpServer, Set<Socket>>();

function listen(server: NetServer | HttpServer, port = 0): Promise<number> {
  const sockets = new Set<Socket>();
  accepted.set(server, sockets);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('no port'));
      else resolve(address.port);
    });
  });
}

function closeServer(server: NetServer | HttpServer): Promise<void> {
  for (const socket of accepted.get(server) ?? []) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on (it was free a moment ago). */
async function freePort(): Promise<number> {
  const server = createNetServer();
  const port = await listen(server);
  await closeServer(server);
  return port;
}

function configOf(env: Record<string, string>, cwd: string): ServiceConfig {
  return loadConfig(
    { port: 0, dataDir: join(cwd, 'data'), storeUrl: 'memory:', logLevel: 'silent' },
    env,
    cwd,
  );
}

async function startSimulator(): Promise<Simulator> {
  const sim = await Simulator.start({
    credentials: { ...APP, accountId: ACCOUNT_ID },
    streams: 0,
    timeScale: 1,
  });
  cleanups.add(() => sim.close());
  return sim;
}

async function startService(cwd: string): Promise<RtmsService> {
  const service = await RtmsService.start(configOf(APP_ENV, cwd), { logger: pino({ level: 'silent' }) });
  cleanups.add(() => service.shutdown());
  return service;
}

/** An HTTP server that answers every request with `answer(body)`. */
async function httpServer(answer: (body: string) => { status: number; body: string }): Promise<string> {
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { status, body } = answer(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  const port = await listen(server);
  cleanups.add(() => closeServer(server));
  return `http://127.0.0.1:${port}/webhook`;
}

function byName(results: readonly CheckResult[], name: string): CheckResult {
  const found = results.find((r) => r.name === name);
  if (!found) throw new Error(`no check named ${name} in ${results.map((r) => r.name).join(', ')}`);
  return found;
}

describe('checkNode', () => {
  it('passes 20.20.0 and 22.1.0, fails 20.18.1 with an install fix', () => {
    expect(checkNode('20.20.0')).toMatchObject({ name: 'node', status: 'pass' });
    expect(checkNode('22.1.0')).toMatchObject({ name: 'node', status: 'pass' });
    expect(checkNode('20.19.0').status).toBe('pass');
    const old = checkNode('20.18.1');
    expect(old.status).toBe('fail');
    expect(old.detail).toContain('20.18.1');
    expect(old.fix).toContain('20.19');
  });
});

describe('checkConfig', () => {
  it('fails naming every missing variable, with a fix that mentions .env', async () => {
    const cwd = await tempDir();
    const { result, config } = checkConfig({ env: {}, cwd });
    expect(result.status).toBe('fail');
    expect(config).toBeUndefined();
    for (const name of ['ZOOM_CLIENT_ID', 'ZOOM_CLIENT_SECRET', 'ZOOM_SECRET_TOKEN'])
      expect(result.detail).toContain(name);
    expect(result.fix).toContain('.env');
  });

  it('fails naming a value wrapped in quotes', async () => {
    const cwd = await tempDir();
    const { result } = checkConfig({ env: { ...APP_ENV, ZOOM_CLIENT_SECRET: `"${APP.clientSecret}"` }, cwd });
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('ZOOM_CLIENT_SECRET is wrapped in quotes');
    expect(result.detail).not.toContain('ZOOM_CLIENT_ID');
    expect(result.fix).toContain('no quotes');
  });

  it('fails naming a value with a space inside', async () => {
    const cwd = await tempDir();
    const { result } = checkConfig({ env: { ...APP_ENV, ZOOM_SECRET_TOKEN: 'half token' }, cwd });
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('ZOOM_SECRET_TOKEN contains white space');
  });

  it('fails when an S2S client id is set without ZOOM_ACCOUNT_ID (environment)', async () => {
    const cwd = await tempDir();
    const { result } = checkConfig({ env: { ...APP_ENV, ZOOM_S2S_CLIENT_ID: 's2sClientId' }, cwd });
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('ZOOM_ACCOUNT_ID');
  });

  // .env is where these usually live: the check must see what loadConfig sees, not only the environment.
  it('fails when an S2S client id is set without ZOOM_ACCOUNT_ID (.env file)', async () => {
    const cwd = await tempDir();
    await writeFile(
      join(cwd, '.env'),
      `${Object.entries({ ...APP_ENV, ZOOM_S2S_CLIENT_ID: 's2sClientId' })
        .map(([k, v]) => `${k}=${v}`)
        .join('\n')}\n`,
    );
    const { result } = checkConfig({ env: {}, cwd });
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('ZOOM_ACCOUNT_ID');
  });

  it('passes a complete configuration without printing any secret', async () => {
    const cwd = await tempDir();
    const env = {
      ...APP_ENV,
      ZOOM_ACCOUNT_ID: ACCOUNT_ID,
      ZOOM_S2S_CLIENT_ID: 's2sClientId',
      ZOOM_S2S_CLIENT_SECRET: 's2sClientSecret-XYZ',
    };
    const { result, config } = checkConfig({ env, cwd });
    expect(result.status).toBe('pass');
    expect(result.fix).toBeUndefined();
    expect(result.detail).toContain(ACCOUNT_ID);
    for (const secret of [APP.clientSecret, APP.secretToken, env.ZOOM_S2S_CLIENT_SECRET])
      expect(result.detail).not.toContain(secret);
    expect(config?.rest).toEqual({
      accountId: ACCOUNT_ID,
      clientId: 's2sClientId',
      clientSecret: 's2sClientSecret-XYZ',
    });
  });
});

describe('checkDataDir', () => {
  it('passes a writable folder and leaves no probe file behind', async () => {
    const dir = await tempDir();
    const result = await checkDataDir(join(dir, 'data'));
    expect(result).toMatchObject({ name: 'data folder', status: 'pass' });
    expect(await readdir(join(dir, 'data'))).toEqual([]);
  });

  it('fails a folder under a regular file, with the fix', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'file.txt'), 'not a folder');
    const result = await checkDataDir(join(dir, 'file.txt', 'data'));
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('is not writable');
    expect(result.detail).toMatch(/ENOTDIR|EEXIST/);
    expect(result.fix).toContain('RTMSKIT_DATA_DIR');
  });

  it('fails a data folder whose recordings/ cannot be written, naming it', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'recordings'), 'not a folder');
    const result = await checkDataDir(dir);
    expect(result.status).toBe('fail');
    expect(result.detail).toContain(join(dir, 'recordings'));
    expect(result.detail).toMatch(/ENOTDIR/);
    expect(result.fix).toContain(join(dir, 'recordings'));
  });

  it('passes a data folder with a writable recordings/', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'recordings'));
    const result = await checkDataDir(dir);
    expect(result).toMatchObject({ status: 'pass' });
    expect(result.detail).toContain(join(dir, 'recordings'));
    expect(await readdir(join(dir, 'recordings'))).toEqual([]);
  });
});

describe('checkRetention', () => {
  it('says how long streams and recordings are kept, and that revoked ones go at once', () => {
    const dir = '/nonexistent';
    const env = { ZOOM_CLIENT_ID: 'a', ZOOM_CLIENT_SECRET: 'b', ZOOM_SECRET_TOKEN: 'c' };
    expect(checkRetention(loadConfig({}, env, dir)).detail).toMatch(
      /stream records kept 30 days after they end, recordings 30 days after they end/,
    );
    const custom = loadConfig(
      {},
      { ...env, RTMSKIT_RETENTION_DAYS: '0', RTMSKIT_RECORDING_RETENTION_DAYS: '7' },
      dir,
    );
    expect(checkRetention(custom)).toMatchObject({ name: 'retention', status: 'pass' });
    expect(checkRetention(custom).detail).toMatch(
      /stream records kept forever, recordings 7 days after they end/,
    );
    expect(checkRetention(custom).detail).toMatch(/revokes is deleted at once/);
  });
});

describe('checkPort', () => {
  it('passes a free port', async () => {
    const port = await freePort();
    expect(await checkPort('127.0.0.1', port)).toMatchObject({
      name: 'port',
      status: 'pass',
      detail: `127.0.0.1:${port} is free`,
    });
  });

  it('fails a port held by another server as in use', async () => {
    const holder = createNetServer();
    const port = await listen(holder);
    try {
      const result = await checkPort('127.0.0.1', port);
      expect(result.status).toBe('fail');
      expect(result.detail).toBe(`127.0.0.1:${port} is in use`);
      expect(result.fix).toContain('RTMSKIT_PORT');
    } finally {
      await closeServer(holder);
    }
  });

  it('warns, not fails, when a running rtmskit service holds the port', async () => {
    const service = await startService(await tempDir());
    const port = Number(new URL(service.url).port);
    const result = await checkPort('127.0.0.1', port);
    expect(result).toMatchObject({
      name: 'port',
      status: 'warn',
      detail: `127.0.0.1:${port} is in use by a running rtmskit service`,
    });
    expect(result.fix).toContain('RTMSKIT_PORT');
  });

  it.each([
    [200, '{"ok":false}'],
    [404, '{"ok":true}'],
    [200, 'ok'],
  ])('fails when another HTTP server holds the port (/healthz answers %i %s)', async (status, body) => {
    const url = await httpServer(() => ({ status, body }));
    const port = Number(new URL(url).port);
    const result = await checkPort('127.0.0.1', port);
    expect(result.status).toBe('fail');
    expect(result.detail).toBe(`127.0.0.1:${port} is in use`);
  });
});

describe('checkStore', () => {
  it('passes a SQLite file in a temp folder', async () => {
    const dir = await tempDir();
    const path = join(dir, 'rtmskit.db');
    const result = await checkStore(`sqlite:${path}`);
    expect(result.status).toBe('pass');
    expect(result.detail).toContain('sqlite');
    expect(result.detail).toContain(path);
  });

  it('fails a Redis URL nothing answers on, naming it without the password', async () => {
    const port = await freePort();
    const result = await checkStore(`redis://:hunter2@127.0.0.1:${port}`);
    expect(result.status).toBe('fail');
    expect(result.detail).toContain(`redis://127.0.0.1:${port}/0 cannot be reached`);
    expect(result.fix).toContain(`start Redis at redis://127.0.0.1:${port}/0`);
    expect(JSON.stringify(result)).not.toContain('hunter2');
  });
});

describe('checkFfmpeg', () => {
  it('passes with the version when ffmpeg is on the real PATH', async (ctx) => {
    if (!FFMPEG_INSTALLED) {
      if (IN_CI) expect.fail('ffmpeg is not installed, and CI=true requires it: install ffmpeg');
      console.warn('SKIPPED checkFfmpeg (real PATH): ffmpeg is not installed (apt-get install ffmpeg)');
      ctx.skip();
    }
    const result = await checkFfmpeg();
    expect(result.status).toBe('pass');
    expect(result.detail).toMatch(
      /^ffmpeg \S*\d\S*: Opus yes, MP3 yes, MP4 yes, H\.264 from JPG\/PNG yes, G\.722 and Opus decoding yes$/,
    );
  });

  it('warns with the install fix when the PATH holds no ffmpeg', async () => {
    const empty = await tempDir();
    const result = await checkFfmpeg(empty);
    expect(result.status).toBe('warn');
    expect(result.detail).toContain('ffmpeg is not on the PATH');
    expect(result.fix).toContain('install FFmpeg');
  });

  it('fails when RTMSKIT_ENCODE asks for copies and the PATH holds no ffmpeg', async () => {
    const empty = await tempDir();
    const result = await checkFfmpeg(empty, ['opus', 'mp3']);
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('RTMSKIT_ENCODE asks for opus, mp3');
    expect(result.fix).toContain('unset RTMSKIT_ENCODE');
  });
});

describe('checkSignature', () => {
  it('passes its self-test', () => {
    expect(checkSignature()).toMatchObject({ name: 'handshake signature', status: 'pass' });
  });
});

describe('checkOAuth', () => {
  it('skips without REST configuration', async () => {
    const cwd = await tempDir();
    const result = await checkOAuth(configOf(APP_ENV, cwd), 'http://127.0.0.1:9');
    expect(result).toMatchObject({ name: 'REST OAuth', status: 'skip' });
    expect(result.detail).toContain('ZOOM_ACCOUNT_ID');
  });

  it('passes against the simulator with matching S2S credentials', async () => {
    const [sim, cwd] = await Promise.all([startSimulator(), tempDir()]);
    const config = configOf({ ...APP_ENV, ZOOM_ACCOUNT_ID: ACCOUNT_ID }, cwd);
    expect(config.rest).toEqual({
      accountId: ACCOUNT_ID,
      clientId: APP.clientId,
      clientSecret: APP.clientSecret,
    });
    const result = await checkOAuth(config, sim.url);
    expect(result.status).toBe('pass');
    expect(result.detail).toContain(ACCOUNT_ID);
  });

  it('fails a wrong secret with a fix naming ZOOM_S2S_CLIENT_SECRET', async () => {
    const [sim, cwd] = await Promise.all([startSimulator(), tempDir()]);
    const config = configOf(
      { ...APP_ENV, ZOOM_ACCOUNT_ID: ACCOUNT_ID, ZOOM_S2S_CLIENT_SECRET: 'wrong-secret' },
      cwd,
    );
    const result = await checkOAuth(config, sim.url);
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('HTTP 401');
    expect(result.fix).toContain('ZOOM_S2S_CLIENT_SECRET');
  });

  it('fails a wrong account with a fix naming ZOOM_ACCOUNT_ID', async () => {
    const [sim, cwd] = await Promise.all([startSimulator(), tempDir()]);
    const config = configOf({ ...APP_ENV, ZOOM_ACCOUNT_ID: 'another-account' }, cwd);
    const result = await checkOAuth(config, sim.url);
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('HTTP 400');
    expect(result.fix).toContain('ZOOM_ACCOUNT_ID');
  });
});

describe('checkWebhookUrl', () => {
  const FIX_PART = 'ZOOM_SECRET_TOKEN';

  it('passes against a running RtmsService with the same secret token', async () => {
    const cwd = await tempDir();
    const service = await startService(cwd);
    const url = `${service.url}${service.config.webhookPath}`;
    const result = await checkWebhookUrl(url, configOf(APP_ENV, cwd));
    expect(result.status).toBe('pass');
    expect(result.detail).toContain('HTTP 200');
  });

  it('fails a 200 whose encryptedToken uses another secret', async () => {
    const cwd = await tempDir();
    const url = await httpServer((body) => {
      const plainToken = (JSON.parse(body) as { payload: { plainToken: string } }).payload.plainToken;
      const encryptedToken = createHmac('sha256', 'another-secret').update(plainToken).digest('hex');
      return { status: 200, body: JSON.stringify({ plainToken, encryptedToken }) };
    });
    const result = await checkWebhookUrl(url, configOf(APP_ENV, cwd));
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('encryptedToken is not');
    expect(result.fix).toContain(FIX_PART);
  });

  it('fails a 404', async () => {
    const cwd = await tempDir();
    const url = await httpServer(() => ({ status: 404, body: '{"message":"not found"}' }));
    const result = await checkWebhookUrl(url, configOf(APP_ENV, cwd));
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('HTTP 404');
    expect(result.fix).toContain(FIX_PART);
  });

  it('fails a closed port', async () => {
    const cwd = await tempDir();
    const url = `http://127.0.0.1:${await freePort()}/webhook`;
    const result = await checkWebhookUrl(url, configOf(APP_ENV, cwd));
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('connection failed');
  });
});

describe('runDoctor', () => {
  it('passes every check for a complete .env, a free port, the simulator and a live service', async () => {
    const [sim, cwd, serviceDir] = await Promise.all([startSimulator(), tempDir(), tempDir()]);
    const service = await startService(serviceDir);
    const port = await freePort();
    await writeFile(
      join(cwd, '.env'),
      [
        `ZOOM_CLIENT_ID=${APP.clientId}`,
        `ZOOM_CLIENT_SECRET=${APP.clientSecret}`,
        `ZOOM_SECRET_TOKEN=${APP.secretToken}`,
        `ZOOM_ACCOUNT_ID=${ACCOUNT_ID}`,
        `RTMSKIT_PORT=${port}`,
        'RTMSKIT_DATA_DIR=data',
        '',
      ].join('\n'),
    );
    const results = await runDoctor({
      env: {},
      cwd,
      oauthBase: sim.url,
      webhookUrl: `${service.url}/webhook`,
    });
    expect(results.map((r) => r.name)).toEqual([
      'node',
      'configuration',
      'data folder',
      'port',
      'store',
      'retention',
      'ffmpeg',
      'handshake signature',
      'REST OAuth',
      'webhook URL',
    ]);
    for (const r of results) {
      if (r.name === 'ffmpeg' && !FFMPEG_INSTALLED && !IN_CI) expect(r.status).toBe('warn');
      else expect(r, r.name).toMatchObject({ status: 'pass' });
    }
    expect(byName(results, 'data folder').detail).toContain(join(cwd, 'data'));
    expect(byName(results, 'store').detail).toContain(join(cwd, 'data', 'rtmskit.db'));
    const text = formatChecks(results);
    expect(text).toMatch(/^PASS {2}node {2,}Node\.js /m);
    expect(text).not.toContain('FAIL');
    expect(text.split('\n').at(-1)).toMatch(/^all checks passed/);
  });

  it('reports failures with FAIL and fix: lines', async () => {
    const cwd = await tempDir();
    await writeFile(join(cwd, 'file.txt'), 'not a folder');
    const holder = createNetServer();
    const port = await listen(holder);
    cleanups.add(() => closeServer(holder));
    const results = await runDoctor({
      env: { ...APP_ENV, RTMSKIT_PORT: String(port), RTMSKIT_DATA_DIR: 'file.txt/data' },
      cwd,
      nodeVersion: '20.18.1',
      path: cwd,
    });
    const failed = results.filter((r) => r.status === 'fail').map((r) => r.name);
    expect(failed).toEqual(['node', 'data folder', 'port', 'store']);
    expect(byName(results, 'configuration').status).toBe('pass');
    expect(byName(results, 'ffmpeg').status).toBe('warn');
    expect(byName(results, 'REST OAuth').status).toBe('skip');

    const lines = formatChecks(results).split('\n');
    for (const name of failed) {
      const index = lines.findIndex((l) => l.startsWith(`FAIL  ${name} `));
      expect(index, name).toBeGreaterThanOrEqual(0);
      expect(lines[index + 1]).toMatch(/^ +fix: \S/);
    }
    const warn = lines.findIndex((l) => l.startsWith('WARN  ffmpeg '));
    expect(lines[warn + 1]).toMatch(/^ +fix: install FFmpeg/);
    expect(lines.find((l) => l.startsWith('SKIP  REST OAuth '))).toBeDefined();
    expect(lines.filter((l) => l.trimStart().startsWith('fix:'))).toHaveLength(5);
    expect(lines.at(-1)).toBe('4 checks failed');
  });
});
