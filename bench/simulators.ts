/**
 * The load side of the ingest benchmark: simulator child processes at the lowest priority, and the
 * pinning of the consumer to one core.
 */
import { execFileSync, fork } from 'node:child_process';
import { availableParallelism, setPriority } from 'node:os';
import { parseWebhookEvent, type RtmsStartedEvent } from '../src/webhook/events.js';

/** Streams per simulator process: one process cannot send 1,000 streams' frames in real time. */
export const STREAMS_PER_SIM_PROCESS = 500;
/** The simulator runs at the lowest priority, so it never takes the consumer's core from it. */
export const SIM_NICE = 19;
/** The core the consumer is pinned to; the simulator processes use what the consumer leaves. */
export const CONSUMER_CORE = 0;
/** Cores of the machine, read before the consumer is pinned (pinning makes it report 1). */
export const CORES = availableParallelism();

export interface Simulators {
  started: Promise<void>;
  events: RtmsStartedEvent[];
  onStarted: (cb: (e: RtmsStartedEvent) => void) => void;
  stop: () => void;
}

/** Sets the cores (`taskset` list, e.g. `0` or `0-1`) of every thread of a process; false without `taskset`. */
export function setCores(pid: number, cores: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-c', '-p', cores, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Starts the simulator processes, `STREAMS_PER_SIM_PROCESS` streams each, at low priority. */
export function startSimulators(
  streams: number,
  timeScale: number,
  credentials: { clientId: string; clientSecret: string },
): Simulators {
  const processes = Math.ceil(streams / STREAMS_PER_SIM_PROCESS);
  const events: RtmsStartedEvent[] = [];
  let listener: ((e: RtmsStartedEvent) => void) | undefined;
  const children = Array.from({ length: processes }, (_, i) => {
    const child = fork(new URL('./simProcess.ts', import.meta.url).pathname, [], {
      // INGEST_SIM_NODE_ARGS: extra Node flags for the simulator processes, e.g. `--cpu-prof`.
      execArgv: ['--import', 'tsx', ...(process.env.INGEST_SIM_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    if (child.pid !== undefined) {
      setPriority(child.pid, SIM_NICE);
      // A child inherits the consumer's pinning: give it every core back.
      setCores(child.pid, `0-${CORES - 1}`);
    }
    const first = Math.floor((streams * i) / processes);
    const count = Math.floor((streams * (i + 1)) / processes) - first;
    child.send({
      type: 'start',
      streams: count,
      firstSeed: first + 1,
      timeScale,
      durationMs: 3_600_000,
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
    });
    return child;
  });
  const started = Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          child.on('message', (msg: { type: string; body?: string }) => {
            if (msg.type === 'started') resolve();
            if (msg.type === 'webhook' && msg.body) {
              const parsed = parseWebhookEvent(JSON.parse(msg.body) as Record<string, unknown>);
              if (parsed.ok && parsed.event?.kind === 'started') {
                events.push(parsed.event);
                listener?.(parsed.event);
              }
            }
          });
        }),
    ),
  ).then(() => undefined);
  return {
    started,
    events,
    onStarted: (cb) => {
      listener = cb;
      for (const e of events) cb(e);
    },
    stop: () => {
      for (const child of children) {
        child.send({ type: 'stop' });
        setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
      }
    },
  };
}
