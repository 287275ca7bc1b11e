/**
 * Turns webhook events into streams and keeps exactly one connection per `rtms_stream_id`: a retried
 * delivery is ignored, a new `rtms_started` for a live stream is a failover, `rtms_interrupted`
 * reconnects, `rtms_stopped` ends. In a fleet, a stream held by another instance is left to it and its
 * events are routed there (see {@link Ownership}).
 */
import { EventEmitter } from 'node:events';
import type { ParticipantInfo, StreamEvents } from '../client/events.js';
import {
  DEFAULT_MAX_CONCURRENT_HANDSHAKES,
  type HandshakeGate,
  HandshakeLimiter,
} from '../client/handshakeGate.js';
import type { RtmsStreamOptions } from '../client/options.js';
import { RtmsStream } from '../client/RtmsStream.js';
import { type ListenerTracker, safeEmit2, trackListeners } from '../client/safeEmit.js';
import { RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';
import type { WebhookEvent } from '../webhook/events.js';
import { DELIVERY_TTL_MS, type DeliveryLedger, MemoryDeliveryLedger } from './DeliveryLedger.js';
import { type Ownership, SOLE_OWNER } from './ownership.js';
import {
  type ManagerEvents,
  type ManagerOutcome,
  type RemovedEvent,
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
  /** Closed because another instance holds the stream now. */
  released: boolean;
}

/** How an event reached the manager: from Zoom (claimed here, may be routed on) or routed by a peer. */
interface Arrival {
  claim: boolean;
  mayRoute: boolean;
}

const FROM_ZOOM: Arrival = { claim: true, mayRoute: true };
const ROUTED: Arrival = { claim: false, mayRoute: false };

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
  private readonly ownership: Ownership;
  private readonly entries = new Map<string, Entry>();
  /** Per stream, the tail of its event queue: events for one stream run in order. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private closing = false;
  /** Listeners per event, for the forwarding path (see `trackListeners`). */
  private readonly listening: ListenerTracker;

  constructor(options: StreamManagerOptions) {
    super();
    this.listening = trackListeners(this as unknown as EventEmitter);
    this.options = options;
    this.ledger = options.ledger ?? new MemoryDeliveryLedger();
    this.ownership = options.ownership ?? SOLE_OWNER;
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
    return this.handle(event, FROM_ZOOM);
  }

  /**
   * Acts on an event another instance of the fleet claimed and routed here, because this one holds its
   * stream. It is not claimed again, and never routed on.
   */
  handleRouted(event: WebhookEvent): Promise<ManagerOutcome> {
    return this.handle(event, ROUTED);
  }

  private handle(event: WebhookEvent, arrival: Arrival): Promise<ManagerOutcome> {
    const key = 'streamId' in event ? event.streamId : `account:${event.event}`;
    return this.enqueue(key, () => this.handleInOrder(event, arrival)).then((outcome) => {
      this.emit('webhookHandled', event, outcome);
      return outcome;
    });
  }

  private async handleInOrder(event: WebhookEvent, arrival: Arrival): Promise<ManagerOutcome> {
    if (this.closing) return 'ignored';
    if (event.kind !== 'started' && event.kind !== 'interrupted' && event.kind !== 'stopped') {
      return 'ignored';
    }
    const ttl = this.options.deliveryTtlMs ?? DELIVERY_TTL_MS;
    if (arrival.claim && !(await this.ledger.claim(event.deliveryKey, ttl))) return 'duplicate';
    const live = this.entries.get(event.streamId);
    switch (event.kind) {
      case 'started': {
        if (live) {
          live.stream.failover(event.serverUrls);
          return 'failover';
        }
        const claim = await this.ownership.acquire(event.streamId);
        if (!claim.held) {
          if (!arrival.mayRoute) return 'ignored';
          await this.ownership.route(claim.owner, event);
          return 'routed';
        }
        if (this.closing) {
          await this.ownership.release(event.streamId);
          return 'ignored';
        }
        this.open(startOf(event));
        return 'connecting';
      }
      case 'interrupted':
        if (!live) {
          await this.ownership.connectionGone(event.streamId);
          return this.routeOn(event, arrival);
        }
        live.stream.reconnect('rtms_interrupted webhook');
        return 'reconnecting';
      case 'stopped':
        if (!live) return this.routeOn(event, arrival);
        live.stream.stop(event.stopReason);
        return 'stopped';
    }
  }

  /** An event for a stream not held here: to the instance that holds it, if one does. */
  private async routeOn(
    event: WebhookEvent & { streamId: string },
    arrival: Arrival,
  ): Promise<ManagerOutcome> {
    if (!arrival.mayRoute) return 'ignored';
    const owner = await this.ownership.ownerOf(event.streamId);
    if (owner === undefined || owner === this.ownership.instanceId) return 'ignored';
    await this.ownership.route(owner, event);
    return 'routed';
  }

  /**
   * Closes a stream here without ending it, because another instance of the fleet holds it now (its
   * lease moved on). `streamRemoved` says `released`. Does nothing for a stream not held here.
   */
  async release(streamId: string): Promise<void> {
    const entry = this.entries.get(streamId);
    if (!entry) return;
    entry.released = true;
    await entry.stream.close({ graceful: false });
  }

  /**
   * Opens a stream known from before a restart (no webhook, no delivery claimed): it reconnects inside
   * Zoom's window, or ends `lost`. Ignored when the stream is already live.
   */
  resume(info: ResumeInfo): Promise<ManagerOutcome> {
    return this.enqueue(info.streamId, async () => {
      if (this.closing || this.entries.has(info.streamId)) return 'ignored';
      const claim = await this.ownership.acquire(info.streamId);
      if (!claim.held) return 'ignored';
      if (this.closing) {
        await this.ownership.release(info.streamId);
        return 'ignored';
      }
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
      handshakeGate: this.fenced(start.streamId, extra.handshakeGate ?? this.handshakeGate),
    };
    const stream = this.options.createStream ? this.options.createStream(options) : new RtmsStream(options);
    const ref: StreamRef = {
      streamId: start.streamId,
      product: start.product,
      instanceId: start.instanceId,
      meetingId: start.meetingId,
    };
    const entry: Entry = { ref, stream, startedAt: Date.now(), participants: new Map(), released: false };
    this.entries.set(start.streamId, entry);
    this.wire(entry);
    this.emit('streamAdded', ref);
    // Failures surface through 'closed' (and 'error'); the queue must not wait for the connection.
    stream.connect().catch(() => undefined);
  }

  /**
   * The handshake gate of a stream, asking first whether this manager still holds it: a stream whose
   * lease moved to another instance never connects again from here.
   */
  private fenced(streamId: string, gate: HandshakeGate): HandshakeGate {
    if (this.ownership === SOLE_OWNER) return gate;
    return {
      acquire: async (signal) => {
        if (!(await this.ownership.confirm(streamId))) {
          void this.release(streamId);
          throw RtmsError.aborted(`connecting stream ${streamId}: another instance holds it now`);
        }
        return gate.acquire(signal);
      },
    };
  }

  private wire(entry: Entry): void {
    const { ref, stream } = entry;
    const listeners = this.listening;
    const report = (name: string, cause: unknown) => {
      if (name === 'error') return;
      const error = new RtmsError(RTMS_ERROR_CODES.HANDLER_FAILED, `a '${name}' listener threw`, {
        cause,
        fix: 'fix the listener; the stream goes on',
      });
      safeEmit2(this, listeners, 'error', ref, error, () => undefined);
    };
    // Every event of the stream, called directly: one dispatch per frame, not a second EventEmitter hop.
    // A listener that throws does not starve the others (a recorder behind an application handler).
    stream.setSink((name, payload) => {
      safeEmit2(this, listeners, name, ref, payload, report);
      if (name === 'participantJoin') {
        for (const p of (payload as StreamEvents['participantJoin'][0]).participants)
          entry.participants.set(String(p.userId), p);
      } else if (name === 'participantLeave') {
        for (const p of (payload as StreamEvents['participantLeave'][0]).participants)
          entry.participants.delete(String(p.userId));
      } else if (name === 'closed') {
        if (this.entries.get(ref.streamId) === entry) this.entries.delete(ref.streamId);
        const closed = payload as StreamEvents['closed'][0];
        const removed: RemovedEvent = entry.released ? { ...closed, reason: 'released' } : closed;
        if (!entry.released) void this.ownership.release(ref.streamId);
        this.emit('streamRemoved', ref, removed);
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
