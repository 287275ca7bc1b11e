/**
 * A real `redis-server` for tests: on a free loopback port, nothing saved to disk, stopped by its pid.
 * Without redis-server on the PATH the suites that need it skip loudly, except in CI, where they fail.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** redis-server must answer PING within this long of being started. */
export const REDIS_START_TIMEOUT_MS = 5_000;
/** A stopped server must have exited within this long (then it is killed). */
const REDIS_STOP_TIMEOUT_MS = 5_000;
/** Pause between PING attempts while the server starts. */
const PING_INTERVAL_MS = 20;
/** Starts on a port another process took in between are tried again this many times. */
const START_ATTEMPTS = 3;

const HOST = '127.0.0.1';

/** redis-server is on the PATH (looked up once, independently of the code under test). */
export const REDIS_SERVER_FOUND =
  spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).error === undefined;

/** What is missing, in the words a person needs. */
export const REDIS_SERVER_MISSING =
  'redis-server not found: install redis-server to run the Redis store tests';

/**
 * True when the Redis suites should skip: redis-server is missing and this is not CI (where a missing
 * server must fail the run, so the suites run and fail to start it). Warns when it skips.
 */
export function skipWithoutRedis(): boolean {
  if (REDIS_SERVER_FOUND) return false;
  if (process.env.CI) return false;
  console.warn(REDIS_SERVER_MISSING);
  return true;
}

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` (with the password, when the server requires one). */
  readonly url: string;
  /** The running process's pid, or undefined while stopped. */
  readonly pid: number | undefined;
  /** SIGTERM, and waits for the exit. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL, and waits for the exit. Idempotent. */
  kill(): Promise<void>;
  /** Starts again on the same port, empty (nothing is saved), and waits until it answers. */
  restart(): Promise<void>;
}

export interface RedisServerOptions {
  /** `--requirepass`: clients must AUTH with it. */
  password?: string;
}

/** Starts redis-server on a free loopback port and resolves once it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  if (!REDIS_SERVER_FOUND) throw new Error(REDIS_SERVER_MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'rtmskit-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 1; child === undefined; attempt += 1) {
    port = await freePort();
    try {
      child = await launch(port, dir, options.password);
    } catch (err) {
      if (attempt >= START_ATTEMPTS) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  let running: ChildProcess | undefined = child;
  const end = async (signal: NodeJS.Signals) => {
    const current = running;
    running = undefined;
    if (current !== undefined) await terminate(current, signal);
    rmSync(dir, { recursive: true, force: true });
  };
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  return {
    port,
    url: `redis://${auth}${HOST}:${port}`,
    get pid() {
      return running?.pid;
    },
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    async restart() {
      await end('SIGTERM');
      running = await launch(port, dir, options.password);
    },
  };
}

/** Stops every server given, each by its own pid: for afterAll/afterEach. */
export async function stopRedisServers(servers: Iterable<RedisServer | undefined>): Promise<void> {
  for (const server of servers) await server?.stop();
}

async function launch(port: number, dir: string, password: string | undefined): Promise<ChildProcess> {
  mkdirSync(dir, { recursive: true });
  const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir];
  if (password !== undefined) args.push('--requirepass', password);
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // If the test process dies first, its servers go with it.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  const deadline = Date.now() + REDIS_START_TIMEOUT_MS;
  while (!(await answersPing(port))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await terminate(child, 'SIGKILL');
      throw new Error(`redis-server on port ${port} did not start: ${stderr.trim() || 'no answer to PING'}`);
    }
    await new Promise((done) => setTimeout(done, PING_INTERVAL_MS));
  }
  return child;
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), REDIS_STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** True when something on `port` answers `PING` with `+PONG` (or `-NOAUTH`: it is up, with a password). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: HOST, port });
    let reply = '';
    const finish = (answer: boolean) => {
      socket.destroy();
      done(answer);
    };
    socket.setTimeout(PING_INTERVAL_MS * 10, () => finish(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
    socket.on('error', () => finish(false));
  });
}

/** A loopback port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}
