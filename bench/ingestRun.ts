/**
 * One run of an ingest benchmark: a fresh consumer process pinned to `CONSUMER_CORE`, fresh simulator
 * processes at the lowest priority, N streams of 20 ms L16 audio plus transcripts; it waits until every
 * stream is connected, lets the start settle, measures for a window and returns the consumer's figures.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSUMER_CORE, nextMessage, startChild, stopChild } from './children.js';
import type { ChildResult, Memory, ParentMessage } from './consumerProcess.js';
import { BENCH_CREDENTIALS, type ConsumerKind } from './consumers.js';
import { startSimulators } from './simulators.js';

/** Time allowed for every stream to connect, on top of the ramp. */
const CONNECT_TIMEOUT_MS = 60_000;
/** How often the consumer is asked how many streams are up. */
const POLL_MS = 250;
/** Time allowed for a consumer process to start (the service opens its store and listens). */
const START_TIMEOUT_MS = 60_000;

export interface RunOptions {
  kind: ConsumerKind;
  streams: number;
  /** Simulated time runs this many times faster than real time. */
  timeScale: number;
  /** Streams the simulators start per second. */
  startPerSec: number;
  measureMs: number;
  /** Unmeasured time once every stream is up, so the start (and any buffered audio) is over. */
  settleMs: number;
  /** Store of a service consumer; its sqlite default without it. */
  storeUrl?: string | undefined;
  /** Clients of the service's outputs, run in this process. */
  observer?: RunObserver | undefined;
}

/**
 * Something that watches a service consumer from outside its process (SSE or WebSocket subscribers),
 * given the service's base URL at each step of the run.
 */
export interface RunObserver {
  /** Before the first stream starts. */
  beforeStreams?(base: string): Promise<void>;
  /** Every stream is up; the run settles next. */
  connected?(base: string): Promise<void>;
  /** Right before and right after the measured window. */
  measureStarts?(base: string): Promise<void>;
  measureEnded?(base: string): Promise<void>;
  /** What it saw, one line each, read once the run is over; it lets go of its connections here. */
  finish(): Promise<string[]>;
}

export interface RunResult extends ChildResult {
  kind: ConsumerKind;
  streams: number;
  /** From the first stream started to the last stream up (the ramp included). */
  connectSeconds: number;
  baseline: Memory;
  /** Whether memory was read after a full GC. */
  gcExposed: boolean;
  /** Why not every stream connected, when one did not. */
  diagnosis: string | undefined;
  /** The service's command line. */
  describe: string | undefined;
  /** Lines the consumer printed on stdout (the service's error log). */
  logLines: string[];
  /** Distinct process warnings of the simulator processes. */
  simWarnings: string[];
  /** What the service wrote into its data folder: file counts by name, and bytes. */
  recorded: { files: Record<string, number>; bytes: number } | undefined;
  /** The observer's lines. */
  observed: string[];
}

interface Baseline {
  type: 'baseline';
  memory: Memory;
  gc: boolean;
  webhookUrl: string | undefined;
  describe: string | undefined;
}

interface Status {
  type: 'status';
  connected: number;
  diagnosis: string;
}

/** Files in a data folder, counted by name (`audio.wav`, `transcript.jsonl` …), and their bytes. */
async function recordedIn(dir: string): Promise<RunResult['recorded']> {
  const files: Record<string, number> = {};
  let bytes = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    files[entry.name] = (files[entry.name] ?? 0) + 1;
    bytes += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return { files, bytes };
}

/** KiB per stream of the growth from `base` to `loaded`. */
export function kibPerStream(loaded: number, base: number, streams: number): number {
  return (loaded - base) / 1024 / Math.max(1, streams);
}

export async function runIngest(options: RunOptions): Promise<RunResult> {
  const isService = options.kind === 'service' || options.kind === 'outputs';
  const dataDir = isService ? await mkdtemp(join(tmpdir(), 'rtmskit-bench-')) : undefined;
  try {
    const result = await measureRun(options, dataDir);
    // Counted once the consumer has exited, so that it shows what the recording left behind.
    return { ...result, recorded: dataDir === undefined ? undefined : await recordedIn(dataDir) };
  } finally {
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  }
}

async function measureRun(
  options: RunOptions,
  dataDir: string | undefined,
): Promise<Omit<RunResult, 'recorded'>> {
  const { observer } = options;
  const child = startChild('./consumerProcess.ts', {
    cores: String(CONSUMER_CORE),
    // INGEST_CONSUMER_NODE_ARGS: extra Node flags for the consumer process, e.g. `--cpu-prof`.
    nodeArgs: ['--expose-gc', ...(process.env.INGEST_CONSUMER_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
    stdout: 'pipe',
  });
  // A send to a consumer that has died fails here; the run then fails on its next wait, naming the exit.
  child.on('error', () => undefined);
  const logLines: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n'))
      if (line.trim() !== '' && logLines.length < 1_000) logLines.push(line);
  });
  const send = (msg: ParentMessage) => {
    if (child.connected) child.send(msg);
  };
  let sims: ReturnType<typeof startSimulators> | undefined;
  try {
    send({
      type: 'start',
      kind: options.kind,
      ...(dataDir === undefined ? {} : { dataDir }),
      ...(options.storeUrl === undefined ? {} : { storeUrl: options.storeUrl }),
    });
    const baseline = await nextMessage<Baseline>(child, 'baseline', START_TIMEOUT_MS);
    const base = baseline.webhookUrl === undefined ? '' : new URL(baseline.webhookUrl).origin;
    await observer?.beforeStreams?.(base);
    const t0 = performance.now();
    sims = startSimulators({
      streams: options.streams,
      timeScale: options.timeScale,
      startPerSec: options.startPerSec,
      credentials: BENCH_CREDENTIALS,
      ...(baseline.webhookUrl === undefined
        ? { onWebhook: (body: string) => send({ type: 'webhook', body }) }
        : { webhookUrl: baseline.webhookUrl }),
    });
    await sims.started;
    let status: Status = { type: 'status', connected: 0, diagnosis: '' };
    const deadline = t0 + (options.streams * 1000) / options.startPerSec + CONNECT_TIMEOUT_MS;
    while (performance.now() < deadline) {
      send({ type: 'status' });
      status = await nextMessage<Status>(child, 'status', START_TIMEOUT_MS);
      if (status.connected >= options.streams) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const connectSeconds = (performance.now() - t0) / 1000;
    await observer?.connected?.(base);
    await new Promise((r) => setTimeout(r, options.settleMs));
    await observer?.measureStarts?.(base);
    send({ type: 'measure', ms: options.measureMs });
    const measured = await nextMessage<ChildResult>(child, 'result', options.measureMs + START_TIMEOUT_MS);
    await observer?.measureEnded?.(base);
    return {
      ...measured,
      kind: options.kind,
      streams: options.streams,
      connectSeconds,
      baseline: baseline.memory,
      gcExposed: baseline.gc,
      diagnosis: status.connected < options.streams ? status.diagnosis : undefined,
      describe: baseline.describe,
      logLines,
      simWarnings: [...sims.warnings],
      observed: (await observer?.finish()) ?? [],
    };
  } finally {
    await sims?.stop();
    await stopChild(child);
  }
}
