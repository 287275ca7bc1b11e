/**
 * The live outputs' commands to Redis, sent together as one pipeline at most every
 * {@link BATCH_FLUSH_MS}, so that a thousand streams' events cost a few round trips rather than one each. Nothing here waits for Redis or throws to
 * the caller: while Redis is not connected, or while the queue is over its bound because Redis is slow,
 * a command is dropped at once and counted, and an outage is reported once, when it begins and when it
 * ends.
 */
import type { Redis } from 'ioredis';

/** What a counted command appends: an event entry, a media entry of a kind, or a frame relayed to a peer. */
export type EntryKind = 'event' | 'audio' | 'video' | 'deskshare' | 'relay';

export const ENTRY_KINDS: readonly EntryKind[] = ['event', 'audio', 'video', 'deskshare', 'relay'];

/** Commands queued for the next pipeline at most, by default. */
export const BATCH_MAX_COMMANDS = 20_000;
/** Bytes (of values) queued for the next pipeline at most, by default. */
export const BATCH_MAX_BYTES = 32 * 1024 * 1024;
/**
 * Pipelines are at least this far apart: a command after a quiet spell goes on the next turn, and those
 * that follow within it go together, so a thousand streams' events cost a few round trips a second.
 */
export const BATCH_FLUSH_MS = 20;

export interface BatchCounters {
  /** Commands Redis carried out, by what they append. */
  appended: Record<EntryKind, number>;
  /** Commands dropped (Redis away or behind, or a command refused), by what they would have appended. */
  dropped: Record<EntryKind, number>;
}

/** A command as ioredis's `pipeline()` takes it: its name, then its arguments. */
export type BatchCommand = [name: string, ...args: (string | number | Buffer)[]];

interface Queued {
  /** Undefined for a command that appends nothing (an expiry, an interest key). */
  kind: EntryKind | undefined;
  command: BatchCommand;
  bytes: number;
  done: ((reply: unknown) => void) | undefined;
}

export interface RedisBatchOptions {
  /** Default {@link BATCH_MAX_COMMANDS}. */
  maxCommands?: number;
  /** Default {@link BATCH_MAX_BYTES}. */
  maxBytes?: number;
  /** The first command of an outage was dropped, for `reason`. */
  onOutage(reason: string): void;
  /** Redis carried out commands again; `dropped` were lost in the outage. */
  onBack(dropped: number): void;
}

function zeros(): Record<EntryKind, number> {
  return { event: 0, audio: 0, video: 0, deskshare: 0, relay: 0 };
}

export class RedisBatch {
  readonly counters: BatchCounters = { appended: zeros(), dropped: zeros() };
  private readonly redis: Redis;
  private readonly options: RedisBatchOptions;
  private readonly maxCommands: number;
  private readonly maxBytes: number;
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private flushedAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  private closed = false;
  /** In an outage: what was dropped since it began. */
  private outage: { dropped: number } | undefined;

  constructor(redis: Redis, options: RedisBatchOptions) {
    this.redis = redis;
    this.options = options;
    this.maxCommands = options.maxCommands ?? BATCH_MAX_COMMANDS;
    this.maxBytes = options.maxBytes ?? BATCH_MAX_BYTES;
  }

  /**
   * Queues `command` for the next pipeline; `bytes` is about what its values weigh. `done` gets Redis's
   * reply once carried out. Returns false when the command was dropped instead.
   */
  add(
    kind: EntryKind | undefined,
    command: BatchCommand,
    bytes: number,
    done?: (reply: unknown) => void,
  ): boolean {
    if (this.closed) return this.drop(kind, undefined);
    if (this.redis.status !== 'ready')
      return this.drop(kind, `Redis is not connected (${this.redis.status})`);
    if (this.queue.length >= this.maxCommands || this.queuedBytes + bytes > this.maxBytes) {
      return this.drop(kind, 'Redis is not keeping up: the queue is full');
    }
    this.queue.push({ kind, command, bytes, done });
    this.queuedBytes += bytes;
    this.schedule();
    return true;
  }

  /** Commands waiting for the next pipeline. */
  get queued(): number {
    return this.queue.length;
  }

  /** Sends what is queued, then takes no more. Resolves once Redis answered (or failed) all of it. */
  async close(): Promise<void> {
    this.closed = true;
    await this.inFlight;
    if (this.queue.length > 0) await this.flush();
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight !== undefined) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      void this.flush();
    };
    const wait = this.flushedAt + BATCH_FLUSH_MS - performance.now();
    if (wait <= 0) setImmediate(run);
    else setTimeout(run, wait);
  }

  private async flush(): Promise<void> {
    if (this.queue.length === 0 || this.inFlight !== undefined) return;
    const batch = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    this.flushedAt = performance.now();
    this.inFlight = this.send(batch);
    await this.inFlight;
    this.inFlight = undefined;
    if (this.queue.length > 0) this.schedule();
  }

  private async send(batch: Queued[]): Promise<void> {
    let results: [error: Error | null, reply: unknown][] | null;
    try {
      results = await this.redis.pipeline(batch.map((q) => q.command)).exec();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      for (const q of batch) this.drop(q.kind, reason);
      return;
    }
    let carried = 0;
    batch.forEach((q, i) => {
      const [error, reply] = results?.[i] ?? [new Error('no reply'), undefined];
      if (error) {
        this.drop(q.kind, error.message);
        return;
      }
      carried++;
      if (q.kind !== undefined) this.counters.appended[q.kind]++;
      q.done?.(reply);
    });
    if (carried > 0 && this.outage !== undefined) {
      const { dropped } = this.outage;
      this.outage = undefined;
      this.options.onBack(dropped);
    }
  }

  /** Counts a dropped command; `reason` undefined for one dropped after close (no outage). */
  private drop(kind: EntryKind | undefined, reason: string | undefined): false {
    if (kind !== undefined) this.counters.dropped[kind]++;
    if (reason === undefined) return false;
    if (this.outage === undefined) {
      this.outage = { dropped: 0 };
      this.options.onOutage(reason);
    }
    this.outage.dropped++;
    return false;
  }
}
