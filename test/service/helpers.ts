/**
 * Helpers for the service tests: WAV headers read byte by byte, recording folders found on disk, Prometheus
 * text parsed, signed webhook requests, and child processes of the CLI. Everything stays on loopback.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { StreamRef } from '../../src/manager/StreamManager.js';
import type { RecordingManifest } from '../../src/media/manifest.js';
import type { NotifierTuning } from '../../src/outputs/notify/Notifier.js';
import { type AppCredentials, loadConfig, type ServiceConfig } from '../../src/service/config.js';
import { createLogger } from '../../src/service/logger.js';
import { RtmsService } from '../../src/service/Service.js';
import { parseFault, type SimStreamInfo, Simulator } from '../../src/simulator/index.js';
import type { Cleanups } from '../cleanups.js';
import { sleep } from '../media/helpers.js';
import { signedHeaders } from '../webhook/helpers.js';

export {
  AUDIO_TEXT_FILES,
  expectManifestFiles,
  L16_MONO_16K_HEADER,
  parseWav as parseWavHeader,
  readJsonl,
  readWav as readWavHeader,
  sleep,
  type WavFile as WavHeader,
} from '../media/helpers.js';
export { sign, signedHeaders } from '../webhook/helpers.js';

/** The repository's root folder. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The CLI's entry point, run from source. */
export const CLI_MAIN = join(REPO_ROOT, 'src', 'cli', 'main.ts');
/**
 * tsx's loader as a file URL: children run in a temporary folder (so no `.env` of the repository is read),
 * where the bare `--import tsx` would not resolve.
 */
export const TSX_LOADER = pathToFileURL(join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

export { WAV_HEADER_BYTES } from '../../src/media/WavWriter.js';

/** User id of participant 0; participant i is FIRST_USER_ID + i. */
export { FIRST_USER_ID } from '../../src/simulator/content/scenario.js';

/** Polls `probe` (sync or async) until it returns something other than undefined/false. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------------
// Recordings on disk

/** Every folder under `<dataDir>/recordings/` that holds a `manifest.json`. */
export async function recordingFolders(dataDir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(join(dataDir, 'recordings'), { recursive: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.endsWith('manifest.json') && !e.endsWith('.tmp'))
    .map((e) => dirname(join(dataDir, 'recordings', e)))
    .sort();
}

export async function readJson<T = Record<string, unknown>>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

// ---------------------------------------------------------------------------------------------------
// Prometheus text

/**
 * Sum of the samples of `name` whose labels include every pair of `labels` (all samples of `name` when
 * `labels` is empty); undefined when no sample matches.
 */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line.trim());
    if (!match || match[1] !== name) continue;
    const labelText = match[2] ?? '';
    const ok = Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`));
    if (!ok) continue;
    sum = (sum ?? 0) + Number(match[3]);
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------------
// HTTP

export interface HttpAnswer {
  status: number;
  body: string;
}

/** POSTs `body` to a webhook URL, signed with `secret` (at `tsSeconds`) unless headers are given. */
export async function postWebhook(
  url: string,
  body: string | Buffer,
  options: { secret?: string; tsSeconds?: number; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const headers =
    options.headers ??
    signedHeaders(options.secret ?? '', body, options.tsSeconds ?? Math.floor(Date.now() / 1000));
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, body: await response.text() };
}

export async function getText(url: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const response = await fetch(url, { headers });
  return { status: response.status, body: await response.text() };
}

/** A port that was free a moment ago (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

// ---------------------------------------------------------------------------------------------------
// Child processes of the CLI

export interface CliChild {
  child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<number | string>;
  /** SIGKILLs the process if it still runs and waits for it. Idempotent. */
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Environment for a child: PATH and temp/home folders only, plus `extra` (no RTMSKIT_/ZOOM_ leaks). */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'SYSTEMROOT']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs `node --import tsx src/cli/main.ts …args` in `cwd`. */
export function runCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): CliChild {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI_MAIN, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  // Streams may still hold data when 'exit' fires: wait for 'close' before answering.
  const closed = new Promise<number | string>((resolve) => {
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return closed;
  };
  return { child, stdout: () => out, stderr: () => err, exited: closed.then(() => exited), kill };
}

/** Log lines of a child (pino JSON), parsed; other lines are skipped. */
export function logLines(child: CliChild): Record<string, unknown>[] {
  return child
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
}

/** The end of a child's output, for assertion messages. */
export function describeChild(child: CliChild): string {
  return `stdout:\n${child.stdout().slice(-4000)}\nstderr:\n${child.stderr().slice(-4000)}`;
}

/**
 * Runs `rtmskit serve --port <port> …args` in `cwd` and resolves once it answers `/healthz` on
 * 127.0.0.1; rejects with its output when it exits first.
 */
export async function serveChild(
  options: { cwd: string; env: NodeJS.ProcessEnv; port: number; args?: readonly string[] },
  timeoutMs = 30_000,
): Promise<CliChild> {
  const child = runCli(
    ['serve', '--port', String(options.port), ...(options.args ?? [])],
    options.cwd,
    options.env,
  );
  try {
    await waitFor(
      async () => {
        if (child.child.exitCode !== null) throw new Error(`serve exited early\n${describeChild(child)}`);
        try {
          return (await fetch(`http://127.0.0.1:${options.port}/healthz`)).status === 200;
        } catch {
          return false;
        }
      },
      'rtmskit serve to answer /healthz',
      timeoutMs,
      50,
    );
  } catch (error) {
    await child.kill('SIGKILL');
    throw error;
  }
  return child;
}

// ---------------------------------------------------------------------------------------------------
// The service in this process

/** A random credential. */
export function randomToken(): string {
  return randomBytes(12).toString('base64url');
}

export interface InProcessService {
  service: RtmsService;
  config: ServiceConfig;
  app: AppCredentials;
  /** `http://127.0.0.1:<port>`. */
  base: string;
  port: number;
  /** The working folder the data folder (`data/`) is in. */
  cwd: string;
  /** Every log line so far, parsed. */
  logs(): Record<string, unknown>[];
  finalized: { manifest: RecordingManifest; ref: StreamRef }[];
}

/**
 * Starts the service on 127.0.0.1 port 0 with fresh credentials, loopback servers allowed, `env` on top,
 * in `cwd` (a new temporary folder by default); it is shut down by `cleanups`.
 */
export async function startInProcessService(
  cleanups: Cleanups,
  env: Record<string, string> = {},
  options: {
    cwd?: string;
    now?: () => number;
    notifyTuning?: NotifierTuning;
    /** Default: any free port. */
    port?: number;
    /** Default: new credentials. */
    app?: { clientId: string; clientSecret: string; secretToken: string };
  } = {},
): Promise<InProcessService> {
  const cwd = options.cwd ?? (await cleanups.tempDir('rtmskit-service-'));
  const app = options.app ?? {
    clientId: `svc_${randomToken()}`,
    clientSecret: randomToken(),
    secretToken: randomToken(),
  };
  const config = loadConfig(
    { port: options.port ?? 0, dataDir: 'data' },
    {
      ZOOM_CLIENT_ID: app.clientId,
      ZOOM_CLIENT_SECRET: app.clientSecret,
      ZOOM_SECRET_TOKEN: app.secretToken,
      RTMSKIT_ALLOW_LOOPBACK: '1',
      ...env,
    },
    cwd,
  );
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const finalized: InProcessService['finalized'] = [];
  const service = await RtmsService.start(config, {
    logger: createLogger({ level: 'info', pretty: false, destination }),
    onRecordingFinalized: (manifest, ref) => finalized.push({ manifest, ref }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.notifyTuning === undefined ? {} : { notifyTuning: options.notifyTuning }),
  });
  cleanups.add(() => service.shutdown());
  const port = Number(new URL(service.url).port);
  const logs = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { service, config, app, base: `http://127.0.0.1:${port}`, port, cwd, logs, finalized };
}

/**
 * One simulated meeting of three through an in-process service with `env`: resolves once its recording
 * is published as finished (encoded copies included), with the service and the recording's folder.
 */
export async function recordMeeting(
  cleanups: Cleanups,
  env: Record<string, string>,
  options: { cwd?: string; durationMs?: number; participants?: number; faults?: string[] } = {},
): Promise<{ svc: InProcessService; dir: string; sim: Simulator; stream: SimStreamInfo }> {
  const svc = await startInProcessService(
    cleanups,
    env,
    options.cwd === undefined ? {} : { cwd: options.cwd },
  );
  const finished: string[] = [];
  svc.service.bus.subscribe({ types: new Set(['recordingFinished']) }, (event) =>
    finished.push(String(event.data.dir)),
  );
  const sim = await Simulator.start({
    webhookUrl: `${svc.base}/webhook`,
    credentials: svc.app,
    timeScale: 4,
    participants: options.participants ?? 3,
  });
  cleanups.add(() => sim.close());
  const stream = sim.startStream({
    durationMs: options.durationMs ?? 30_000,
    faults: (options.faults ?? []).map(parseFault),
  });
  await sim.whenIdle();
  await waitFor(() => finished.length === 1, 'the recording to be published as finished', 30_000);
  return { svc, dir: join(svc.config.dataDir, finished[0] as string), sim, stream };
}
