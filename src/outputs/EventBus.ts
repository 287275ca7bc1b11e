/**
 * The one bus every live output reads: each stream's lifecycle, participants, transcripts, chat,
 * reconnects and finished recordings as JSON events with ids, kept in a bounded replay buffer, and its
 * media frames for the subscribers that ask for them. Outputs (SSE, WebSocket, Redis Streams, outbound
 * webhooks) subscribe here; a slow one has its own bounded buffer, so nothing here ever waits.
 */
import { MEETING_EVENT_NAMES } from '../client/eventNames.js';
import type { StreamEvents } from '../client/events.js';
import type { StreamManager, StreamRef } from '../manager/StreamManager.js';
import type { Product } from '../protocol/products.js';

/** Events published for each stream, by name: the library's own event names, plus the stream's start and end. */
export const BUS_EVENT_TYPES = [
  'streamStarted',
  'streamEnded',
  'stateChange',
  'transcript',
  'chat',
  'reconnecting',
  'reconnected',
  'recordingFinished',
  ...MEETING_EVENT_NAMES,
] as const;

export type BusEventType = (typeof BUS_EVENT_TYPES)[number];

/** The stream events the bus forwards as they are (everything but media, errors and raw events). */
const FORWARDED = BUS_EVENT_TYPES.filter(
  (t): t is BusEventType & keyof StreamEvents =>
    t !== 'streamStarted' && t !== 'streamEnded' && t !== 'recordingFinished',
);

export interface BusEvent {
  /** Unique per instance and process, in publishing order: what SSE's `Last-Event-ID` names. */
  id: string;
  type: BusEventType;
  streamId: string;
  product: Product;
  /** Zoom's instance id (meeting uuid, session id…). */
  instanceId: string;
  meetingId: string | undefined;
  /** Epoch ms of publication. */
  at: number;
  /** The rtmskit instance that published it (`RTMSKIT_INSTANCE_ID`). */
  origin: string;
  data: Readonly<Record<string, unknown>>;
}

export type MediaKindOut = 'audio' | 'video' | 'deskshare';

/** A media frame, as the stream received it. */
export interface MediaFrameOut {
  kind: MediaKindOut;
  streamId: string;
  userId: number;
  userName: string | undefined;
  timestamp: number;
  codec: number;
  /** Audio only. */
  sampleRate: number | undefined;
  channels: number | undefined;
  data: Buffer;
}

/** Which events a subscriber wants. */
export interface BusFilter {
  streamId?: string;
  types?: ReadonlySet<string>;
}

/** Events kept for `Last-Event-ID` by default. */
export const DEFAULT_REPLAY_EVENTS = 10_000;

interface Subscriber {
  filter: BusFilter;
  handler: (event: BusEvent) => void;
}

interface MediaSubscriber {
  kinds: ReadonlySet<MediaKindOut>;
  handler: (frame: MediaFrameOut) => void;
}

/**
 * Reaches the media of streams that other instances of a fleet hold (`FleetMedia` in a Redis fleet):
 * told of every media subscription, it brings the frames of a stream held elsewhere here through
 * {@link EventBus.injectMedia}.
 */
export interface RemoteMedia {
  /** A media subscription of `streamId` began on this bus; returns its end. */
  watch(streamId: string, kinds: ReadonlySet<MediaKindOut>): () => void;
}

export interface EventBusOptions {
  /** This rtmskit instance, as `origin`. */
  instanceId: string;
  /** Events kept for replay. Default {@link DEFAULT_REPLAY_EVENTS}. */
  replay?: number;
  now?: () => number;
}

function matches(filter: BusFilter, event: BusEvent): boolean {
  return (
    (filter.streamId === undefined || filter.streamId === event.streamId) &&
    (filter.types === undefined || filter.types.has(event.type))
  );
}

export class EventBus {
  readonly instanceId: string;
  private readonly capacity: number;
  private readonly now: () => number;
  /** A ring of the latest events, oldest at `head`. */
  private readonly ring: (BusEvent | undefined)[];
  private head = 0;
  private size = 0;
  private readonly boot: string;
  private seq = 0;
  private readonly subscribers = new Set<Subscriber>();
  private readonly media = new Map<string, Set<MediaSubscriber>>();
  /** Media listeners on the manager, attached only while someone wants media. */
  private mediaAttached: (() => void) | undefined;
  private manager: StreamManager | undefined;
  private remote: RemoteMedia | undefined;
  /** Events published here, and events handed to subscribers. */
  readonly counters = { published: 0, delivered: 0, mediaFrames: 0 };

  constructor(options: EventBusOptions) {
    this.instanceId = options.instanceId;
    this.capacity = Math.max(1, options.replay ?? DEFAULT_REPLAY_EVENTS);
    this.now = options.now ?? Date.now;
    this.ring = new Array(this.capacity);
    this.boot = Date.now().toString(36);
  }

  /** Publishes every stream event of `manager` (not media: see {@link subscribeMedia}). Returns a detach. */
  attach(manager: StreamManager): () => void {
    this.manager = manager;
    const offs: (() => void)[] = [];
    const on = <K extends keyof StreamEvents>(name: K, data: (payload: StreamEvents[K][0]) => object) => {
      const listener = (ref: StreamRef, payload: StreamEvents[K][0]) =>
        this.publish(ref, name as BusEventType, data(payload) as Record<string, unknown>);
      manager.on(name, listener as never);
      offs.push(() => manager.off(name, listener as never));
    };
    for (const name of FORWARDED) on(name, (payload) => ({ ...(payload as object) }));
    const started = (ref: StreamRef) => this.publish(ref, 'streamStarted', {});
    const ended: Parameters<typeof manager.on<'streamRemoved'>>[1] = (ref, removed) =>
      this.publish(ref, 'streamEnded', {
        reason: removed.reason,
        stopReason: removed.stopReason,
        ...(removed.error ? { error: { code: removed.error.code, message: removed.error.message } } : {}),
      });
    manager.on('streamAdded', started);
    manager.on('streamRemoved', ended);
    offs.push(() => manager.off('streamAdded', started));
    offs.push(() => manager.off('streamRemoved', ended));
    return () => {
      for (const off of offs) off();
      this.mediaAttached?.();
      this.mediaAttached = undefined;
      this.manager = undefined;
    };
  }

  /** Publishes one event of a stream from this instance. */
  publish(ref: StreamRef, type: BusEventType, data: Record<string, unknown>): BusEvent {
    const event: BusEvent = {
      id: `${this.boot}-${++this.seq}`,
      type,
      streamId: ref.streamId,
      product: ref.product,
      instanceId: ref.instanceId,
      meetingId: ref.meetingId,
      at: this.now(),
      origin: this.instanceId,
      data,
    };
    this.counters.published++;
    this.deliver(event);
    return event;
  }

  /** An event another instance of the fleet published: kept and delivered here with its own id. */
  inject(event: BusEvent): void {
    if (event.origin === this.instanceId) return;
    this.deliver(event);
  }

  private deliver(event: BusEvent): void {
    this.ring[(this.head + this.size) % this.capacity] = event;
    if (this.size < this.capacity) this.size++;
    else this.head = (this.head + 1) % this.capacity;
    for (const sub of this.subscribers) {
      if (!matches(sub.filter, event)) continue;
      this.counters.delivered++;
      try {
        sub.handler(event);
      } catch {
        // A subscriber's failure is its own: the others and the stream go on.
      }
    }
  }

  /** Every event after `lastId` still in the replay buffer; `truncated` when `lastId` is no longer there. */
  since(lastId: string | undefined, filter: BusFilter = {}): { events: BusEvent[]; truncated: boolean } {
    const kept: BusEvent[] = [];
    for (let i = 0; i < this.size; i++) kept.push(this.ring[(this.head + i) % this.capacity] as BusEvent);
    if (lastId === undefined) return { events: [], truncated: false };
    const at = kept.findIndex((e) => e.id === lastId);
    const after = at < 0 ? kept : kept.slice(at + 1);
    return { events: after.filter((e) => matches(filter, e)), truncated: at < 0 };
  }

  /** Calls `handler` with every event that matches `filter` from now on. Returns the unsubscribe. */
  subscribe(filter: BusFilter, handler: (event: BusEvent) => void): () => void {
    const sub: Subscriber = { filter, handler };
    this.subscribers.add(sub);
    return () => this.subscribers.delete(sub);
  }

  /** Subscribers of events now. */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /**
   * Calls `handler` with each frame of the kinds asked for of one stream, as it arrives. The manager's
   * media events are listened to only while someone wants media. Returns the unsubscribe.
   *
   * @remarks In a fleet (see {@link setRemoteMedia}) this works for a stream held by another instance
   * too: its frames are relayed here while the subscription lasts.
   */
  subscribeMedia(
    streamId: string,
    kinds: ReadonlySet<MediaKindOut>,
    handler: (frame: MediaFrameOut) => void,
  ): () => void {
    const sub: MediaSubscriber = { kinds, handler };
    let set = this.media.get(streamId);
    if (!set) {
      set = new Set();
      this.media.set(streamId, set);
    }
    set.add(sub);
    this.attachMedia();
    let unwatch = this.remote?.watch(streamId, kinds);
    return () => {
      unwatch?.();
      unwatch = undefined;
      const current = this.media.get(streamId);
      current?.delete(sub);
      if (current?.size === 0) this.media.delete(streamId);
      if (this.media.size === 0) {
        this.mediaAttached?.();
        this.mediaAttached = undefined;
      }
    };
  }

  /** Lets {@link subscribeMedia} reach streams held elsewhere; for the subscriptions made from now on. */
  setRemoteMedia(remote: RemoteMedia | undefined): void {
    this.remote = remote;
  }

  /** A frame of a stream another instance holds, relayed here: handed to this bus's subscribers of its kind. */
  injectMedia(frame: MediaFrameOut): void {
    const subs = this.media.get(frame.streamId);
    if (subs) this.deliverMedia(subs, frame);
  }

  /** Media subscribers now, over all streams. */
  get mediaSubscriberCount(): number {
    let n = 0;
    for (const set of this.media.values()) n += set.size;
    return n;
  }

  private attachMedia(): void {
    const manager = this.manager;
    if (this.mediaAttached || !manager) return;
    const forward =
      (kind: MediaKindOut) =>
      (ref: StreamRef, frame: StreamEvents['audio'][0] | StreamEvents['video'][0]) => {
        const subs = this.media.get(ref.streamId);
        if (!subs) return;
        const audio = kind === 'audio' ? (frame as StreamEvents['audio'][0]) : undefined;
        const out: MediaFrameOut = {
          kind,
          streamId: ref.streamId,
          userId: frame.userId,
          userName: frame.userName,
          timestamp: frame.timestamp,
          codec: frame.codec,
          sampleRate: audio?.sampleRate,
          channels: audio?.channels,
          data: frame.data,
        };
        this.deliverMedia(subs, out);
      };
    const audio = forward('audio');
    const video = forward('video');
    const deskshare = forward('deskshare');
    manager.on('audio', audio);
    manager.on('video', video);
    manager.on('deskshare', deskshare);
    this.mediaAttached = () => {
      manager.off('audio', audio);
      manager.off('video', video);
      manager.off('deskshare', deskshare);
    };
  }

  private deliverMedia(subs: ReadonlySet<MediaSubscriber>, frame: MediaFrameOut): void {
    this.counters.mediaFrames++;
    for (const sub of subs) {
      if (!sub.kinds.has(frame.kind)) continue;
      try {
        sub.handler(frame);
      } catch {
        // As for events: one subscriber's failure is its own.
      }
    }
  }
}
