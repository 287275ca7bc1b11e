/**
 * Metrics of the live outputs, read at scrape time: subscribers now, messages and bytes sent, messages
 * dropped for subscribers that fell behind, and subscribers closed for staying behind, per output.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { OUTPUT_NAMES, type OutputCounters } from './outputCounters.js';

export function registerOutputMetrics(registry: Registry, outputs: OutputCounters): void {
  new Gauge({
    name: 'rtmskit_output_subscribers',
    help: 'Live output subscribers connected now (SSE clients, WebSocket subscribers)',
    labelNames: ['output'],
    registers: [registry],
    collect() {
      for (const output of OUTPUT_NAMES) this.set({ output }, outputs.of(output).subscribers);
    },
  });
  const counter = (name: string, help: string, read: (o: ReturnType<OutputCounters['of']>) => number) => {
    const reported: Record<string, number> = {};
    new Counter({
      name,
      help,
      labelNames: ['output'],
      registers: [registry],
      collect() {
        for (const output of OUTPUT_NAMES) {
          const now = read(outputs.of(output));
          const delta = now - (reported[output] ?? 0);
          if (delta > 0) this.inc({ output }, delta);
          reported[output] = Math.max(reported[output] ?? 0, now);
        }
      },
    });
  };
  counter('rtmskit_output_messages_total', 'Messages sent to live output subscribers', (o) => o.messages);
  counter('rtmskit_output_bytes_total', 'Bytes sent to live output subscribers', (o) => o.bytes);
  counter(
    'rtmskit_output_dropped_total',
    'Messages dropped for live output subscribers that had too much unsent',
    (o) => o.dropped,
  );
  counter(
    'rtmskit_output_disconnected_total',
    'Live output subscribers closed because they stayed behind',
    (o) => o.disconnected,
  );
}
