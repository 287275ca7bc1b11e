/**
 * Media of streams held by another instance of the fleet, for subscribers here. Once started,
 * `bus.subscribeMedia(streamId, kinds, handler)` is the one call for any stream of the fleet: for a stream
 * held here it is the bus's own local path; for one held elsewhere the frames come through Redis:
 *
 * ```
 * subscriber's instance                         Redis                           holder
 *   SUBSCRIBE P live:<id> ──────────────────────▶
 *   SET P live-interest:<id> {kinds} PX 5 s ────▶ (read by a holder that starts the stream later)
 *   PUBLISH P live-interest {id, kinds} ────────▶ ─────────────────────────────▶ relays the kinds asked
 *   … both again every second while subscribed                                   for, until 5 s after the
 *                                         ◀──── PUBLISH P live:<id> <frame> ◀──── last ask, or until a
 *   bus.injectMedia(frame) → handlers                                             PUBLISH reaches nobody
 * ```
 *
 * Without interest the holder pays nothing per frame: it listens to no media for relaying and sends
 * nothing; what it does is read the rare announcements, and one GET of the interest key per stream start.
 */
import type { Redis } from 'ioredis';
import type { EventBus, MediaFrameOut, MediaKindOut, RemoteMedia } from './EventBus.js';
import type { RedisBatch } from './redisBatch.js';
import {
  decodeInterest,
  decodeRelayFrame,
  encodeInterest,
  encodeRelayFrame,
  INTEREST_TTL_MS,
  type Interest,
  type LiveKeys,
} from './redisEntries.js';

/** How often an instance says again which remote streams it wants, and a holder drops stale asks. */
export const INTEREST_REFRESH_MS = 1_000;
/** What a control command weighs in the batch, about. */
const CONTROL_BYTES = 128;

export interface FleetMediaOptions {
  bus: EventBus;
  /** Commands: interest keys, announcements, relayed frames. */
  batch: RedisBatch;
  /** A connection of its own, in subscriber mode. */
  subscriber: Redis;
  keys: LiveKeys;
  /** True for a stream this instance holds (its frames come from its own sockets). */
  isLocal(streamId: string): boolean;
  /** A subscription call failed (Redis away); it is tried again at the next refresh. */
  onError(err: unknown): void;
  now?: () => number;
}

/** A remote stream wanted here: how many subscriptions want each kind. */
interface Wanted {
  kinds: Map<MediaKindOut, number>;
  /** The channel's SUBSCRIBE is confirmed (or under way). */
  subscribed: boolean;
  subscribing: boolean;
}

/** A stream held here whose frames go to the channel: each kind until its last ask is stale. */
interface Relay {
  until: Map<MediaKindOut, number>;
  /** The kinds relayed now; the bus reads this set for each frame. */
  kinds: Set<MediaKindOut>;
  off: () => void;
}

export class FleetMedia implements RemoteMedia {
  /** Frames received for subscribers here, and relays started for other instances. */
  readonly counters = { received: 0, relaysStarted: 0 };
  private readonly options: FleetMediaOptions;
  private readonly now: () => number;
  private readonly wanted = new Map<string, Wanted>();
  private readonly relays = new Map<string, Relay>();
  private timer: NodeJS.Timeout | undefined;
  private offEvents: (() => void) | undefined;
  /** Set while this object subscribes to local media for a relay: that subscription is no remote ask. */
  private subscribingLocally = false;
  private closed = false;

  constructor(options: FleetMediaOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** Subscribes to the announcements, hooks into the bus and starts refreshing. */
  async start(): Promise<void> {
    const { bus, subscriber } = this.options;
    subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => this.onMessage(channel, message));
    // After a reconnect ioredis subscribes again by itself; this covers a first subscribe that failed.
    subscriber.on('ready', () => void this.subscribeAnnouncements());
    if (subscriber.status === 'wait')
      await subscriber.connect().catch((err: unknown) => this.options.onError(err));
    await this.subscribeAnnouncements();
    bus.setRemoteMedia(this);
    this.offEvents = bus.subscribe({ types: new Set(['streamStarted', 'streamEnded']) }, (event) => {
      if (event.origin !== bus.instanceId) return;
      if (event.type === 'streamStarted') this.askedBefore(event.streamId);
      else this.stopRelay(event.streamId);
      if (this.wanted.has(event.streamId)) this.refresh(event.streamId);
    });
    this.timer = setInterval(() => this.tick(), INTEREST_REFRESH_MS);
    this.timer.unref();
  }

  /** Streams held elsewhere wanted here now, and streams held here relayed now. */
  get sizes(): { wanted: number; relays: number } {
    return { wanted: this.wanted.size, relays: this.relays.size };
  }

  /** {@link RemoteMedia.watch}: a media subscription on this bus began. */
  watch(streamId: string, kinds: ReadonlySet<MediaKindOut>): () => void {
    if (this.subscribingLocally || this.closed || kinds.size === 0) return () => {};
    let wanted = this.wanted.get(streamId);
    if (wanted === undefined) {
      wanted = { kinds: new Map(), subscribed: false, subscribing: false };
      this.wanted.set(streamId, wanted);
    }
    for (const kind of kinds) wanted.kinds.set(kind, (wanted.kinds.get(kind) ?? 0) + 1);
    this.refresh(streamId);
    const entry = wanted;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const kind of kinds) {
        const left = (entry.kinds.get(kind) ?? 1) - 1;
        if (left > 0) entry.kinds.set(kind, left);
        else entry.kinds.delete(kind);
      }
      if (entry.kinds.size > 0 || this.wanted.get(streamId) !== entry) return;
      this.wanted.delete(streamId);
      if (entry.subscribed || entry.subscribing) this.unsubscribe(streamId);
    };
  }

  private async subscribeAnnouncements(): Promise<void> {
    if (this.closed) return;
    await this.options.subscriber
      .subscribe(this.options.keys.interestChannel)
      .catch((err: unknown) => this.options.onError(err));
  }

  private tick(): void {
    for (const streamId of this.wanted.keys()) this.refresh(streamId);
    const now = this.now();
    for (const [streamId, relay] of this.relays) {
      for (const [kind, until] of relay.until) {
        if (until > now) continue;
        relay.until.delete(kind);
        relay.kinds.delete(kind);
      }
      if (relay.kinds.size === 0) this.stopRelay(streamId);
    }
  }

  /** Subscribes to a wanted remote stream's channel, then says so; leaves it when the stream is held here. */
  private refresh(streamId: string): void {
    const wanted = this.wanted.get(streamId);
    if (wanted === undefined || this.closed) return;
    if (this.options.isLocal(streamId)) {
      if (wanted.subscribed) {
        wanted.subscribed = false;
        this.unsubscribe(streamId);
      }
      return;
    }
    if (wanted.subscribed) {
      this.announce({ streamId, kinds: [...wanted.kinds.keys()] });
      return;
    }
    if (wanted.subscribing) return;
    wanted.subscribing = true;
    this.options.subscriber.subscribe(this.options.keys.live(streamId)).then(
      () => {
        wanted.subscribing = false;
        if (this.wanted.get(streamId) !== wanted) return;
        wanted.subscribed = true;
        this.announce({ streamId, kinds: [...wanted.kinds.keys()] });
      },
      (err: unknown) => {
        wanted.subscribing = false;
        this.options.onError(err);
      },
    );
  }

  private announce(interest: Interest): void {
    const { batch, keys } = this.options;
    const text = encodeInterest(interest);
    batch.add(
      undefined,
      ['set', keys.interest(interest.streamId), text, 'PX', INTEREST_TTL_MS],
      CONTROL_BYTES,
    );
    batch.add(undefined, ['publish', keys.interestChannel, text], CONTROL_BYTES);
  }

  private unsubscribe(streamId: string): void {
    if (this.closed) return;
    this.options.subscriber.unsubscribe(this.options.keys.live(streamId)).catch(() => {
      // Gone with the connection: ioredis does not subscribe again to what was unsubscribed.
    });
  }

  private onMessage(channel: Buffer, message: Buffer): void {
    const { keys, bus, isLocal } = this.options;
    const name = channel.toString();
    if (name === keys.interestChannel) {
      const interest = decodeInterest(message.toString());
      if (interest !== undefined) this.relay(interest);
      return;
    }
    const streamId = keys.liveStreamOf(name);
    // A stream that came here meanwhile has its frames from its own sockets.
    if (streamId === undefined || !this.wanted.has(streamId) || isLocal(streamId)) return;
    const frame = decodeRelayFrame(streamId, message);
    if (frame === undefined) return;
    this.counters.received++;
    bus.injectMedia(frame);
  }

  /** A stream started here: someone may have asked for it before (a new stream, or one taken over). */
  private askedBefore(streamId: string): void {
    this.options.batch.add(
      undefined,
      ['get', this.options.keys.interest(streamId)],
      CONTROL_BYTES,
      (reply) => {
        if (typeof reply !== 'string') return;
        const interest = decodeInterest(reply);
        if (interest !== undefined) this.relay(interest);
      },
    );
  }

  private relay(interest: Interest): void {
    const { streamId } = interest;
    if (this.closed || interest.kinds.length === 0 || !this.options.isLocal(streamId)) return;
    let relay = this.relays.get(streamId);
    if (relay === undefined) {
      const kinds = new Set<MediaKindOut>();
      const started: Relay = { until: new Map(), kinds, off: () => {} };
      this.subscribingLocally = true;
      try {
        started.off = this.options.bus.subscribeMedia(streamId, kinds, (frame) =>
          this.publish(started, frame),
        );
      } finally {
        this.subscribingLocally = false;
      }
      this.relays.set(streamId, started);
      this.counters.relaysStarted++;
      relay = started;
    }
    const until = this.now() + INTEREST_TTL_MS;
    for (const kind of interest.kinds) {
      relay.until.set(kind, until);
      relay.kinds.add(kind);
    }
  }

  private publish(relay: Relay, frame: MediaFrameOut): void {
    const { batch, keys, isLocal } = this.options;
    if (!isLocal(frame.streamId)) return;
    const message = encodeRelayFrame(frame);
    batch.add('relay', ['publish', keys.live(frame.streamId), message], message.length, (receivers) => {
      // Nobody listens any more (every subscriber left): stop now rather than at the interest's expiry.
      if (receivers === 0 && this.relays.get(frame.streamId) === relay) this.stopRelay(frame.streamId);
    });
  }

  private stopRelay(streamId: string): void {
    const relay = this.relays.get(streamId);
    if (relay === undefined) return;
    this.relays.delete(streamId);
    relay.off();
  }

  /** Stops relaying and receiving; subscriptions made on the bus stay, local only. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.offEvents?.();
    this.options.bus.setRemoteMedia(undefined);
    for (const streamId of [...this.relays.keys()]) this.stopRelay(streamId);
    this.wanted.clear();
    this.options.subscriber.disconnect();
  }
}
