/**
 * The metrics of the Redis live outputs: entries appended to and dropped from Redis Streams by kind,
 * frames relayed between instances, and events of other instances brought to this bus. Read from the
 * outputs' counters at scrape time, so appending pays nothing for them.
 */
import { Counter, type Registry } from 'prom-client';
import type { BatchCounters, EntryKind } from './redisBatch.js';

/** What the metrics read. */
export interface RedisOutputSource {
  batch: BatchCounters;
  /** Frames received from holders for subscribers here. */
  framesReceived(): number;
  /** Events of other instances injected into this bus. */
  eventsInjected(): number;
}

const ENTRY_KINDS: readonly Exclude<EntryKind, 'relay'>[] = ['event', 'audio', 'video', 'deskshare'];

/** Adds what a monotonic source grew since the last scrape: prom-client counters only go up. */
function grower(): (
  counter: Counter<string>,
  key: string,
  now: number,
  labels: Record<string, string>,
) => void {
  const reported = new Map<string, number>();
  return (counter, key, now, labels) => {
    const before = reported.get(key) ?? 0;
    // Adding 0 too, so that every series shows from the first scrape on.
    counter.inc(labels, Math.max(0, now - before));
    reported.set(key, Math.max(before, now));
  };
}

export function registerRedisOutputMetrics(registry: Registry, source: RedisOutputSource): void {
  const entries = grower();
  new Counter({
    name: 'rtmskit_redis_stream_entries_total',
    help: 'Entries appended to Redis Streams (rtmskit:events, rtmskit:media:<id>) and dropped while Redis was away or behind, by kind',
    labelNames: ['kind', 'outcome'],
    registers: [registry],
    collect() {
      for (const kind of ENTRY_KINDS) {
        entries(this, `appended:${kind}`, source.batch.appended[kind], { kind, outcome: 'appended' });
        entries(this, `dropped:${kind}`, source.batch.dropped[kind], { kind, outcome: 'dropped' });
      }
    },
  });
  const frames = grower();
  new Counter({
    name: 'rtmskit_fleet_media_frames_total',
    help: 'Media frames of streams held here relayed to other instances (sent, dropped) and of streams held elsewhere received for subscribers here',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      frames(this, 'sent', source.batch.appended.relay, { direction: 'sent' });
      frames(this, 'dropped', source.batch.dropped.relay, { direction: 'dropped' });
      frames(this, 'received', source.framesReceived(), { direction: 'received' });
    },
  });
  const injected = grower();
  new Counter({
    name: 'rtmskit_fleet_events_received_total',
    help: 'Events of streams held by other instances, read from rtmskit:events and published on this instance’s live outputs',
    registers: [registry],
    collect() {
      injected(this, 'injected', source.eventsInjected(), {});
    },
  });
}
