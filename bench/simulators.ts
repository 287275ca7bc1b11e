/**
 * The load side of the ingest benchmarks: simulator child processes at the lowest priority, each sending
 * `STREAMS_PER_SIM_PROCESS` streams, their webhooks either handed to the caller or posted to a URL.
 */
import { CORES, nextMessage, SIM_NICE, startChild, stopChild } from './children.js';
import type { SimStart } from './simProcess.js';

/** Streams per simulator process: one process cannot send 1,000 streams' frames in real time. */
export const STREAMS_PER_SIM_PROCESS = 500;
/** Time allowed for a simulator process to start its servers, on top of the ramp of its streams. */
const SIM_START_TIMEOUT_MS = 60_000;

export interface SimulatorLoad {
  /** Resolves once every process has started its streams (webhooks may still be in flight). */
  started: Promise<void>;
  /** Stops every process and resolves once they have exited. */
  stop: () => Promise<void>;
  /** Distinct process warnings of the simulator processes. */
  warnings: Set<string>;
}

export interface SimulatorLoadOptions {
  streams: number;
  timeScale: number;
  /** Streams started per second, over all processes. */
  startPerSec: number;
  credentials: { clientId: string; clientSecret: string; secretToken: string };
  /** Where the simulators post their webhooks (a service); without it each body goes to `onWebhook`. */
  webhookUrl?: string;
  onWebhook?: (body: string) => void;
}

/** Starts the simulator processes, `STREAMS_PER_SIM_PROCESS` streams each, at nice `SIM_NICE` on every core. */
export function startSimulators(options: SimulatorLoadOptions): SimulatorLoad {
  const { streams } = options;
  const processes = Math.ceil(streams / STREAMS_PER_SIM_PROCESS);
  const warnings = new Set<string>();
  const children = Array.from({ length: processes }, (_, i) => {
    const child = startChild('./simProcess.ts', {
      cores: `0-${CORES - 1}`,
      nice: SIM_NICE,
      // INGEST_SIM_NODE_ARGS: extra Node flags for the simulator processes, e.g. `--cpu-prof`.
      nodeArgs: ['--no-warnings', ...(process.env.INGEST_SIM_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
    });
    child.on('message', (msg: { type: string; body?: string; text?: string }) => {
      if (msg.type === 'webhook' && msg.body !== undefined) options.onWebhook?.(msg.body);
      if (msg.type === 'warning' && msg.text !== undefined) warnings.add(msg.text);
    });
    const first = Math.floor((streams * i) / processes);
    const start: SimStart = {
      type: 'start',
      streams: Math.floor((streams * (i + 1)) / processes) - first,
      firstSeed: first + 1,
      timeScale: options.timeScale,
      durationMs: 3_600_000,
      startPerSec: options.startPerSec / processes,
      credentials: options.credentials,
      ...(options.webhookUrl === undefined ? {} : { webhookUrl: options.webhookUrl }),
    };
    child.send(start);
    return child;
  });
  const rampMs = (streams * 1000) / options.startPerSec;
  const started = Promise.all(
    children.map((c) => nextMessage(c, 'started', SIM_START_TIMEOUT_MS + rampMs)),
  ).then(() => undefined);
  // A failed start is reported by whoever awaits `started`; this only keeps it from being unhandled.
  started.catch(() => undefined);
  return {
    started,
    warnings,
    stop: async () => {
      await Promise.all(children.map((child) => stopChild(child)));
    },
  };
}
