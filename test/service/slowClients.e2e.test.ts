/**
 * `rtmskit serve` (a child process) under slow and idle clients on loopback: thousands of sockets that
 * trickle their headers or body (slowloris), idle keep-alive sockets, and a connection carrying request
 * after request. The service must close them within its bounds, and a signed webhook and `/healthz` must
 * still be answered in well under a second while they hold on.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_LIMITS } from '../../src/service/config.js';
import { CONNECTIONS_CHECK_INTERVAL_MS } from '../../src/service/server.js';
import { Cleanups } from '../cleanups.js';
import {
  type CliChild,
  childEnv,
  describeChild,
  freePort,
  getText,
  logLines,
  metricValue,
  postWebhook,
  serveChild,
  sleep,
  waitFor,
} from './helpers.js';

/** A legitimate request under load must be answered within this (Zoom allows 3 s). */
const ANSWER_BUDGET_MS = 1_000;
/** Slow sockets write one more piece this often. */
const TRICKLE_INTERVAL_MS = 500;
/** Sockets opened per batch, so the listen backlog never overflows into SYN retries. */
const CONNECT_BATCH = 200;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

type SlowMode = 'idle' | 'headers' | 'body';

interface SlowSocket {
  mode: SlowMode;
  socket: Socket;
  openedAt: number;
  closedAt: number | undefined;
  /** The first bytes the server sent, if any (a 408 for a timed-out request). */
  answer: string;
}

/** Opens `count` sockets of each mode and keeps them trickling until the server closes them. */
async function slowLoad(port: number, count: Record<SlowMode, number>): Promise<SlowSocket[]> {
  const all: SlowSocket[] = [];
  const open = (mode: SlowMode) =>
    new Promise<void>((resolve) => {
      const entry: SlowSocket = {
        mode,
        socket: connect(port, '127.0.0.1'),
        openedAt: Date.now(),
        closedAt: undefined,
        answer: '',
      };
      all.push(entry);
      const { socket } = entry;
      socket.setNoDelay(true);
      socket.once('connect', () => {
        if (mode === 'headers') socket.write('POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        if (mode === 'body') {
          socket.write(
            'POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
              'Content-Length: 200000\r\n\r\n{',
          );
        }
        resolve();
      });
      socket.on('data', (chunk: Buffer) => {
        if (entry.answer.length < 64) entry.answer += chunk.toString('latin1');
      });
      socket.once('close', () => {
        entry.closedAt = Date.now();
        resolve();
      });
      socket.on('error', () => undefined);
    });
  const modes = (Object.entries(count) as [SlowMode, number][]).flatMap(([mode, n]) =>
    Array.from({ length: n }, () => mode),
  );
  for (let i = 0; i < modes.length; i += CONNECT_BATCH) {
    await Promise.all(modes.slice(i, i + CONNECT_BATCH).map(open));
  }
  const trickle = setInterval(() => {
    for (const { mode, socket, closedAt } of all) {
      if (closedAt !== undefined || socket.destroyed) continue;
      if (mode === 'headers') socket.write('X-Slow: 1\r\n');
      if (mode === 'body') socket.write(' ');
    }
  }, TRICKLE_INTERVAL_MS);
  cleanups.add(() => {
    clearInterval(trickle);
    for (const { socket } of all) socket.destroy();
  });
  return all;
}

function token(): string {
  return randomBytes(12).toString('base64url');
}

async function startServe(
  extraEnv: Record<string, string> = {},
): Promise<{ child: CliChild; base: string; secret: string }> {
  const cwd = await cleanups.tempDir('rtmskit-slow-');
  const port = await freePort();
  const secret = token();
  const env = childEnv({
    ZOOM_CLIENT_ID: 'slowClientsId',
    ZOOM_CLIENT_SECRET: token(),
    ZOOM_SECRET_TOKEN: secret,
    RTMSKIT_LOG_LEVEL: 'info',
    ...extraEnv,
  });
  const child = await serveChild({ cwd, env, port, args: ['--data-dir', 'data'] });
  cleanups.add(() => child.kill('SIGKILL'));
  return { child, base: `http://127.0.0.1:${port}`, secret };
}

/** A signed URL validation, as Zoom sends it; resolves with the status and how long the answer took. */
async function timedWebhook(base: string, secret: string): Promise<{ status: number; ms: number }> {
  const plainToken = token();
  const body = JSON.stringify({
    event: 'endpoint.url_validation',
    payload: { plainToken },
    event_ts: Date.now(),
  });
  const started = performance.now();
  const answer = await postWebhook(`${base}/webhook`, body, { secret });
  const ms = performance.now() - started;
  expect(JSON.parse(answer.body)).toMatchObject({ plainToken });
  return { status: answer.status, ms };
}

async function timedHealth(base: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const answer = await getText(`${base}/healthz`);
  return { status: answer.status, ms: performance.now() - started };
}

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return `min ${sorted[0]?.toFixed(1)} / median ${at(0.5).toFixed(1)} / max ${sorted.at(-1)?.toFixed(1)} ms`;
}

describe('rtmskit serve under slow clients', () => {
  it('closes idle, header-trickling and body-trickling sockets within its timeouts, answering Zoom meanwhile', async () => {
    const { base, secret, child } = await startServe({ RTMSKIT_MAX_CONNECTIONS: '5000' });
    const port = Number(new URL(base).port);
    const load = await slowLoad(port, { idle: 300, headers: 350, body: 350 });
    const started = Math.min(...load.map((s) => s.openedAt));
    expect(load.filter((s) => s.closedAt === undefined).length, 'sockets connected').toBe(1_000);

    const webhooks: number[] = [];
    const health: number[] = [];
    for (let i = 0; i < 10; i++) {
      const hook = await timedWebhook(base, secret);
      expect(hook.status).toBe(200);
      webhooks.push(hook.ms);
      const probe = await timedHealth(base);
      expect(probe.status).toBe(200);
      health.push(probe.ms);
      await sleep(200);
    }
    expect(Math.max(...webhooks), `webhook answers: ${summary(webhooks)}`).toBeLessThan(ANSWER_BUDGET_MS);
    expect(Math.max(...health), `healthz answers: ${summary(health)}`).toBeLessThan(ANSWER_BUDGET_MS);

    // Whole-request timeout, plus one pass of Node's connection check, plus slack for a loaded machine.
    const boundMs =
      Math.max(DEFAULT_HTTP_LIMITS.headersTimeoutMs, DEFAULT_HTTP_LIMITS.requestTimeoutMs) +
      CONNECTIONS_CHECK_INTERVAL_MS +
      2_000;
    await waitFor(
      () => load.every((s) => s.closedAt !== undefined),
      'every slow socket to be closed',
      boundMs + 5_000,
    );
    const closeTimes = load.map((s) => (s.closedAt ?? Number.NaN) - s.openedAt);
    expect(Math.max(...closeTimes), `close times: ${summary(closeTimes)}`).toBeLessThan(boundMs);
    // Every one of them was told why.
    for (const s of load) expect(s.answer, `${s.mode} socket`).toMatch(/^HTTP\/1\.1 408 /);
    console.info(
      `slow clients: 1000 sockets (300 idle, 350 trickling headers, 350 trickling a body) closed ` +
        `${summary(closeTimes)} after opening, all with 408; the last at ${Math.max(...load.map((s) => s.closedAt ?? 0)) - started} ms. ` +
        `Meanwhile webhook 200 ${summary(webhooks)}, /healthz ${summary(health)}.`,
    );
    expect(child.child.exitCode, describeChild(child)).toBeNull();
  });

  it('past RTMSKIT_MAX_CONNECTIONS closes the oldest slow sockets, logs it once, and Zoom still gets through', async () => {
    const { base, secret, child } = await startServe({ RTMSKIT_MAX_CONNECTIONS: '200' });
    const port = Number(new URL(base).port);
    const load = await slowLoad(port, { idle: 0, headers: 1_500, body: 1_500 });
    const webhooks: number[] = [];
    for (let i = 0; i < 10; i++) {
      const hook = await timedWebhook(base, secret);
      expect(hook.status).toBe(200);
      webhooks.push(hook.ms);
    }
    const probe = await timedHealth(base);
    expect(probe.status).toBe(200);
    expect(Math.max(...webhooks, probe.ms), `webhook answers: ${summary(webhooks)}`).toBeLessThan(
      ANSWER_BUDGET_MS,
    );
    const evictedEarly = load.filter((s) => s.closedAt !== undefined).length;
    // Of 3,000 slow sockets at most 200 can be open; the rest were closed by the cap, oldest first.
    expect(evictedEarly).toBeGreaterThanOrEqual(3_000 - 200);
    const limitLines = logLines(child).filter((l) =>
      String(l.msg).startsWith('HTTP connection limit reached'),
    );
    expect(limitLines.length, describeChild(child)).toBeGreaterThanOrEqual(1);
    // One line for a burst, not one per socket.
    expect(limitLines.length).toBeLessThanOrEqual(3);
    expect(limitLines[0]).toMatchObject({ maxConnections: 200, level: 40 });
    expect(String(limitLines[0]?.msg)).toMatch(/RTMSKIT_MAX_CONNECTIONS/);
    const metrics = (await getText(`${base}/metrics`)).body;
    expect(metricValue(metrics, 'rtmskit_http_connections_evicted_total')).toBeGreaterThanOrEqual(2_800);
    expect(metricValue(metrics, 'rtmskit_http_connections')).toBeLessThanOrEqual(201);
    console.info(
      `connection cap 200 under 3000 slow sockets: ${evictedEarly} closed at once by the cap, ` +
        `${limitLines.length} log line(s); webhook 200 ${summary(webhooks)}, /healthz ${probe.ms.toFixed(1)} ms.`,
    );
  });

  it('ends a keep-alive connection after 100 requests, and an idle one after its keep-alive timeout', async () => {
    const { base } = await startServe();
    const port = Number(new URL(base).port);
    const socket = connect(port, '127.0.0.1');
    cleanups.add(() => socket.destroy());
    let received = '';
    let closedAt: number | undefined;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.once('close', () => {
      closedAt = Date.now();
    });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const answers = () => received.match(/HTTP\/1\.1 200 OK/g)?.length ?? 0;
    for (let i = 1; i <= DEFAULT_HTTP_LIMITS.maxRequestsPerConnection + 1 && closedAt === undefined; i++) {
      socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await waitFor(() => answers() >= i || closedAt !== undefined, `answer ${i}`, 5_000, 2);
    }
    await waitFor(() => closedAt !== undefined, 'the server to close the connection', 5_000);
    expect(answers()).toBe(DEFAULT_HTTP_LIMITS.maxRequestsPerConnection);
    expect(received.toLowerCase()).toMatch(/connection: close/);

    const idle = connect(port, '127.0.0.1');
    cleanups.add(() => idle.destroy());
    let idleClosedAt: number | undefined;
    idle.once('close', () => {
      idleClosedAt = Date.now();
    });
    idle.on('error', () => undefined);
    idle.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const answeredAt = await waitFor(
      () => new Promise<number | undefined>((resolve) => idle.once('data', () => resolve(Date.now()))),
      'the idle connection’s answer',
    );
    await waitFor(() => idleClosedAt !== undefined, 'the idle keep-alive connection to close', 15_000);
    const idleMs = (idleClosedAt ?? 0) - answeredAt;
    expect(idleMs).toBeGreaterThanOrEqual(DEFAULT_HTTP_LIMITS.keepAliveTimeoutMs - 500);
    expect(idleMs).toBeLessThan(
      DEFAULT_HTTP_LIMITS.keepAliveTimeoutMs + CONNECTIONS_CHECK_INTERVAL_MS + 2_000,
    );
  });
});
