/**
 * Turns webhook events into streams and keeps exactly one connection per `rtms_stream_id`: a retried
 * delivery is ignored, a new `rtms_started` for a live stream is a failover, `rtms_interrupted`
 * reconnects, `rtms_stopped` ends.
 */
import { EventEmitter } from 'node:events';
import type { ParticipantInfo, StreamEvents } from '../client/events.js';
import { DEFAULT_MAX_CONCURRENT_HANDSHAKES, HandshakeLimiter } from '../client/handshakeGate.js';
import type { RtmsStreamOptions } from '../client/options.js';
import { RtmsStream } from '../client/RtmsStream.js';
import { type ListenerCounts, safeEmit2, trackListeners } from '../client/safeEmit.js';
import { RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';
import type { WebhookEvent } from '../webhook/events.js';
import { DELIVERY_TTL_MS, type DeliveryLedger, MemoryDeliveryLedger } from './DeliveryLedger.js';
import {
  type ManagerEvents,
  type ManagerOutcome,
  type ResumeInfo,
  type StreamManagerOptions,
  type StreamRef,
  type StreamSnapshot,
  type StreamStart,
  startOf,
} from './types.js';

/** Sockets of all streams that may handshake at once, by default. */
export { DEFAULT_MAX_CONCURRENT_HANDSHAKES } from '../client/handshakeGate.js';
/**
 * How long Zoom keeps a stream whose signaling was lost: a stream not heard of for longer cannot be
 * resumed.
 */
export { SIGNALING_WINDOW_MS } from '../client/options.js';
export * from './types.js';

interface Entry {
  ref: StreamRef;
  stream: RtmsStream;
  startedAt: number;
  participants: Map<string, ParticipantInfo>;
}

function snapshotOf({ ref, stream, startedAt, participants }: Entry): StreamSnapshot {
  return {
    streamId: ref.streamId,
    product: ref.product,
    instanceId: ref.instanceId,
    meetingId: ref.meetingId,
    status: stream.status,
    startedAt,
    participants: [...participants.values()],
    counters: stream.snapshotCounters(),
  };
}

export class StreamManager extends EventEmitter<ManagerEvents> implements AsyncDisposable {
  private readonly options: StreamManagerOptions;
  private readonly ledger: DeliveryLedger;
  /** Shared by every stream: how many sockets may handshake at once. */
  private readonly handshakeGate: HandshakeLimiter;
  private readonly entries = new Map<string, Entry>();
  /** Per stream, the tail of its event queue: events for one stream run in order. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private closing = false;
  /** Listeners per event, for the forwarding path (see `trackListeners`). */
  private readonly listening: ListenerCounts;

  constructor(options: StreamManagerOptions) {
    super();
    this.listening = trackListeners(this as unknown as EventEmitter);
    this.options = options;
    this.ledger = options.ledger ?? new MemoryDeliveryLedger();
    this.handshakeGate = new HandshakeLimiter(
      options.maxConcurrentHandshakes ?? DEFAULT_MAX_CONCURRENT_HANDSHAKES,
    );
  }

  /** The live stream of an id. */
  get(streamId: string): RtmsStream | undefined {
    return this.entries.get(streamId)?.stream;
  }

  /** Sockets handshaking now, and sockets waiting for a slot (see `maxConcurrentHandshakes`). */
  handshakes(): { active: number; waiting: number } {
    return { active: this.handshakeGate.inUse, waiting: this.handshakeGate.queued };
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Acts on one webhook event. Events of one stream are handled in order; different streams never wait
   * on each other. Resolves with what was done.
   */
  handleWebhook(event: WebhookEvent): Promise<ManagerOutcome> {
    const key = 'streamId' in event ? event.streamId : `account:${event.event}`;
    return this.enqueue(key, () => this.handleInOrder(event)).then((outcome) => {
      this.emit('webhookHandled', event, outcome);
      return outcome;
    });
  }

  private async handleInOrder(event: WebhookEvent): Promise<ManagerOutcome> {
    if (this.closing) return 'ignored';
    const ttl = this.options.deliveryTtlMs ?? DELIVERY_TTL_MS;
    switch (event.kind) {
      case 'started': {
        if (!(await this.ledger.claim(event.deliveryKey, ttl))) return 'duplicate';
        const live = this.entries.get(event.streamId);
        if (live) {
          live.stream.failover(event.serverUrls);
          return 'failover';
        }
        this.open(startOf(event));
        return 'connecting';
      }
      case 'interrupted': {
        if (!(await this.ledger.claim(event.deliveryKey, ttl))) return 'duplicate';
        const live = this.entries.get(event.streamId);
        if (!live) return 'ignored';
        live.stream.reconnect('rtms_interrupted webhook');
        return 'reconnecting';
      }
      case 'stopped': {
        if (!(await this.ledger.claim(event.deliveryKey, ttl))) return 'duplicate';
        const live = this.entries.get(event.streamId);
        if (!live) return 'ignored';
        live.stream.stop(event.stopReason);
        return 'stopped';
      }
      default:
        return 'ignored';
    }
  }

  /**
   * Opens a stream known from before a restart (no webhook, no delivery claimed): it reconnects inside
   * Zoom's window, or ends `lost`. Ignored when the stream is already live.
   */
  resume(info: ResumeInfo): Promise<ManagerOutcome> {
    return this.enqueue(info.streamId, () => {
      if (this.closing || this.entries.has(info.streamId)) return 'ignored';
      this.open(info);
      return 'connecting';
    });
  }

  private enqueue(
    key: string,
    task: () => ManagerOutcome | Promise<ManagerOutcome>,
  ): Promise<ManagerOutcome> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.catch(() => undefined);
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return run;
  }

  private open(start: StreamStart): void {
    const { credentials, stream: defaults } = this.options;
    const creds = typeof credentials === 'function' ? credentials(start.product, start) : credentials;
    const extra = typeof defaults === 'function' ? defaults(start) : (defaults ?? {});
    const options: RtmsStreamOptions = {
      ...extra,
      streamId: start.streamId,
      instanceId: start.instanceId,
      product: start.product,
      serverUrls: start.serverUrls,
      credentials: creds,
      handshakeGate: extra.handshakeGate ?? this.handshakeGate,
    };
    const stream = this.options.createStream ? this.options.createStream(options) : new RtmsStream(options);
    const ref: StreamRef = {
      streamId: start.streamId,
      product: start.product,
      instanceId: start.instanceId,
      meetingId: start.meetingId,
    };
    const entry: Entry = { ref, stream, startedAt: Date.now(), participants: new Map() };
    this.entries.set(start.streamId, entry);
    this.wire(entry);
    this.emit('streamAdded', ref);
    // Failures surface through 'closed' (and 'error'); the queue must not wait for the connection.
    stream.connect().catch(() => undefined);
  }

  private wire(entry: Entry): void {
    const { ref, stream } = entry;
    const counts = this.listening;
    const report = (name: string, cause: unknown) => {
      if (name === 'error') return;
      const error = new RtmsError(RTMS_ERROR_CODES.HANDLER_FAILED, `a '${name}' listener threw`, {
        cause,
        fix: 'fix the listener; the stream goes on',
      });
      safeEmit2(this, counts.error, 'error', ref, error, () => undefined);
    };
    // Every event of the stream, called directly: one dispatch per frame, not a second EventEmitter hop.
    // A listener that throws does not starve the others (a recorder behind an application handler).
    stream.setSink((name, payload) => {
      safeEmit2(this, counts[name], name, ref, payload, report);
      if (name === 'participantJoin') {
        for (const p of (payload as StreamEvents['participantJoin'][0]).participants)
          entry.participants.set(String(p.userId), p);
      } else if (name === 'participantLeave') {
        for (const p of (payload as StreamEvents['participantLeave'][0]).participants)
          entry.participants.delete(String(p.userId));
      } else if (name === 'closed') {
        if (this.entries.get(ref.streamId) === entry) this.entries.delete(ref.streamId);
        this.emit('streamRemoved', ref, payload as StreamEvents['closed'][0]);
      }
    });
  }

  /** A snapshot of every live stream. */
  streams(): StreamSnapshot[] {
    return [...this.entries.values()].map(snapshotOf);
  }

  /** A snapshot of one live stream. */
  snapshot(streamId: string): StreamSnapshot | undefined {
    const entry = this.entries.get(streamId);
    return entry ? snapshotOf(entry) : undefined;
  }

  /**
   * Closes every stream. By default the sockets just go and Zoom keeps each stream for its reconnect
   * window (a restarted service resumes them); `endStreams` asks Zoom to end them instead.
   */
  async close(options: { endStreams?: boolean } = {}): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.queues.values()]);
    await Promise.allSettled(
      [...this.entries.values()].map(({ stream }) => stream.close({ graceful: options.endStreams ?? false })),
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
