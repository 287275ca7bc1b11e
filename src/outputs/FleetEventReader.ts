/**
 * Brings the fleet's events to this instance's bus: reads `P events` with a blocking XREAD on a
 * connection of its own, from the entry that was last when it started, and injects every event another
 * instance published (ids stay the publisher's), so that SSE and WebSocket subscribers here see the
 * streams every instance holds. After Redis was away it goes on from the last entry it read.
 */
import type { Redis } from 'ioredis';
import type { BusEvent } from './EventBus.js';
import { eventOf } from './redisEntries.js';

/** How long one blocking read waits before it looks again (and notices a close). */
const READ_BLOCK_MS = 1_000;
/** Pause after a failed read (Redis unreachable) before the next try. */
const READ_RETRY_MS = 500;
/** Entries read per call. */
const READ_COUNT = 500;

type XReadReply = [key: string, entries: [id: string, fields: string[]][]][] | null;

export interface FleetEventReaderOptions {
  /** A connection of its own: a blocking read holds it. */
  redis: Redis;
  /** The events stream key. */
  key: string;
  /** This instance: its own entries are skipped (its bus has them already). */
  instanceId: string;
  deliver(event: BusEvent): void;
  /** A read failed (Redis away); the reader tries again. */
  onError(err: unknown): void;
}

export class FleetEventReader {
  /** Events injected, and entries of other instances that could not be read. */
  readonly counters = { injected: 0, unreadable: 0 };
  private readonly options: FleetEventReaderOptions;
  private closed = false;
  private running: Promise<void> | undefined;
  /** The last entry read (or, before the first read, the last entry there was). */
  private lastId: string | undefined;

  constructor(options: FleetEventReaderOptions) {
    this.options = options;
  }

  /** True once the reader knows where it starts: events published from then on reach the bus. */
  get reading(): boolean {
    return this.lastId !== undefined;
  }

  /** Starts reading; resolves after the first attempt to find the starting point, reached or not. */
  async start(): Promise<void> {
    await this.locateStart().catch((err: unknown) => this.options.onError(err));
    this.running = this.loop();
  }

  /**
   * The id of the last entry now (`0-0` for none). Reading from `$` instead would lose what is appended
   * between two blocking reads.
   */
  private async locateStart(): Promise<void> {
    const { redis, key } = this.options;
    if (redis.status === 'wait') await redis.connect();
    const last = (await redis.xrevrange(key, '+', '-', 'COUNT', 1)) as [id: string, fields: string[]][];
    this.lastId = last[0]?.[0] ?? '0-0';
  }

  private async loop(): Promise<void> {
    const { redis, key, instanceId } = this.options;
    while (!this.closed) {
      try {
        if (this.lastId === undefined) await this.locateStart();
        const reply = (await redis.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          READ_BLOCK_MS,
          'STREAMS',
          key,
          this.lastId as string,
        )) as XReadReply;
        for (const [id, fields] of reply?.[0]?.[1] ?? []) {
          this.lastId = id;
          const event = eventOf(fields, instanceId);
          if (event === 'own') continue;
          if (event === undefined) {
            this.counters.unreadable++;
            continue;
          }
          this.counters.injected++;
          this.options.deliver(event);
        }
      } catch (err) {
        if (this.closed) return;
        this.options.onError(err);
        await new Promise((resolve) => setTimeout(resolve, READ_RETRY_MS).unref());
      }
    }
  }

  /** Stops reading; the pending blocking read is cut short by closing its connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.options.redis.disconnect();
    await this.running;
  }
}
