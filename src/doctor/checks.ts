/**
 * `rtmskit doctor`: the checks people do by hand from Zoom's RTMS troubleshooting page, each with a
 * verdict and a one-line fix.
 */
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { createServer, isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { probeWritable } from '../media/folders.js';
import { RECORDINGS_DIR } from '../media/paths.js';
import { isRtmsError } from '../protocol/errors.js';
import { handshakeSignature } from '../protocol/signature.js';
import { ZoomRestClient } from '../rest/ZoomRestClient.js';
import {
  DEFAULT_DATA_DIR,
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_RETENTION,
  loadConfig,
  readEnvFile,
  type ServiceConfig,
} from '../service/config.js';
import { openStore } from '../store/index.js';
import { checkRedis, isRedisUrl } from './redisCheck.js';
import { type CheckResult, result } from './result.js';
import { checkWebhookUrl } from './webhookUrl.js';

export { checkRedis, isRedisUrl, REDIS_CHECK_TIMEOUT_MS } from './redisCheck.js';
export type { CheckResult, CheckStatus } from './result.js';
export { checkWebhookUrl } from './webhookUrl.js';

const run = promisify(execFile);

/** Node.js version rtmskit needs. */
export const MIN_NODE = [20, 19] as const;
/** Time allowed for an external program (ffmpeg) to answer. */
export const TOOL_TIMEOUT_MS = 10_000;

export interface DoctorOptions {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  envFile?: string;
  /** Send a signed `endpoint.url_validation` here and check the answer, as Zoom does. */
  webhookUrl?: string;
  oauthBase?: string;
  /** PATH to look for ffmpeg in (default the environment's). */
  path?: string;
  nodeVersion?: string;
}

export function checkNode(version = process.versions.node): CheckResult {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return ok
    ? result('node', 'pass', `Node.js ${version}`)
    : result(
        'node',
        'fail',
        `Node.js ${version} is too old`,
        `install Node.js ${MIN_NODE.join('.')} or newer`,
      );
}

/** Values pasted with quotes or spaces are a classic cause of "invalid signature". */
function pasteProblem(value: string): string | undefined {
  if (/^["']|["']$/.test(value)) return 'is wrapped in quotes';
  if (/\s/.test(value)) return 'contains white space';
  return undefined;
}

export function checkConfig(options: DoctorOptions): { result: CheckResult; config?: ServiceConfig } {
  let config: ServiceConfig;
  try {
    config = loadConfig(options.envFile ? { envFile: options.envFile } : {}, options.env, options.cwd);
  } catch (err) {
    if (isRtmsError(err)) {
      const detail = err.message.split(' — ')[0] ?? err.message;
      // A malformed value's message already says what is allowed; only where to change it is left.
      const fix = err.fix ?? 'correct the value where it is set: the environment or .env';
      return { result: result('configuration', 'fail', detail, fix) };
    }
    throw err;
  }
  const problems: string[] = [];
  for (const [name, value] of [
    ['ZOOM_CLIENT_ID', config.app.clientId],
    ['ZOOM_CLIENT_SECRET', config.app.clientSecret],
    ['ZOOM_SECRET_TOKEN', config.app.secretToken],
  ] as const) {
    const problem = pasteProblem(value);
    if (problem) problems.push(`${name} ${problem}`);
  }
  // The same view of the settings loadConfig had: `.env` under the real environment.
  const env = { ...readEnvFile(options.envFile ?? join(options.cwd, '.env')), ...options.env };
  const s2sWithoutAccount = !env.ZOOM_ACCOUNT_ID && (env.ZOOM_S2S_CLIENT_ID || env.ZOOM_S2S_CLIENT_SECRET);
  if (s2sWithoutAccount) problems.push('ZOOM_S2S_CLIENT_ID/SECRET are set but ZOOM_ACCOUNT_ID is not');
  if (problems.length > 0) {
    return {
      result: result(
        'configuration',
        'fail',
        problems.join('; '),
        'fix the values in .env: no quotes, no spaces, copied whole from the Marketplace',
      ),
      config,
    };
  }
  const detail = `client id ${config.app.clientId.slice(0, 4)}…, secret token set${config.videoSdk ? ', Video SDK app set' : ''}${config.rest ? `, REST account ${config.rest.accountId}` : ''}`;
  return { result: result('configuration', 'pass', detail), config };
}

/**
 * The data folder and its `recordings/` can be written (the service refuses to start otherwise). A
 * missing `recordings/` is fine: the service makes it. Nothing is left behind.
 */
export async function checkDataDir(dataDir: string): Promise<CheckResult> {
  const recordings = join(dataDir, RECORDINGS_DIR);
  const codeOf = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  try {
    await probeWritable(dataDir);
  } catch (err) {
    return result(
      'data folder',
      'fail',
      `${dataDir} is not writable (${codeOf(err)})`,
      'point RTMSKIT_DATA_DIR at a folder this user can write',
    );
  }
  const existing = await stat(recordings).catch(() => undefined);
  if (existing === undefined) {
    return result('data folder', 'pass', `${dataDir} is writable (recordings/ will be made there)`);
  }
  try {
    if (!existing.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    await probeWritable(recordings);
    return result('data folder', 'pass', `${dataDir} and ${recordings} are writable`);
  } catch (err) {
    return result(
      'data folder',
      'fail',
      `${recordings} is not writable (${codeOf(err)}): rtmskit serve will refuse to start`,
      `make ${recordings} a folder this user can write, or point RTMSKIT_DATA_DIR elsewhere`,
    );
  }
}

/** What the retention settings mean, so nobody is surprised by deletions (or by a full disk). */
export function checkRetention(config: ServiceConfig | undefined): CheckResult {
  const retention = config?.retention ?? DEFAULT_RETENTION;
  const days = (ms: number | undefined) =>
    ms === undefined ? 'forever' : `${Number((ms / 86_400_000).toFixed(3))} days after they end`;
  return result(
    'retention',
    'pass',
    `stream records kept ${days(retention.streamsMs)}, recordings ${days(retention.recordingsMs)} ` +
      '(RTMSKIT_RETENTION_DAYS, RTMSKIT_RECORDING_RETENTION_DAYS); a stream Zoom revokes is deleted at once',
  );
}

/** Time whatever holds the port has to answer `/healthz` before doctor decides it is not rtmskit. */
export const HEALTH_PROBE_TIMEOUT_MS = 1_000;

/** The address to reach a service bound to `host` from this machine (a wildcard bind is reached on loopback). */
function probeUrl(host: string, port: number): string {
  const target = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${isIP(target) === 6 ? `[${target}]` : target}:${port}/healthz`;
}

/** More than this is not a `/healthz` answer. */
const HEALTH_BODY_CAP_BYTES = 1024;

/**
 * True when `http://<host>:<port>/healthz` answers 200 with `{"ok": true}`, as `rtmskit serve` does:
 * the port is held by rtmskit itself, not by some other program.
 *
 * @remarks A plain `http.get` on its own socket, destroyed when done: whatever holds the port (maybe a
 * program that never answers) must not be left with a connection open.
 */
export function isRtmskitService(
  host: string,
  port: number,
  timeoutMs: number = HEALTH_PROBE_TIMEOUT_MS,
): Promise<boolean> {
  return new Promise((done) => {
    let settled = false;
    const finish = (answer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      done(answer);
    };
    const req = httpGet(probeUrl(host, port), { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > HEALTH_BODY_CAP_BYTES) finish(false);
        else chunks.push(chunk);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return finish(false);
        try {
          const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          finish(typeof body === 'object' && body !== null && (body as { ok?: unknown }).ok === true);
        } catch {
          finish(false);
        }
      });
      res.on('error', () => finish(false));
    });
    // Not HTTP, refused, or too slow: something else holds the port.
    req.on('error', () => finish(false));
    const timer = setTimeout(() => finish(false), timeoutMs);
  });
}

/**
 * The port `rtmskit serve` would listen on is free. Held by a running rtmskit service it is a warning,
 * not a failure: doctor is often run next to the service it checks.
 */
export async function checkPort(host: string, port: number): Promise<CheckResult> {
  const error = await new Promise<NodeJS.ErrnoException | undefined>((done) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => done(err));
    server.listen(port, host, () => server.close(() => done(undefined)));
  });
  if (error === undefined) return result('port', 'pass', `${host}:${port} is free`);
  if (error.code !== 'EADDRINUSE') {
    return result(
      'port',
      'fail',
      `cannot listen on ${host}:${port} (${error.code ?? error.message})`,
      'set RTMSKIT_HOST to a local address',
    );
  }
  if (await isRtmskitService(host, port)) {
    return result(
      'port',
      'warn',
      `${host}:${port} is in use by a running rtmskit service`,
      'fine if it is the service being checked; to start another rtmskit serve, stop this one or set RTMSKIT_PORT',
    );
  }
  return result('port', 'fail', `${host}:${port} is in use`, 'stop the other process or set RTMSKIT_PORT');
}

export async function checkStore(storeUrl: string, redisPassword?: string): Promise<CheckResult> {
  try {
    const store = await openStore(storeUrl, redisPassword === undefined ? {} : { redisPassword });
    try {
      await store.ping();
      return result('store', 'pass', `${store.kind} at ${store.location}`);
    } finally {
      await store.close();
    }
  } catch (err) {
    return result(
      'store',
      'fail',
      (err as Error).message.split(' — ')[0] ?? String(err),
      isRtmsError(err) ? err.fix : 'check RTMSKIT_STORE_URL',
    );
  }
}

/**
 * FFmpeg and its encoders. Missing, it is a warning, or a failure when `RTMSKIT_ENCODE` asks for copies
 * (`encode`): then every recording would end with a failed encoding.
 */
export async function checkFfmpeg(path?: string, encode: readonly string[] = []): Promise<CheckResult> {
  const env = path === undefined ? process.env : { ...process.env, PATH: path };
  const ffmpeg = (args: string[]) =>
    run('ffmpeg', ['-hide_banner', ...args], { env, timeout: TOOL_TIMEOUT_MS, maxBuffer: 8 * 1024 * 1024 });
  let version: string;
  try {
    const { stdout } = await run('ffmpeg', ['-version'], { env, timeout: TOOL_TIMEOUT_MS });
    version = /ffmpeg version (\S+)/.exec(stdout)?.[1] ?? 'unknown version';
  } catch {
    if (encode.length > 0) {
      return result(
        'ffmpeg',
        'fail',
        `ffmpeg is not on the PATH, and RTMSKIT_ENCODE asks for ${encode.join(', ')}: no recording would get its copies (the WAV files are still written)`,
        'install FFmpeg (apt-get install ffmpeg, brew install ffmpeg) and make sure it is on the PATH, or unset RTMSKIT_ENCODE',
      );
    }
    return result(
      'ffmpeg',
      'warn',
      'ffmpeg is not on the PATH: recordings still work (WAV, JPG/PNG, H.264 as received); Opus/MP3 copies, MP4, and decoding G.722 and Opus audio need it',
      'install FFmpeg (apt-get install ffmpeg, brew install ffmpeg) and make sure it is on the PATH',
    );
  }
  const [{ stdout: encoders }, { stdout: decoders }, { stdout: muxers }] = await Promise.all([
    ffmpeg(['-encoders']),
    ffmpeg(['-decoders']),
    ffmpeg(['-muxers']),
  ]);
  const has = (list: string, name: string) => new RegExp(`^\\s*\\S+\\s+${name}\\s`, 'm').test(list);
  // What each part of rtmskit's post-processing runs FFmpeg with.
  const parts = [
    { name: 'Opus', ok: has(encoders, 'libopus'), format: 'opus', fix: 'libopus' },
    { name: 'MP3', ok: has(encoders, 'libmp3lame'), format: 'mp3', fix: 'libmp3lame' },
    {
      name: 'MP4',
      ok: has(muxers, 'mp4') && has(encoders, 'aac'),
      format: 'mp4',
      fix: 'the mp4 muxer and aac',
    },
    { name: 'H.264 from JPG/PNG', ok: has(encoders, 'libx264'), format: undefined, fix: 'libx264' },
    {
      name: 'G.722 and Opus decoding',
      ok: has(decoders, 'g722') && has(decoders, 'opus'),
      format: undefined,
      fix: 'the g722 and opus decoders',
    },
  ];
  const detail = `ffmpeg ${version}: ${parts.map((p) => `${p.name} ${p.ok ? 'yes' : 'no'}`).join(', ')}`;
  const missing = parts.filter((p) => !p.ok);
  if (missing.length === 0) return result('ffmpeg', 'pass', detail);
  const needed = missing.filter((p) => p.format !== undefined && encode.includes(p.format));
  return result(
    'ffmpeg',
    needed.length > 0 ? 'fail' : 'warn',
    needed.length > 0
      ? `${detail}; RTMSKIT_ENCODE asks for ${needed.map((p) => p.format).join(', ')}`
      : detail,
    `install an FFmpeg build with ${missing.map((p) => p.fix).join(', ')} (Debian's ffmpeg package has them all)`,
  );
}

/** rtmskit's signature against an independent HMAC of a fixed vector. */
export function checkSignature(): CheckResult {
  const input = {
    clientId: 'doctor-client',
    clientSecret: 'doctor-secret',
    instanceId: 'f3nq/Fu+Qs6fX1x9lCmb2g==',
    streamId: '0123456789abcdef0123456789abcdef',
  };
  const independent = createHmac('sha256', input.clientSecret)
    .update(`${input.clientId},${input.instanceId},${input.streamId}`)
    .digest('hex');
  const ours = handshakeSignature(input);
  return ours === independent
    ? result(
        'handshake signature',
        'pass',
        'HMAC-SHA256(client secret, "clientId,instanceId,streamId"), lowercase hex; `rtmskit signature` prints it for an event',
      )
    : result(
        'handshake signature',
        'fail',
        `self-test mismatch: ${ours} ≠ ${independent}`,
        'report this as an rtmskit bug',
      );
}

export async function checkOAuth(
  config: ServiceConfig | undefined,
  oauthBase?: string,
): Promise<CheckResult> {
  const rest = config?.rest;
  if (!rest)
    return result(
      'REST OAuth',
      'skip',
      'no ZOOM_ACCOUNT_ID: REST control (rtmskit rtms start|stop) not configured',
    );
  try {
    const client = new ZoomRestClient({ ...rest, ...(oauthBase ? { oauthBase } : {}) });
    await client.accessToken();
    return result('REST OAuth', 'pass', `token issued for account ${rest.accountId}`);
  } catch (err) {
    return result(
      'REST OAuth',
      'fail',
      (err as Error).message.split(' — ')[0] ?? String(err),
      isRtmsError(err) ? err.fix : undefined,
    );
  }
}

/** Runs every check, in order. */
export async function runDoctor(options: DoctorOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [checkNode(options.nodeVersion)];
  const { result: configResult, config } = checkConfig(options);
  results.push(configResult);
  const dataDir = config?.dataDir ?? resolve(options.cwd, options.env.RTMSKIT_DATA_DIR ?? DEFAULT_DATA_DIR);
  results.push(await checkDataDir(dataDir));
  results.push(await checkPort(config?.host ?? DEFAULT_HOST, config?.port ?? DEFAULT_PORT));
  const storeUrl = config?.storeUrl ?? `sqlite:${join(dataDir, 'rtmskit.db')}`;
  const redisPassword = config?.redisPassword ?? options.env.RTMSKIT_REDIS_PASSWORD;
  results.push(await checkStore(storeUrl, redisPassword));
  if (isRedisUrl(storeUrl)) {
    results.push(await checkRedis(storeUrl, redisPassword === undefined ? {} : { password: redisPassword }));
  }
  results.push(checkRetention(config));
  results.push(await checkFfmpeg(options.path, config?.encode ?? []));
  results.push(checkSignature());
  results.push(await checkOAuth(config, options.oauthBase));
  if (options.webhookUrl) results.push(await checkWebhookUrl(options.webhookUrl, config));
  return results;
}
