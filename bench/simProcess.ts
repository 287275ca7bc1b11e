/**
 * The simulator side of the ingest benchmarks, in its own process so its CPU is not counted against the
 * consumer. Started by bench/simulators.ts; told what to run over IPC. Webhooks go to `webhookUrl` when
 * one is given (a service), otherwise each body is sent back over IPC. Process warnings go back over IPC
 * too (the process runs with `--no-warnings`), so the parent can name them once instead of interleaving
 * them with its tables.
 */
import { Simulator } from '../src/simulator/Simulator.js';

export interface SimStart {
  type: 'start';
  streams: number;
  /** Seed of the first stream's scenario; the next ones count up. */
  firstSeed: number;
  timeScale: number;
  durationMs: number;
  /** Streams this process starts per second of real time (a ramp, as meetings do not all start at once). */
  startPerSec: number;
  credentials: { clientId: string; clientSecret: string; secretToken: string };
  webhookUrl?: string;
}

process.on('warning', (warning) => {
  process.send?.({ type: 'warning', text: `${warning.name}: ${warning.message}` });
});

process.on('message', async (msg: SimStart | { type: 'stop' }) => {
  if (msg.type === 'stop') process.exit(0);
  const sim = await Simulator.start({
    timeScale: msg.timeScale,
    credentials: msg.credentials,
    keepAlive: 'always',
    ...(msg.webhookUrl === undefined ? {} : { webhookUrl: msg.webhookUrl }),
  });
  if (msg.webhookUrl === undefined) {
    sim.on('webhook', (notice) => {
      if (!notice.duplicate) process.send?.({ type: 'webhook', body: notice.body.toString('utf8') });
    });
  }
  const t0 = performance.now();
  for (let i = 0; i < msg.streams; i++) {
    const due = t0 + (i * 1000) / msg.startPerSec;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sim.startStream({ participants: 2, durationMs: msg.durationMs, seed: msg.firstSeed + i });
  }
  process.send?.({ type: 'started' });
});
