/**
 * Recovery benchmark: N streams (default 100) connected through one `StreamManager` to an in-process
 * Simulator at real-time pace; then, in turn, one fault injected into every stream at once: a server
 * failover, a media drop, a signaling drop. For each stream it measures the time from its fault to the
 * first media frame (audio or transcript) delivered on the recovered connection: a frame counts only once
 * the stream has emitted `reconnected` for its kind, so a frame still in flight on the old socket is not
 * taken for a recovery (and a frame that beats the event by a moment is not counted either: the figure
 * errs on the slow side by that moment). Each simulated meeting has someone speaking at every moment
 * (`speech: 'continuous'`): Zoom sends no audio while nobody speaks, and in a meeting with pauses the
 * first frame would wait for the next speaker (200–800 ms pauses leave about 2 % of moments more than
 * 500 ms from the next audio), which is the meeting's time, not the recovery's. The time to the
 * `reconnected` event ("sockets back") is printed beside it.
 * The simulator's webhooks (the failover's new `rtms_started`, the `rtms_interrupted` of a signaling
 * drop) are handed to the manager in process, without HTTP.
 *
 * In process because the figure is latency, not CPU: the fault and the frame are timed on one clock.
 * Environment: RECOVERY_STREAMS (default 100), RECOVERY_ROUNDS (3 per scenario).
 */
import { RECONNECT_BASE_MS, RECONNECT_JITTER } from '../src/client/reconnectPolicy.js';
import { StreamManager } from '../src/manager/StreamManager.js';
import type { MediaKind } from '../src/protocol/enums.js';
import { Simulator } from '../src/simulator/Simulator.js';
import { parseWebhookEvent } from '../src/webhook/events.js';
import { BENCH_CREDENTIALS, BENCH_MEDIA } from './consumers.js';
import { envInt } from './env.js';
import { goal, RowPrinter } from './report.js';
import { percentile } from './stats.js';

/** Time allowed for every stream to be ready, at the start and between faults. */
const READY_TIMEOUT_MS = 60_000;
/** Time allowed for every stream to deliver media again after a fault. */
const RECOVERY_TIMEOUT_MS = 30_000;
/** Steady state kept between one recovery and the next fault. */
const SETTLE_MS = 1_000;

const SCENARIOS = [
  { fault: 'failover', name: 'server failover', goalP99Ms: 500 },
  { fault: 'drop-media', name: 'media drop', goalP99Ms: 600 },
  { fault: 'drop-signaling', name: 'signaling drop', goalP99Ms: 600 },
] as const;

interface Pending {
  t0: number;
  /** Kinds the stream has reported reconnected since its fault. */
  back: Set<MediaKind>;
  /** From the fault to the first `reconnected` event. */
  socketsBackMs: number | undefined;
  /** From the fault to the first media frame of a reconnected kind. */
  recoveredMs: number | undefined;
  /** Connection attempts of the recovery, from its `reconnected` events (the most of its kinds). */
  attempts: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) {
      console.log(`  ${what}: not within ${timeoutMs / 1000} s`);
      return false;
    }
    await sleep(20);
  }
  return true;
}

/** `261 / 316 / 320 / 220 ms`: p50 / p99 / max / min. */
function figures(values: readonly number[]): string {
  if (values.length === 0) return 'none';
  const f = (v: number) => String(Math.round(v));
  return `${f(percentile(values, 50))} / ${f(percentile(values, 99))} / ${f(Math.max(...values))} / ${f(Math.min(...values))} ms`;
}

const HEADER = [
  'fault',
  'round',
  'recovered',
  'first frame p50 / p99 / max / min',
  'sockets back p50 / p99 / max / min',
  '>1 attempt',
  '',
];

export async function benchRecovery(): Promise<void> {
  const streams = envInt('RECOVERY_STREAMS', 100);
  const rounds = envInt('RECOVERY_ROUNDS', 3);
  console.log(
    `\nrecovery: ${streams} streams (audio + transcripts) through one StreamManager to an in-process Simulator, ` +
      `real time, someone speaking at every moment; ${rounds} round${rounds === 1 ? '' : 's'} per fault, each injected into every stream at once`,
  );
  console.log(
    '  first frame: from the fault to the first media frame after the stream reported it reconnected; sockets back: ' +
      `to that report; default reconnect policy (first retry after ${RECONNECT_BASE_MS} ms ± ${RECONNECT_JITTER * 100} %)`,
  );
  const table = new RowPrinter(HEADER, [15, 0, 9], 1);
  const sim = await Simulator.start({ credentials: BENCH_CREDENTIALS, keepAlive: 'always' });
  const manager = new StreamManager({
    credentials: BENCH_CREDENTIALS,
    stream: { allowLoopback: true, media: [...BENCH_MEDIA] },
  });
  sim.on('webhook', (notice) => {
    const parsed = parseWebhookEvent(JSON.parse(notice.body.toString('utf8')) as Record<string, unknown>);
    if (parsed.ok && parsed.event) void manager.handleWebhook(parsed.event);
  });
  let pending = new Map<string, Pending>();
  manager.on('reconnected', (ref, e) => {
    const p = pending.get(ref.streamId);
    if (p === undefined || p.recoveredMs !== undefined) return;
    for (const kind of e.kinds) p.back.add(kind);
    p.socketsBackMs ??= performance.now() - p.t0;
    p.attempts = Math.max(p.attempts, e.attempts);
  });
  const onMedia = (streamId: string, kind: MediaKind) => {
    const p = pending.get(streamId);
    if (p && p.recoveredMs === undefined && p.back.has(kind)) p.recoveredMs = performance.now() - p.t0;
  };
  manager.on('audio', (ref) => onMedia(ref.streamId, 'audio'));
  manager.on('transcript', (ref) => onMedia(ref.streamId, 'transcript'));
  const ready = () => manager.streams().filter((s) => s.status === 'ready').length;
  try {
    for (let i = 0; i < streams; i++)
      sim.startStream({ participants: 2, durationMs: 3_600_000, seed: i + 1, speech: 'continuous' });
    if (!(await waitFor('all streams ready', () => ready() === streams, READY_TIMEOUT_MS))) return;
    const ids = sim.streamIds();
    table.header();
    for (const scenario of SCENARIOS) {
      const all: number[] = [];
      const allBack: number[] = [];
      let missed = 0;
      for (let round = 0; round < rounds; round++) {
        await waitFor('all streams ready again', () => ready() === streams, READY_TIMEOUT_MS);
        await sleep(SETTLE_MS);
        pending = new Map();
        for (const id of ids) {
          pending.set(id, {
            t0: performance.now(),
            back: new Set(),
            socketsBackMs: undefined,
            recoveredMs: undefined,
            attempts: 0,
          });
          sim.fault(id, scenario.fault);
        }
        const current = pending;
        const recovered = () => [...current.values()].filter((p) => p.recoveredMs !== undefined).length;
        await waitFor(
          `${scenario.name}: media back on every stream`,
          () => recovered() === streams,
          RECOVERY_TIMEOUT_MS,
        );
        const done = [...current.values()].filter((p) => p.recoveredMs !== undefined);
        const times = done.map((p) => p.recoveredMs!);
        const back = done.map((p) => p.socketsBackMs!);
        missed += streams - times.length;
        all.push(...times);
        allBack.push(...back);
        const retried = done.filter((p) => p.attempts > 1).length;
        table.row([
          scenario.name,
          String(round + 1),
          `${times.length}/${streams}`,
          figures(times),
          figures(back),
          String(retried),
        ]);
      }
      const p99 = all.length > 0 ? percentile(all, 99) : Number.POSITIVE_INFINITY;
      table.row([
        scenario.name,
        'all',
        `${all.length}/${streams * rounds}`,
        figures(all),
        figures(allBack),
        '',
        goal(`first frame p99 < ${scenario.goalP99Ms} ms`, missed === 0 && p99 < scenario.goalP99Ms),
      ]);
    }
  } finally {
    await manager.close();
    await sim.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchRecovery();
}
