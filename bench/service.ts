/**
 * Service benchmark: `rtmskit serve` (RtmsService recording every stream: WAV, transcripts, events, into
 * a temporary data folder with the sqlite store; webhooks posted to it by the simulator over HTTP)
 * against the library path (a `StreamManager` with no-op listeners and the same stream options) at 1,000
 * streams, so that the cost of recording is a number. Both run as the service runs: Zoom's default
 * audio buffering and timeouts.
 *
 * Environment: SERVICE_STREAMS (default 1000), SERVICE_ROUNDS (3), SERVICE_MEASURE_MS (15000),
 * SERVICE_SETTLE_MS (3000), SERVICE_START_PER_SEC (100); the INGEST_*_NODE_ARGS of bench/ingest.ts apply.
 */
import {
  type ComparisonOptions,
  compare,
  printCpuRatio,
  printDelay,
  printMemory,
  setupLines,
} from './compare.js';
import { envInt, envInts } from './env.js';

/** CPU per message of the recording service over the library path we aim for. */
const GOAL_CPU_RATIO = 1.3;
/** Event-loop delay p99 of the service we aim for (as for the library at 1,000 streams). */
const GOAL_P99_MS = 20;

export async function benchService(): Promise<void> {
  for (const streams of envInts('SERVICE_STREAMS', [1000])) {
    const options: ComparisonOptions = {
      contenders: ['library', 'service'],
      streams,
      startPerSec: envInt('SERVICE_START_PER_SEC', 100),
      rounds: envInt('SERVICE_ROUNDS', 3),
      measureMs: envInt('SERVICE_MEASURE_MS', 15_000),
      settleMs: envInt('SERVICE_SETTLE_MS', 3_000),
    };
    console.log(
      '\nservice: rtmskit serve (recording WAV + transcripts + events, sqlite) vs the library path',
    );
    for (const line of setupLines(options)) console.log(line);
    const results = await compare(options);
    const described = results.service[0]?.describe;
    if (described) console.log(`  service: ${described}`);
    console.log('  library: StreamManager with no-op listeners and the stream options RtmsService gives it');
    printCpuRatio(results, options, GOAL_CPU_RATIO);
    printDelay(results, 'service', GOAL_P99_MS);
    printMemory(results, options);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchService();
}
