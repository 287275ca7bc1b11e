/**
 * A side-by-side comparison of two ingest consumers: several rounds, each running both back to back in
 * fresh processes, the order alternating (A,B then B,A …); a row per run, then per-round ratios of CPU per
 * message with their min/median/max, and memory per stream.
 */
import { CAN_PIN, CONSUMER_CORE, SIM_NICE } from './children.js';
import { DELAY_RESOLUTION_MS } from './consumerProcess.js';
import type { ConsumerKind } from './consumers.js';
import { kibPerStream, type RunObserver, type RunResult, runIngest } from './ingestRun.js';
import { goal, int, RowPrinter } from './report.js';
import { STREAMS_PER_SIM_PROCESS } from './simulators.js';
import { formatSpread, roundOrder, type Spread, spread } from './stats.js';

export interface ComparisonOptions {
  /**
   * The reference first (every ratio's denominator), the measured one second; any others run in the
   * same rounds, so that their ratios to the reference are side by side too.
   */
  contenders: readonly [base: ConsumerKind, measured: ConsumerKind, ...others: ConsumerKind[]];
  streams: number;
  /** Streams started per second. */
  startPerSec: number;
  rounds: number;
  measureMs: number;
  settleMs: number;
  /** Store of each service consumer; sqlite without one. */
  storeUrl?: (kind: ConsumerKind) => string | undefined;
  /** A fresh observer for each run of a contender, or none. */
  observer?: (kind: ConsumerKind) => RunObserver | undefined;
}

export type Comparison = Record<ConsumerKind, RunResult[]>;

/** Real-time pace at 1,000 streams; faster than real time for smaller loads, so the consumer is loaded. */
export function timeScaleFor(streams: number): number {
  return Math.max(1, Math.round(1000 / streams));
}

export function cpuUsPerMessage(r: RunResult): number {
  return (r.cpuUserUs + r.cpuSystemUs) / Math.max(1, r.messages);
}

/** The setup, in words, printed under each comparison's title. */
export function setupLines(o: ComparisonOptions): string[] {
  return [
    `  ${int(o.streams)} streams of 20 ms L16 audio + transcripts, started ${o.startPerSec}/s, ` +
      `time scale ${timeScaleFor(o.streams)}; ${o.rounds} round${o.rounds === 1 ? '' : 's'}, order alternating; ${o.measureMs / 1000} s measured per run after ${o.settleMs / 1000} s settling`,
    `  each consumer in a fresh process ${CAN_PIN ? `pinned to core ${CONSUMER_CORE} (all threads)` : 'NOT pinned (needs taskset and 2 cores)'}, ` +
      `simulator in fresh ${STREAMS_PER_SIM_PROCESS}-stream processes at nice ${SIM_NICE}`,
  ];
}

const HEADER = [
  'round',
  'consumer',
  'connected',
  'up in',
  'msg/s',
  'CPU µs/msg',
  'kernel',
  'busy',
  'loop delay p50/p99/max',
  'GC max',
  'GC time',
  'RSS/stream',
  'heap/stream',
];
/** Room for the widest figures seen at 1,000 streams, so rows print as they come and still line up. */
const MIN_WIDTHS = [0, 9, 9, 6, 6, 0, 0, 5, 0, 8, 0, 0, 0];

function row(round: number, r: RunResult): string[] {
  const streams = Math.max(1, r.connected);
  return [
    String(round + 1),
    r.kind,
    `${r.connected}/${r.streams}`,
    `${r.connectSeconds.toFixed(1)} s`,
    int(r.messages / r.seconds),
    cpuUsPerMessage(r).toFixed(2),
    (r.cpuSystemUs / Math.max(1, r.messages)).toFixed(2),
    `${Math.round(r.utilization * 100)} %`,
    `${r.delayP50Ms.toFixed(1)}/${r.delayP99Ms.toFixed(1)}/${r.delayMaxMs.toFixed(0)} ms`,
    `${r.gcMaxMs.toFixed(1)} ms`,
    `${((r.gcTotalMs / 1000 / r.seconds) * 100).toFixed(1)} %`,
    `${kibPerStream(r.memory.rss, r.baseline.rss, streams).toFixed(0)} KiB`,
    `${kibPerStream(r.memory.heapUsed, r.baseline.heapUsed, streams).toFixed(0)} KiB`,
  ];
}

/** `12,345 MB in audio.wav ×1000, transcript.jsonl ×1000 …` */
function describeRecorded(recorded: NonNullable<RunResult['recorded']>): string {
  const files = Object.entries(recorded.files).sort(([a], [b]) => a.localeCompare(b));
  return `${int(recorded.bytes / 1e6)} MB: ${files.map(([name, n]) => `${name} ×${n}`).join(', ')}`;
}

/** Runs the rounds, printing each run's row as it ends. */
export async function compare(o: ComparisonOptions): Promise<Comparison> {
  // A list per contender; only contenders are ever looked up.
  const results = Object.fromEntries(o.contenders.map((kind) => [kind, []])) as unknown as Comparison;
  const table = new RowPrinter(HEADER, MIN_WIDTHS, 2);
  table.header();
  for (let round = 0; round < o.rounds; round++) {
    for (const kind of roundOrder(round, o.contenders)) {
      const r = await runIngest({
        kind,
        streams: o.streams,
        timeScale: timeScaleFor(o.streams),
        startPerSec: o.startPerSec,
        measureMs: o.measureMs,
        settleMs: o.settleMs,
        storeUrl: o.storeUrl?.(kind),
        observer: o.observer?.(kind),
      });
      results[kind].push(r);
      table.row(row(round, r));
      for (const line of r.observed) console.log(`      ${line}`);
    }
  }
  console.log(
    `  (loop delay sampled every ${DELAY_RESOLUTION_MS} ms, so it overstates the wait by up to that; ` +
      'memory: growth over the process’s own baseline before any stream, per connected stream' +
      `${results[o.contenders[0]][0]?.gcExposed ? ', both read after a full GC' : ', no GC exposed'})`,
  );
  for (const kind of o.contenders)
    for (const [i, r] of results[kind].entries()) {
      if (r.diagnosis) console.log(`  ${kind} round ${i + 1}: not every stream connected: ${r.diagnosis}`);
      if (r.logLines.length > 0)
        console.log(`  ${kind} round ${i + 1}: ${r.logLines.length} log lines, first: ${r.logLines[0]}`);
    }
  for (const kind of o.contenders)
    for (const [i, r] of results[kind].entries())
      if (r.recorded) console.log(`  ${kind} round ${i + 1} recorded ${describeRecorded(r.recorded)}`);
  const warnings = new Set(o.contenders.flatMap((kind) => results[kind].flatMap((r) => r.simWarnings)));
  for (const w of warnings) console.log(`  the simulator processes warned: ${w}`);
  return results;
}

/** Per-round `measured / base` of CPU per message; the rounds pair up in order. */
export function cpuRatios(c: Comparison, base: ConsumerKind, measured: ConsumerKind): number[] {
  return c[measured].map((r, i) => cpuUsPerMessage(r) / cpuUsPerMessage(c[base][i]!));
}

/**
 * Prints the per-round ratios of `measured` (the second contender unless named) to the reference and
 * their spread, with the goal decided on the median; without a goal the line is a reference figure.
 */
export function printCpuRatio(
  c: Comparison,
  o: ComparisonOptions,
  goalRatio: number | undefined,
  measured: ConsumerKind = o.contenders[1],
): Spread {
  const base = o.contenders[0];
  const ratios = cpuRatios(c, base, measured);
  const s = spread(ratios);
  const verdict =
    goalRatio === undefined ? '' : `; ${goal(`≤ ${goalRatio}× (median)`, s.median <= goalRatio)}`;
  console.log(
    `  CPU per message ${measured}/${base} by round: ${ratios.map((x) => `${x.toFixed(2)}×`).join(' ')}; ` +
      `${formatSpread(s, 2, '×')}${verdict}`,
  );
  return s;
}

/** Prints memory per stream of each contender over the rounds. */
export function printMemory(c: Comparison, o: ComparisonOptions): void {
  const width = Math.max(...o.contenders.map((kind) => kind.length));
  for (const kind of o.contenders) {
    const runs = c[kind];
    const rss = spread(runs.map((r) => kibPerStream(r.memory.rss, r.baseline.rss, r.connected)));
    const heap = spread(runs.map((r) => kibPerStream(r.memory.heapUsed, r.baseline.heapUsed, r.connected)));
    console.log(
      `  memory per stream, ${kind.padEnd(width)}: RSS ${formatSpread(rss, 0, ' KiB')}; heap used ${formatSpread(heap, 0, ' KiB')}`,
    );
  }
}

/** Prints the spread of event-loop delay p99 of one contender, with the goal decided on the median. */
export function printDelay(c: Comparison, kind: ConsumerKind, goalMs: number): void {
  const s = spread(c[kind].map((r) => r.delayP99Ms));
  console.log(
    `  event-loop delay p99, ${kind}: ${formatSpread(s, 1, ' ms')}; ${goal(`< ${goalMs} ms (median)`, s.median < goalMs)}`,
  );
}
