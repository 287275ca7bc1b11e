/**
 * The simulator side of the ingest benchmark, in its own process so its CPU is not counted against the
 * consumer. Started by bench/ingest.ts; talks over IPC.
 */
import { Simulator } from '../src/simulator/Simulator.js';

interface Start {
  type: 'start';
  streams: number;
  /** Seed of the first stream's scenario; the next ones count up. */
  firstSeed: number;
  timeScale: number;
  durationMs: number;
  clientId: string;
  clientSecret: string;
}

process.on('message', async (msg: Start | { type: 'stop' }) => {
  if (msg.type === 'stop') {
    process.exit(0);
  }
  const sim = await Simulator.start({
    timeScale: msg.timeScale,
    credentials: { clientId: msg.clientId, clientSecret: msg.clientSecret, secretToken: 'bench' },
    keepAlive: 'always',
  });
  sim.on('webhook', (notice) => {
    if (!notice.duplicate) process.send?.({ type: 'webhook', body: notice.body.toString('utf8') });
  });
  for (let i = 0; i < msg.streams; i++)
    sim.startStream({ participants: 2, durationMs: msg.durationMs, seed: msg.firstSeed + i });
  process.send?.({ type: 'started' });
});
