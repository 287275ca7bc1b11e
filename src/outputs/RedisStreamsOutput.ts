/**
 * The Redis Streams output: every event this instance publishes becomes an entry of `P events`, and the
 * media kinds opted in (`RTMSKIT_REDIS_MEDIA`) of each stream held here become entries of
 * `P media:<streamId>`, for workers in any language (XREAD, consumer groups). Both are bounded with
 * `MAXLEN ~`; a media key expires an hour after its last entry. Appends go through the batch: one
 * pipeline per event-loop turn, dropped and counted while Redis is away.
 */
import type { BusEvent, EventBus, MediaFrameOut, MediaKindOut } from './EventBus.js';
import type { RedisBatch } from './redisBatch.js';
import { eventFields, type LiveKeys, mediaFields } from './redisEntries.js';

/** A stream's media key expires this long after its last entry. */
export const MEDIA_KEY_TTL_MS = 60 * 60 * 1000;
/** A media key's expiry is pushed back at most this often (so not once per frame). */
const MEDIA_EXPIRE_REFRESH_MS = 10_000;
/** What an entry's fields and command weigh besides its values, about. */
const ENTRY_OVERHEAD_BYTES = 64;

export interface RedisStreamsOutputOptions {
  bus: EventBus;
  batch: RedisBatch;
  keys: LiveKeys;
  /** `MAXLEN ~` of `P events`. */
  eventsMaxLen: number;
  /** Media kinds appended per stream; none by default. */
  media: readonly MediaKindOut[];
  /** `MAXLEN ~` of each `P media:<streamId>`. */
  mediaMaxLen: number;
  now?: () => number;
}

interface MediaTap {
  off: () => void;
  /** When the key's expiry was last pushed back (0: not yet). */
  expiredAt: number;
}

export class RedisStreamsOutput {
  private readonly options: RedisStreamsOutputOptions;
  private readonly now: () => number;
  private readonly mediaKinds: ReadonlySet<MediaKindOut>;
  private readonly taps = new Map<string, MediaTap>();
  private offEvents: (() => void) | undefined;

  constructor(options: RedisStreamsOutputOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.mediaKinds = new Set(options.media);
  }

  /** Appends from now on. */
  start(): void {
    const { bus } = this.options;
    this.offEvents?.();
    this.offEvents = bus.subscribe({}, (event) => {
      // Events other instances published reach this bus too; each is appended once, by its publisher.
      if (event.origin !== bus.instanceId) return;
      this.append(event);
      if (this.mediaKinds.size === 0) return;
      if (event.type === 'streamStarted') this.tap(event.streamId);
      else if (event.type === 'streamEnded') this.untap(event.streamId);
    });
  }

  /** Streams whose media is appended now. */
  get mediaStreams(): number {
    return this.taps.size;
  }

  private append(event: BusEvent): void {
    const { batch, keys, eventsMaxLen } = this.options;
    const fields = eventFields(event);
    let bytes = ENTRY_OVERHEAD_BYTES;
    for (const field of fields) bytes += field.length;
    batch.add('event', ['xadd', keys.events, 'MAXLEN', '~', eventsMaxLen, '*', ...fields], bytes);
  }

  private tap(streamId: string): void {
    if (this.taps.has(streamId)) return;
    const tap: MediaTap = { off: () => {}, expiredAt: 0 };
    tap.off = this.options.bus.subscribeMedia(streamId, this.mediaKinds, (frame) =>
      this.appendMedia(tap, frame),
    );
    this.taps.set(streamId, tap);
  }

  private untap(streamId: string): void {
    this.taps.get(streamId)?.off();
    this.taps.delete(streamId);
  }

  private appendMedia(tap: MediaTap, frame: MediaFrameOut): void {
    const { batch, keys, mediaMaxLen } = this.options;
    const key = keys.media(frame.streamId);
    const bytes = frame.data.length + ENTRY_OVERHEAD_BYTES;
    const added = batch.add(
      frame.kind,
      ['xadd', key, 'MAXLEN', '~', mediaMaxLen, '*', ...mediaFields(frame)],
      bytes,
    );
    const now = this.now();
    if (!added || now - tap.expiredAt < MEDIA_EXPIRE_REFRESH_MS) return;
    tap.expiredAt = now;
    batch.add(undefined, ['pexpire', key, MEDIA_KEY_TTL_MS], ENTRY_OVERHEAD_BYTES);
  }

  /** Stops appending. Idempotent. */
  close(): void {
    this.offEvents?.();
    this.offEvents = undefined;
    for (const tap of this.taps.values()) tap.off();
    this.taps.clear();
  }
}
