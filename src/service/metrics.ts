/**
 * Prometheus metrics of the service. Per-frame counts are read from the streams' own counters at scrape
 * time, so the media path pays nothing for them.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StreamManager, StreamSnapshot } from '../manager/StreamManager.js';
import type { RemovedRecording } from '../media/retention.js';
import { MEDIA_KINDS, type MediaKind } from '../protocol/enums.js';
import { CONCURRENCY_EVENTS, parseLifecycleEventName, URL_VALIDATION_EVENT } from '../protocol/products.js';
import type { WebhookResult } from '../webhook/receiver.js';
import type { ConnectionCounters } from './connectionGuard.js';
import { type FleetSource, registerFleetMetrics } from './fleetMetrics.js';
import type { OutputCounters } from './outputCounters.js';
import { registerOutputMetrics } from './outputMetrics.js';

const CONCURRENCY_EVENT_NAMES: ReadonlySet<string> = new Set(Object.values(CONCURRENCY_EVENTS));

/**
 * The `event` label of a webhook metric: Zoom's RTMS event names as they are, `other` for any other
 * name and `none` when there was none. Labels are never taken from a request as such: a signed body can
 * still name any event, and one long name would make a `/metrics` line as long.
 */
export function webhookEventLabel(name: string | undefined): string {
  if (name === undefined) return 'none';
  if (name === URL_VALIDATION_EVENT || CONCURRENCY_EVENT_NAMES.has(name)) return name;
  return parseLifecycleEventName(name) === undefined ? 'other' : name;
}

export interface MetricSources {
  /** Bytes or items dropped by full sink buffers, per sink. */
  drops(): Record<string, number>;
  /** The HTTP server's connection counts. */
  http?: () => ConnectionCounters;
  /** This instance's id, and its fleet member when the store is Redis. */
  instanceId?: string;
  fleet?: FleetSource;
  /** The live outputs' counters. */
  outputs?: OutputCounters;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly webhooks: Counter<'event' | 'result'>;
  private readonly deduplicated: Counter;
  private readonly reconnects: Counter<'scope' | 'trigger'>;
  private readonly ackSeconds: Histogram;
  private readonly retention: Counter<'what'>;
  private readonly revocations: Counter;
  private readonly revokedFiles: Counter;
  /** Totals of streams that are gone, so media counters never go backwards. */
  private readonly retired = { frames: zeros(), bytes: zeros() };
  private readonly reported = { frames: zeros(), bytes: zeros() };
  /** Brings the media and sink counters up to date; run at every scrape. */
  private readonly refresh: () => void;

  constructor(manager: StreamManager, sources?: MetricSources) {
    const registry = this.registry;
    this.webhooks = new Counter({
      name: 'rtmskit_webhooks_total',
      help: 'Webhook requests by event and result',
      labelNames: ['event', 'result'],
      registers: [registry],
    });
    this.deduplicated = new Counter({
      name: 'rtmskit_webhook_deliveries_deduplicated_total',
      help: 'Webhook deliveries recognised as retries and ignored',
      registers: [registry],
    });
    this.reconnects = new Counter({
      name: 'rtmskit_reconnects_total',
      help: 'Recoveries started, by scope and trigger',
      labelNames: ['scope', 'trigger'],
      registers: [registry],
    });
    this.ackSeconds = new Histogram({
      name: 'rtmskit_webhook_ack_seconds',
      help: 'Time from a webhook request’s arrival (headers read) to its answer handed to the socket',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 3],
      registers: [registry],
    });
    this.retention = new Counter({
      name: 'rtmskit_retention_deleted_total',
      help: 'Ended stream records and recording folders deleted by the retention sweep',
      labelNames: ['what'],
      registers: [registry],
    });
    this.revocations = new Counter({
      name: 'rtmskit_streams_revoked_total',
      help: 'Streams Zoom revoked (stop reason STREAM_REVOKED) whose recordings were deleted',
      registers: [registry],
    });
    this.revokedFiles = new Counter({
      name: 'rtmskit_revoked_files_deleted_total',
      help: 'Files deleted because their stream was revoked',
      registers: [registry],
    });
    registerFleetMetrics(registry, sources?.instanceId ?? 'local', sources?.fleet);
    if (sources?.outputs) registerOutputMetrics(registry, sources.outputs);
    const http = sources?.http;
    new Gauge({
      name: 'rtmskit_http_connections',
      help: 'HTTP connections open now',
      registers: [registry],
      collect() {
        this.set(http?.().open ?? 0);
      },
    });
    const evicted = new Counter({
      name: 'rtmskit_http_connections_evicted_total',
      help: 'HTTP connections closed because the connection limit (RTMSKIT_MAX_CONNECTIONS) was reached',
      registers: [registry],
    });
    let evictedReported = 0;
    const snapshots = () => manager.streams();
    new Gauge({
      name: 'rtmskit_streams',
      help: 'Live streams by status',
      labelNames: ['status'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of snapshots()) this.inc({ status: s.status });
      },
    });
    new Gauge({
      name: 'rtmskit_handshakes',
      help: 'Sockets handshaking now (active) and waiting for a handshake slot (waiting)',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const { active, waiting } = manager.handshakes();
        this.set({ state: 'active' }, active);
        this.set({ state: 'waiting' }, waiting);
      },
    });
    new Gauge({
      name: 'rtmskit_keepalive_delay_seconds',
      help: 'Delay of the latest keep-alive request (one way plus clock skew), max and mean over streams',
      labelNames: ['stat'],
      registers: [registry],
      collect() {
        this.reset();
        const delays = snapshots()
          .map((s) => s.counters.keepAliveDelayMs)
          .filter((d): d is number => d !== undefined);
        if (delays.length === 0) return;
        this.set({ stat: 'max' }, Math.max(...delays) / 1000);
        this.set({ stat: 'mean' }, delays.reduce((a, b) => a + b, 0) / delays.length / 1000);
      },
    });
    const messages = new Counter({
      name: 'rtmskit_media_messages_total',
      help: 'Media messages delivered, by kind',
      labelNames: ['kind'],
      registers: [registry],
    });
    const bytes = new Counter({
      name: 'rtmskit_media_bytes_total',
      help: 'Media payload bytes delivered, by kind',
      labelNames: ['kind'],
      registers: [registry],
    });
    const drops = new Counter({
      name: 'rtmskit_sink_drops_total',
      help: 'Data dropped by recording sinks whose buffers were full',
      labelNames: ['sink'],
      registers: [registry],
    });
    const dropsReported: Record<string, number> = {};
    // Counters only go up: report the growth since the last scrape.
    const refresh = () => {
      const totals = { frames: { ...this.retired.frames }, bytes: { ...this.retired.bytes } };
      for (const s of snapshots()) addCounters(totals, s);
      for (const kind of MEDIA_KINDS) {
        const df = totals.frames[kind] - this.reported.frames[kind];
        const db = totals.bytes[kind] - this.reported.bytes[kind];
        if (df > 0) messages.inc({ kind }, df);
        if (db > 0) bytes.inc({ kind }, db);
        this.reported.frames[kind] = Math.max(this.reported.frames[kind], totals.frames[kind]);
        this.reported.bytes[kind] = Math.max(this.reported.bytes[kind], totals.bytes[kind]);
      }
      const evictedNow = http?.().evicted ?? 0;
      if (evictedNow > evictedReported) evicted.inc(evictedNow - evictedReported);
      evictedReported = Math.max(evictedReported, evictedNow);
      for (const [sink, value] of Object.entries(sources?.drops() ?? {})) {
        const delta = value - (dropsReported[sink] ?? 0);
        if (delta > 0) drops.inc({ sink }, delta);
        dropsReported[sink] = Math.max(dropsReported[sink] ?? 0, value);
      }
    };
    this.refresh = refresh;

    manager.on('webhookHandled', (_event, outcome) => {
      if (outcome === 'duplicate') this.deduplicated.inc();
    });
    manager.on('reconnecting', (_ref, event) => {
      if (event.attempt === 1) this.reconnects.inc({ scope: event.scope, trigger: event.trigger });
    });
    // A stream's last counters move to the retired totals as it closes; the manager drops it right after,
    // in the same emit, so no scrape counts it twice.
    manager.on('closed', (ref) => {
      const last = manager.snapshot(ref.streamId);
      if (last) addCounters(this.retired, last);
    });
  }

  /** A webhook was answered. */
  webhook(result: WebhookResult, latencyMs: number): void {
    this.webhooks.inc({
      event: webhookEventLabel(result.eventName),
      result: `${result.outcome}-${result.status}`,
    });
    this.ackSeconds.observe(latencyMs / 1000);
  }

  /** A retention sweep deleted these. */
  retained(streamRecords: number, recordings: number): void {
    if (streamRecords > 0) this.retention.inc({ what: 'stream_records' }, streamRecords);
    if (recordings > 0) this.retention.inc({ what: 'recordings' }, recordings);
  }

  /** A revoked stream's recordings were deleted. */
  revoked(removed: readonly RemovedRecording[]): void {
    this.revocations.inc();
    const files = removed.reduce((n, r) => n + r.files, 0);
    if (files > 0) this.revokedFiles.inc(files);
  }

  /** The text of `/metrics`. */
  async text(): Promise<string> {
    this.refresh();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function zeros(): Record<MediaKind, number> {
  return { audio: 0, video: 0, deskshare: 0, transcript: 0, chat: 0 };
}

function addCounters(
  into: { frames: Record<MediaKind, number>; bytes: Record<MediaKind, number> },
  s: StreamSnapshot,
) {
  for (const kind of MEDIA_KINDS) {
    into.frames[kind] += s.counters.frames[kind];
    into.bytes[kind] += s.counters.bytes[kind];
  }
}
