/**
 * Live outputs benchmark, in two parts.
 *
 * 1. Events to SSE and Redis Streams: `rtmskit serve` at 1,000 streams with SSE subscribers on
 *    `/api/events` (in the benchmark's own process) and, on a Redis store, every event appended to
 *    `rtmskit:events`, against the same service on sqlite with no subscriber: the CPU per media message
 *    of the service process, side by side, order alternating. The Redis store's own work (leases,
 *    heartbeats) is on the measured side too, so the ratio is an upper bound of what the outputs cost.
 * 2. Audio to a WebSocket subscriber: one client with a `?kinds=audio` WebSocket on each of 100 streams
 *    (at time scale 10, as many frames a second as 1,000 real-time streams): frames received against
 *    frames the service sent over the window, drops and disconnects from `/metrics`.
 *
 * Environment: OUTPUTS_STREAMS (default 1000), OUTPUTS_ROUNDS (3), OUTPUTS_SSE_SUBSCRIBERS (2),
 * OUTPUTS_WS_STREAMS (100), OUTPUTS_WS_ROUNDS (2), OUTPUTS_MEASURE_MS (15000), OUTPUTS_SETTLE_MS (3000),
 * OUTPUTS_START_PER_SEC (100). Needs `redis-server` on the PATH for part 1.
 */
import { request } from 'node:http';
import WebSocket from 'ws';
import { REDIS_SERVER_FOUND, startRedisServer } from '../test/helpers/redisServer.js';
import { metricValue } from '../test/service/helpers.js';
import { type ComparisonOptions, compare, printCpuRatio, setupLines, timeScaleFor } from './compare.js';
import { envInt } from './env.js';
import { type RunObserver, runIngest } from './ingestRun.js';
import { goal, int } from './report.js';

/** CPU per media message with outputs over without, at most. */
const GOAL_CPU_RATIO = 1.1;
/** Time the WebSocket subscriber gets to open its sockets. */
const WS_OPEN_TIMEOUT_MS = 30_000;

async function scrape(base: string): Promise<string> {
  return (await fetch(`${base}/metrics`)).text();
}

/** Reads the named figures from `/metrics` at both ends of the window. */
function windowMetrics(names: Record<string, [metric: string, labels: Record<string, string>]>) {
  const before: Record<string, number> = {};
  const delta: Record<string, number> = {};
  return {
    async start(base: string) {
      const text = await scrape(base);
      for (const [key, [metric, labels]] of Object.entries(names))
        before[key] = metricValue(text, metric, labels) ?? 0;
    },
    async end(base: string) {
      const text = await scrape(base);
      for (const [key, [metric, labels]] of Object.entries(names))
        delta[key] = (metricValue(text, metric, labels) ?? 0) - (before[key] ?? 0);
    },
    delta,
  };
}

/** `subscribers` SSE clients of `/api/events`, counting events (heartbeats aside). */
function sseObserver(subscribers: number): RunObserver {
  const counts = new Array<number>(subscribers).fill(0);
  const requests: ReturnType<typeof request>[] = [];
  const metrics = windowMetrics({
    dropped: ['rtmskit_output_dropped_total', { output: 'sse' }],
    disconnected: ['rtmskit_output_disconnected_total', { output: 'sse' }],
    appended: ['rtmskit_redis_stream_entries_total', { kind: 'event', outcome: 'appended' }],
    redisDropped: ['rtmskit_redis_stream_entries_total', { kind: 'event', outcome: 'dropped' }],
  });
  let inWindow: number[] = [];
  let seconds = 0;
  let t0 = 0;
  return {
    async beforeStreams(base) {
      await Promise.all(
        counts.map(
          (_, i) =>
            new Promise<void>((resolve, reject) => {
              const req = request(`${base}/api/events`, { headers: { accept: 'text/event-stream' } });
              req.on('response', (res) => {
                if (res.statusCode !== 200) reject(new Error(`/api/events answered ${res.statusCode}`));
                let buffer = '';
                res.setEncoding('utf8').on('data', (chunk: string) => {
                  buffer += chunk;
                  let end = buffer.indexOf('\n\n');
                  while (end >= 0) {
                    if (buffer.startsWith('id:')) counts[i] = (counts[i] ?? 0) + 1;
                    buffer = buffer.slice(end + 2);
                    end = buffer.indexOf('\n\n');
                  }
                });
                resolve();
              });
              req.on('error', reject);
              req.end();
              requests.push(req);
            }),
        ),
      );
    },
    async measureStarts(base) {
      await metrics.start(base);
      inWindow = [...counts];
      t0 = performance.now();
    },
    async measureEnded(base) {
      seconds = (performance.now() - t0) / 1000;
      inWindow = counts.map((n, i) => n - (inWindow[i] ?? 0));
      await metrics.end(base);
    },
    async finish() {
      for (const req of requests) req.destroy();
      const { dropped, disconnected, appended, redisDropped } = metrics.delta;
      return [
        `SSE: ${subscribers} subscribers of /api/events got ${inWindow.map((n) => int(n / seconds)).join(', ')} events/s in the window; dropped ${dropped}, disconnected ${disconnected}`,
        `Redis Streams: ${int((appended ?? 0) / seconds)} entries/s appended to rtmskit:events, ${redisDropped} dropped`,
      ];
    },
  };
}

/** Time given to frames the service has sent to reach the client, after the window. */
const WS_DRAIN_MS = 2_000;

/**
 * One client with a `?kinds=audio` WebSocket on every live stream of the service. It compares every frame
 * the service sent it (its `/metrics`, read after the window) with every frame it received by then.
 */
function webSocketObserver(): RunObserver & { received(): number; sent(): number; dropped(): number } {
  const sockets: WebSocket[] = [];
  let frames = 0;
  let inWindow = 0;
  let seconds = 0;
  let t0 = 0;
  let sent = 0;
  let dropped = 0;
  let disconnected = 0;
  let receivedBySent = 0;
  return {
    async connected(base) {
      const { live } = (await (await fetch(`${base}/api/streams`)).json()) as {
        live: { streamId: string }[];
      };
      const ws = base.replace(/^http/, 'ws');
      await Promise.all(
        live.map(
          ({ streamId }) =>
            new Promise<void>((resolve, reject) => {
              const socket = new WebSocket(`${ws}/api/streams/${streamId}/live?kinds=audio`);
              socket.on('message', (_data, isBinary) => {
                if (isBinary) frames++;
              });
              const timer = setTimeout(
                () => reject(new Error('WebSocket not open in time')),
                WS_OPEN_TIMEOUT_MS,
              );
              socket.once('open', () => {
                clearTimeout(timer);
                resolve();
              });
              socket.once('error', reject);
              sockets.push(socket);
            }),
        ),
      );
    },
    async measureStarts() {
      inWindow = frames;
      t0 = performance.now();
    },
    async measureEnded(base) {
      seconds = (performance.now() - t0) / 1000;
      inWindow = frames - inWindow;
      const text = await scrape(base);
      sent = metricValue(text, 'rtmskit_output_messages_total', { output: 'websocket' }) ?? 0;
      dropped = metricValue(text, 'rtmskit_output_dropped_total', { output: 'websocket' }) ?? 0;
      disconnected = metricValue(text, 'rtmskit_output_disconnected_total', { output: 'websocket' }) ?? 0;
      const deadline = performance.now() + WS_DRAIN_MS;
      while (frames < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      receivedBySent = Math.min(frames, sent);
    },
    async finish() {
      const open = sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
      for (const s of sockets) s.terminate();
      return [
        `WebSocket: one client on ${sockets.length} streams (${open} open at the end) received ${int(inWindow / seconds)} audio frames/s in the window; ` +
          `of the ${int(sent)} frames the service had sent it, ${int(receivedBySent)} arrived within ${WS_DRAIN_MS / 1000} s; dropped ${dropped}, disconnected ${disconnected}`,
      ];
    },
    received: () => receivedBySent,
    sent: () => sent,
    dropped: () => dropped + disconnected,
  };
}

/** The Redis database of the latest `outputs` run (0–15, in turn). */
let db = 0;

async function eventsToSseAndRedis(): Promise<void> {
  console.log('\noutputs: rtmskit serve with SSE subscribers and Redis Streams vs the same without outputs');
  if (!REDIS_SERVER_FOUND) {
    console.log('  SKIPPED: redis-server is not installed (apt-get install redis-server)');
    return;
  }
  const redis = await startRedisServer();
  try {
    const subscribers = envInt('OUTPUTS_SSE_SUBSCRIBERS', 2, { min: 0 });
    const options: ComparisonOptions = {
      contenders: ['service', 'outputs'],
      streams: envInt('OUTPUTS_STREAMS', 1000),
      startPerSec: envInt('OUTPUTS_START_PER_SEC', 100),
      rounds: envInt('OUTPUTS_ROUNDS', 3),
      measureMs: envInt('OUTPUTS_MEASURE_MS', 15_000),
      settleMs: envInt('OUTPUTS_SETTLE_MS', 3_000),
      // A fresh database each run: the streams of the one before are not resumed.
      storeUrl: (kind) => {
        if (kind !== 'outputs') return undefined;
        db = (db + 1) % 16;
        return `${redis.url}/${db}`;
      },
      observer: (kind) => (kind === 'outputs' && subscribers > 0 ? sseObserver(subscribers) : undefined),
    };
    for (const line of setupLines(options)) console.log(line);
    console.log(
      `  outputs: the service on a Redis store (redis-server on loopback), every event appended to rtmskit:events, ${subscribers} SSE subscribers of /api/events in the benchmark process`,
    );
    console.log('  service: the same on sqlite, nobody subscribed');
    const results = await compare(options);
    printCpuRatio(results, options, GOAL_CPU_RATIO);
  } finally {
    await redis.stop();
  }
}
async function audioToWebSocket(): Promise<void> {
  const streams = envInt('OUTPUTS_WS_STREAMS', 100);
  const rounds = envInt('OUTPUTS_WS_ROUNDS', 2, { min: 0 });
  const timeScale = timeScaleFor(streams);
  console.log(
    `\noutputs: one WebSocket subscriber taking the audio of ${streams} streams (time scale ${timeScale}: ${int(streams * 50 * timeScale)} frames/s)`,
  );
  let worst = 1;
  let lost = 0;
  for (let round = 0; round < rounds; round++) {
    const observer = webSocketObserver();
    const r = await runIngest({
      kind: 'service',
      streams,
      timeScale,
      startPerSec: envInt('OUTPUTS_START_PER_SEC', 100),
      measureMs: envInt('OUTPUTS_MEASURE_MS', 15_000),
      settleMs: envInt('OUTPUTS_SETTLE_MS', 3_000),
      observer,
    });
    console.log(
      `  round ${round + 1}: ${r.connected}/${streams} streams up, the service took ${int(r.messages / r.seconds)} media messages/s; ${r.observed.join('; ')}`,
    );
    worst = Math.min(worst, observer.received() / Math.max(1, observer.sent()));
    lost += observer.dropped();
  }
  console.log(
    `  ${goal(`every frame sent arrived within ${WS_DRAIN_MS / 1000} s, nothing dropped`, worst >= 1 && lost === 0)} (worst round ${(worst * 100).toFixed(2)} %, ${lost} dropped or disconnected)`,
  );
}

export async function benchOutputs(): Promise<void> {
  await eventsToSseAndRedis();
  await audioToWebSocket();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchOutputs();
}
