/**
 * The metrics of outbound webhooks, read from the notifier's counters at scrape time: notifications
 * delivered, failed for good, retried and lost before the outbox, by type, and those pending now.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { NOTIFICATION_TYPE_LABELS, type Notifier, type NotifierCounters } from './Notifier.js';

const COUNTERS: readonly { key: keyof NotifierCounters; name: string; help: string }[] = [
  {
    key: 'sent',
    name: 'rtmskit_notifications_delivered_total',
    help: 'Outbound webhooks the receiver answered with 2xx',
  },
  {
    key: 'failed',
    name: 'rtmskit_notifications_failed_total',
    help: 'Outbound webhooks given up: refused by the receiver (4xx) or undelivered for 24 h',
  },
  {
    key: 'retried',
    name: 'rtmskit_notifications_retried_total',
    help: 'Outbound webhook attempts that failed and were scheduled again',
  },
  {
    key: 'dropped',
    name: 'rtmskit_notifications_dropped_total',
    help: 'Outbound webhooks lost before they reached the outbox (store away too long, or at stop)',
  },
];

export function registerNotifyMetrics(registry: Registry, notifier: Notifier): void {
  new Gauge({
    name: 'rtmskit_notifications_pending',
    help: 'Outbound webhooks in the outbox not yet delivered or given up, as last counted',
    registers: [registry],
    collect() {
      this.set(notifier.pending);
    },
  });
  for (const { key, name, help } of COUNTERS) {
    const reported = new Map<string, number>();
    new Counter({
      name,
      help,
      labelNames: ['type'],
      registers: [registry],
      collect() {
        for (const type of NOTIFICATION_TYPE_LABELS) {
          const now = notifier.counters[key][type];
          const before = reported.get(type) ?? 0;
          this.inc({ type }, Math.max(0, now - before));
          reported.set(type, Math.max(before, now));
        }
      },
    });
  }
}
