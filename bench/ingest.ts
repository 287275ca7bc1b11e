/**
 * Ingest benchmark: rtmskit (`StreamManager`, no-op listeners, live media only) against the floor (bare
 * `ws` + JSON.parse + base64 decode + keep-alive answers) at 1,000 concurrent streams of 20 ms L16 audio
 * plus transcripts. The same rounds run the transport floor: the floor's code on rtmskit's own WebSocket
 * client, the least any consumer on rtmskit's sockets can cost, so rtmskit's ratio can be read against
 * what its transport alone gives. Every consumer asks for live media only (`buffer_data: false`): the
 * measure is the steady state. See bench/compare.ts for rounds and order, bench/ingestRun.ts for one run.
 *
 * Environment: INGEST_STREAMS (default 1000; a list such as 200,1000 runs each), INGEST_ROUNDS (3),
 * INGEST_MEASURE_MS (15000), INGEST_SETTLE_MS (2000), INGEST_START_PER_SEC (100); INGEST_CONSUMER_NODE_ARGS
 * and INGEST_SIM_NODE_ARGS pass Node flags (e.g. `--cpu-prof`) to the consumer and simulator processes.
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

/** CPU per message of rtmskit over the floor we aim for: clearly ahead of it. */
const GOAL_CPU_RATIO = 0.9;
/** Event-loop delay p99 of rtmskit we aim for at 1,000 streams on one core. */
const GOAL_P99_MS = 20;

export async function benchIngest(): Promise<void> {
  for (const streams of envInts('INGEST_STREAMS', [1000])) {
    const options: ComparisonOptions = {
      contenders: ['floor', 'rtmskit', 'transport'],
      streams,
      startPerSec: envInt('INGEST_START_PER_SEC', 100),
      rounds: envInt('INGEST_ROUNDS', 3),
      measureMs: envInt('INGEST_MEASURE_MS', 15_000),
      settleMs: envInt('INGEST_SETTLE_MS', 2_000),
    };
    console.log(
      '\ningest: rtmskit StreamManager (no-op listeners) vs the floor (bare ws + JSON.parse + base64); ' +
        'transport: the floor on rtmskit’s WebSocket client',
    );
    for (const line of setupLines(options)) console.log(line);
    const results = await compare(options);
    printCpuRatio(results, options, GOAL_CPU_RATIO);
    printCpuRatio(results, options, undefined, 'transport');
    printDelay(results, 'rtmskit', GOAL_P99_MS);
    printMemory(results, options);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchIngest();
}
