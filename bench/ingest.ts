/**
 * Ingest benchmark: the simulator (in child processes) streams N concurrent streams of 20 ms L16 audio
 * plus transcripts; the consumer is either a StreamManager with no-op listeners, or a floor consumer
 * (bare `ws`, JSON.parse, base64 decode, keep-alive answers). Prints messages/s, CPU µs per message,
 * RSS per stream, event-loop delay and busy share for both.
 *
 * The consumer is pinned to one core with all its threads (GC helpers included), as the goal is stated
 * for one core; the simulator runs at the lowest priority so that it never takes that core from it.
 * Both consumers ask for live media only (`buffer_data: false`): the measure is the steady state, and a
 * thousand streams each replaying up to a minute of buffered audio would only slow the start.
 * Environment: INGEST_STREAMS (default `200,1000`), INGEST_MEASURE_MS, INGEST_ONLY=rtmskit|floor.
 */
import { createHmac } from 'node:crypto';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import WebSocket from 'ws';
import { StreamManager } from '../src/manager/StreamManager.js';
import type { RtmsStartedEvent } from '../src/webhook/events.js';
import {
  CONSUMER_CORE,
  CORES,
  SIM_NICE,
  STREAMS_PER_SIM_PROCESS,
  setCores,
  startSimulators,
} from './simulators.js';

const CLIENT_ID = 'bench-client';
const CLIENT_SECRET = 'bench-secret';
/** Measured time once every stream is connected. */
const MEASURE_MS = Number(process.env.INGEST_MEASURE_MS ?? 15_000);
/** Connect and handshake timeout of the benchmark's streams (Zoom's defaults are 10 s). */
const SLOW_START_TIMEOUT_MS = 30_000;
/** Time allowed for all streams to connect. */
const SETTLE_TIMEOUT_MS = 60_000;
/** CPU per message of rtmskit over the floor we aim for. */
const GOAL_CPU_RATIO = 1.5;
const GOAL_P99_MS = 20;

type Consumer = 'rtmskit' | 'floor';

interface Result {
  consumer: Consumer;
  streams: number;
  connected: number;
  messages: number;
  seconds: number;
  cpuUsPerMessage: number;
  /** Of which in the kernel (socket reads and writes). */
  sysUsPerMessage: number;
  /** Share of the measured time the event loop was busy. */
  utilization: number;
  rssPerStreamKiB: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  gcMaxMs: number;
  gcTotalMs: number;
  heapMiB: number;
}

/** Bare consumer: what any app must do at least. */
function floorConsumer(event: RtmsStartedEvent, count: () => void, ready: () => void): () => void {
  const signature = createHmac('sha256', CLIENT_SECRET)
    .update(`${CLIENT_ID},${event.instanceId},${event.streamId}`)
    .digest('hex');
  const ids = { meeting_uuid: event.instanceId, rtms_stream_id: event.streamId, signature };
  const sockets: WebSocket[] = [];
  const open = (
    url: string,
    first: Record<string, unknown>,
    onMsg: (m: Record<string, unknown>, ws: WebSocket) => void,
  ) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    sockets.push(ws);
    ws.on('open', () => ws.send(JSON.stringify(first)));
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      const msg = JSON.parse((data as Buffer).toString()) as Record<string, unknown>;
      if (msg.msg_type === 12) {
        ws.send(JSON.stringify({ msg_type: 13, timestamp: msg.timestamp }));
        return;
      }
      onMsg(msg, ws);
    });
  };
  let pending = 2;
  open(
    event.serverUrls[0] ?? '',
    { msg_type: 1, protocol_version: 1, ...ids, buffer_data: false },
    (msg, sig) => {
      if (msg.msg_type !== 2) return;
      const urls = (msg.media_server as { server_urls: Record<string, string> }).server_urls;
      for (const [kind, bit] of [
        ['audio', 1],
        ['transcript', 8],
      ] as const) {
        open(urls[kind] ?? '', { msg_type: 3, protocol_version: 1, ...ids, media_type: bit }, (m) => {
          if (m.msg_type === 4) {
            sig.send(JSON.stringify({ msg_type: 7, rtms_stream_id: event.streamId }));
            if (--pending === 0) ready();
            return;
          }
          const content = m.content as { data: string };
          if (m.msg_type === 14) Buffer.from(content.data, 'base64');
          count();
        });
      }
    },
  );
  return () => {
    for (const ws of sockets) ws.terminate();
  };
}

async function run(consumer: Consumer, streams: number, timeScale: number): Promise<Result> {
  global.gc?.();
  const rssBase = process.memoryUsage().rss;
  const sim = startSimulators(streams, timeScale, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  let messages = 0;
  let connected = 0;
  const count = () => {
    messages++;
  };
  const closers: (() => unknown)[] = [];
  let manager: StreamManager | undefined;
  if (consumer === 'rtmskit') {
    manager = new StreamManager({
      credentials: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
      stream: {
        allowLoopback: true,
        media: ['audio', 'transcript'],
        bufferData: false,
        // The floor waits for its sockets without a deadline; on 2 cores the low-priority simulator can be
        // slow to accept while a thousand streams start, and a retry only adds to its queue.
        timeouts: { connectMs: SLOW_START_TIMEOUT_MS, handshakeMs: SLOW_START_TIMEOUT_MS },
      },
    });
    manager.on('audio', count);
    manager.on('transcript', count);
    manager.on('stateChange', (_ref, { to }) => {
      if (to === 'ready') connected++;
    });
    sim.onStarted((e) => void manager?.handleWebhook(e));
    closers.push(() => manager?.close());
  } else {
    sim.onStarted((e) => closers.push(floorConsumer(e, count, () => connected++)));
  }
  await sim.started;
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (connected < streams && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1_000));
  if (manager && connected < streams) {
    const states = new Map<string, number>();
    for (const snap of manager.streams()) states.set(snap.status, (states.get(snap.status) ?? 0) + 1);
    console.log(
      `  not all streams ready after ${SETTLE_TIMEOUT_MS / 1000} s: ${[...states].map(([k, n]) => `${k} ${n}`).join(', ')}; ${sim.events.length} webhooks`,
    );
  }
  const eld = monitorEventLoopDelay({ resolution: 5 });
  const gc = { max: 0, total: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.max = Math.max(gc.max, entry.duration);
      gc.total += entry.duration;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const cpuBefore = process.cpuUsage();
  const eluBefore = performance.eventLoopUtilization();
  const startMessages = messages;
  const t0 = performance.now();
  eld.enable();
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  eld.disable();
  gcObserver.disconnect();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const elu = performance.eventLoopUtilization(eluBefore);
  const measured = messages - startMessages;
  const rss = process.memoryUsage().rss;
  const heapMiB = process.memoryUsage().heapUsed / 1024 / 1024;
  for (const close of closers) await close();
  sim.stop();
  await new Promise((r) => setTimeout(r, 500));
  return {
    consumer,
    streams,
    connected,
    messages: measured,
    seconds,
    cpuUsPerMessage: (cpu.user + cpu.system) / Math.max(1, measured),
    sysUsPerMessage: cpu.system / Math.max(1, measured),
    utilization: elu.utilization,
    rssPerStreamKiB: Math.max(0, rss - rssBase) / 1024 / Math.max(1, connected),
    p50Ms: eld.percentile(50) / 1e6,
    p99Ms: eld.percentile(99) / 1e6,
    maxMs: eld.max / 1e6,
    gcMaxMs: gc.max,
    gcTotalMs: gc.total,
    heapMiB,
  };
}

function fmt(r: Result): string {
  return [
    r.consumer.padEnd(8),
    `${r.connected}/${r.streams}`.padStart(9),
    `${Math.round(r.messages / r.seconds).toLocaleString('en-US')} msg/s`.padStart(14),
    `${r.cpuUsPerMessage.toFixed(2)} µs/msg (kernel ${r.sysUsPerMessage.toFixed(1)})`.padStart(27),
    `${Math.round(r.rssPerStreamKiB)} KiB/stream`.padStart(15),
    `p50 ${r.p50Ms.toFixed(1)} p99 ${r.p99Ms.toFixed(1)} max ${r.maxMs.toFixed(0)} ms`.padStart(28),
    `busy ${Math.round(r.utilization * 100)} %`.padStart(9),
    `GC max ${r.gcMaxMs.toFixed(1)} ms, ${((r.gcTotalMs / 1000 / r.seconds) * 100).toFixed(1)} % of time, heap ${Math.round(r.heapMiB)} MiB`,
  ].join('  ');
}

export async function benchIngest(): Promise<void> {
  const loads = (process.env.INGEST_STREAMS ?? '200,1000').split(',').map(Number);
  const pinned = CORES > 1 && setCores(process.pid, String(CONSUMER_CORE));
  console.log(
    `\ningest: audio 20 ms L16 + transcripts, ${MEASURE_MS / 1000} s measured; ` +
      (pinned
        ? `consumer pinned to core ${CONSUMER_CORE}, `
        : 'consumer NOT pinned to one core (needs taskset and 2 cores), ') +
      `simulator in ${STREAMS_PER_SIM_PROCESS}-stream child processes at nice ${SIM_NICE}`,
  );
  console.log(
    'consumer   connected      messages/s                     CPU/msg     RSS growth   event loop delay, busy',
  );
  for (const streams of loads) {
    // Real-time pace at 1,000 streams; faster than real time for smaller loads, to load the consumer.
    const timeScale = Math.max(1, Math.round(1000 / streams));
    const only = process.env.INGEST_ONLY;
    if (only === 'rtmskit' || only === 'floor') {
      console.log(fmt(await run(only, streams, timeScale)));
      continue;
    }
    const floor = await run('floor', streams, timeScale);
    console.log(fmt(floor));
    const ours = await run('rtmskit', streams, timeScale);
    console.log(fmt(ours));
    const ratio = ours.cpuUsPerMessage / floor.cpuUsPerMessage;
    const p99ok = ours.p99Ms < GOAL_P99_MS;
    console.log(
      `  ${streams} streams (time scale ${timeScale}): CPU ratio ${ratio.toFixed(2)}× (goal ≤ ${GOAL_CPU_RATIO}×: ${ratio <= GOAL_CPU_RATIO ? 'met' : 'NOT met'}), ` +
        `p99 ${ours.p99Ms.toFixed(1)} ms (goal < ${GOAL_P99_MS} ms: ${p99ok ? 'met' : 'NOT met'})`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchIngest();
}
