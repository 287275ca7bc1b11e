/**
 * One consumer of an ingest benchmark in a fresh process of its own (started pinned by
 * bench/ingestRun.ts), so that its CPU, event loop and memory are its own. Over IPC:
 *
 *   parent                          child
 *   {start} ─────────────────────▶  builds the consumer, GC, memory baseline
 *           ◀───────────────────── {baseline, webhookUrl}
 *   {webhook} … ──────────────────▶ connects streams
 *   {status} ─────────────────────▶
 *           ◀───────────────────── {status, connected, diagnosis}
 *   {measure} ────────────────────▶ CPU, event loop, GC over the window; then GC and memory
 *           ◀───────────────────── {result}
 *   {stop} ───────────────────────▶ exits
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { type Consumer, type ConsumerKind, createConsumer } from './consumers.js';

export interface Memory {
  rss: number;
  heapUsed: number;
}

export interface ChildResult {
  type: 'result';
  messages: number;
  seconds: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Share of the window the event loop was busy. */
  utilization: number;
  delayP50Ms: number;
  delayP99Ms: number;
  delayMaxMs: number;
  gcMaxMs: number;
  gcTotalMs: number;
  connected: number;
  memory: Memory;
}

export type ParentMessage =
  | { type: 'start'; kind: ConsumerKind; dataDir?: string; storeUrl?: string }
  | { type: 'webhook'; body: string }
  | { type: 'status' }
  | { type: 'measure'; ms: number }
  | { type: 'stop' };

/** Resolution of the event-loop delay histogram: the figures include up to this much. */
export const DELAY_RESOLUTION_MS = 5;

/** Memory after a full GC when `--expose-gc` is on. */
function memory(): Memory {
  global.gc?.();
  global.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

let messages = 0;
const count = () => {
  messages++;
};

async function measure(ms: number, connected: () => number): Promise<ChildResult> {
  const eld = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  const gc = { max: 0, total: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.max = Math.max(gc.max, entry.duration);
      gc.total += entry.duration;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const cpuBefore = process.cpuUsage();
  const eluBefore = performance.eventLoopUtilization();
  const startMessages = messages;
  const t0 = performance.now();
  eld.enable();
  await new Promise((r) => setTimeout(r, ms));
  eld.disable();
  gcObserver.disconnect();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const elu = performance.eventLoopUtilization(eluBefore);
  const measured = messages - startMessages;
  const streamsUp = connected();
  return {
    type: 'result',
    messages: measured,
    seconds,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    utilization: elu.utilization,
    delayP50Ms: eld.percentile(50) / 1e6,
    delayP99Ms: eld.percentile(99) / 1e6,
    delayMaxMs: eld.max / 1e6,
    gcMaxMs: gc.max,
    gcTotalMs: gc.total,
    connected: streamsUp,
    memory: memory(),
  };
}

let consumer: Consumer | undefined;

process.on('message', async (msg: ParentMessage) => {
  switch (msg.type) {
    case 'start':
      consumer = await createConsumer({
        kind: msg.kind,
        count,
        dataDir: msg.dataDir,
        storeUrl: msg.storeUrl,
      });
      process.send?.({
        type: 'baseline',
        memory: memory(),
        gc: typeof global.gc === 'function',
        webhookUrl: consumer.webhookUrl,
        describe: consumer.describe,
      });
      return;
    case 'webhook':
      consumer?.onWebhook(msg.body);
      return;
    case 'status':
      process.send?.({
        type: 'status',
        connected: consumer?.connected() ?? 0,
        diagnosis: consumer?.diagnosis(),
      });
      return;
    case 'measure':
      if (consumer) process.send?.(await measure(msg.ms, consumer.connected));
      return;
    case 'stop':
      // No teardown: the process is the unit of cleanup (the parent removes the service's data folder).
      process.exit(0);
  }
});
