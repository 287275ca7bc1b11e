/**
 * `npm run bench`: a header naming the machine, then the codec and webhook throughput against bare
 * floors, the ingest comparison against the floor, the service against the library path, the live
 * outputs (SSE and Redis Streams against none; one WebSocket subscriber of 100 streams), and recovery
 * after faults. Each benchmark reads its own settings from the environment (see its opening comment).
 */
import { benchCodec } from './codec.js';
import { benchIngest } from './ingest.js';
import { benchOutputs } from './outputs.js';
import { benchRecovery } from './recovery.js';
import { machineLine } from './report.js';
import { benchService } from './service.js';
import { benchWebhook } from './webhook.js';

const BENCHMARKS: readonly [name: string, run: () => Promise<void>][] = [
  ['codec', benchCodec],
  ['webhook', benchWebhook],
  ['ingest', benchIngest],
  ['service', benchService],
  ['outputs', benchOutputs],
  ['recovery', benchRecovery],
];

/** BENCH_ONLY=ingest,service runs only those. */
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());

console.log(machineLine());
const t0 = performance.now();
for (const [name, run] of BENCHMARKS) {
  if (only && !only.includes(name)) continue;
  const started = performance.now();
  await run();
  console.log(`  (${name}: ${((performance.now() - started) / 1000).toFixed(0)} s)`);
}
console.log(`\nall benchmarks: ${((performance.now() - t0) / 60_000).toFixed(1)} min`);
