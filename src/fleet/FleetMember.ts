/**
 * One instance of a fleet sharing a Redis: holds leases on the streams it connects, renews them on a
 * heartbeat, lets a stream go the moment its lease cannot be kept, routes events to the instance that
 * holds their stream, reads its own inbox, and takes over streams whose owner is gone.
 */
import type { Redis } from 'ioredis';
import type { Ownership, OwnershipClaim } from '../manager/ownership.js';
import { KEEP_ALIVE_INTERVAL_MS, KEEP_ALIVE_MAX_MISSED } from '../protocol/timing.js';
import type { Store, StreamRecord } from '../store/Store.js';
import type { WebhookEvent } from '../webhook/events.js';
import { InboxReader, sendToInbox } from './Inbox.js';
import { HANDED_OVER_HOLDER, type Lease, LeaseTable } from './LeaseTable.js';

/** A lease lasts this long unless renewed: a dead owner's streams are taken over after at most this. */
export const LEASE_MS = 10_000;
/** Leases are renewed this often: five tries within a lease. */
export const LEASE_RENEW_MS = 2_000;
/**
 * A lease not renewed for `LEASE_MS` minus this is let go (sockets closed) by its holder, so that it has
 * surely stopped before the lease can expire and another instance take over.
 */
export const LEASE_SAFETY_MS = 2_000;
/** How often every instance looks for active streams that nobody holds. */
export const TAKEOVER_SCAN_MS = 1_000;
/**
 * After an owner's last sign of life in the registry (its heartbeat touches every 5 s), Zoom has surely
 * dropped its connection by this: keep-alives unanswered three times, noticed at the fourth. A stream
 * nobody holds is taken over earlier only when Zoom said so (`rtms_interrupted`) or its owner handed it
 * over: connecting while the old connection is still open at Zoom would be a second connection.
 */
export const ZOOM_NOTICES_SILENCE_MS = KEEP_ALIVE_INTERVAL_MS * (KEEP_ALIVE_MAX_MISSED + 1) + 5_000;
/** How often local lease deadlines are checked (a paused process finds them passed when it wakes). */
const DEADLINE_CHECK_MS = 250;

/** Why this instance let a stream go. */
export type LossCause =
  /** Another instance holds its lease now. */
  | 'taken'
  /** The lease could not be renewed in time (Redis unreachable, or this process was paused). */
  | 'unrenewed';

export interface FleetCounters {
  /** Streams taken over from an instance that was gone. */
  takeovers: number;
  /** Events this instance routed to others, and events others routed here. */
  routedOut: number;
  routedIn: number;
  /** Leases this instance lost, by cause. */
  lost: Record<LossCause, number>;
}

export interface FleetMemberOptions {
  /** Commands (leases, routing); its duplicate reads the inbox. */
  redis: Redis;
  /** The registry the takeover scan reads (the fleet's Redis store). */
  store: Pick<Store, 'activeStreams'>;
  instanceId: string;
  /** Key prefix, shared with the store. Default `rtmskit:`. */
  prefix?: string;
  leaseMs?: number;
  renewMs?: number;
  safetyMs?: number;
  scanMs?: number;
  /** An event routed here for a stream this instance holds. */
  onRouted(event: WebhookEvent): void;
  /** This instance must close `streamId` now, without ending it: the lease is gone. */
  onLost(streamId: string, cause: LossCause): void;
  /**
   * An active stream nobody holds: resume it (the manager acquires it first, so one instance wins).
   * Resolves true when this instance took it.
   */
  onOrphan(record: StreamRecord): Promise<boolean>;
  /** The lease of `streamId` was recreated after Redis lost it: write the stream's record again. */
  onReacquired?(streamId: string): void;
  /** A background step failed (Redis unreachable…); the member keeps trying. */
  onError?(err: unknown, step: string): void;
  /** Wall clock of the registry's times; default `Date.now`. */
  now?: () => number;
  /**
   * What a failed Redis call becomes for the manager (a `STORE_UNREACHABLE` error, so that a webhook waits
   * for Redis instead of being dropped). Default: the error as it is.
   */
  redisError?: (err: unknown) => Error;
}

/** A lease value that names no instance: ended here, or handed over. */
function isMarker(holder: string): boolean {
  return holder.startsWith('~');
}

interface Held extends Lease {
  /** performance.now() of the last successful acquire or renewal. */
  renewedAt: number;
}

export class FleetMember implements Ownership {
  readonly instanceId: string;
  readonly counters: FleetCounters = {
    takeovers: 0,
    routedOut: 0,
    routedIn: 0,
    lost: { taken: 0, unrenewed: 0 },
  };
  private readonly options: FleetMemberOptions;
  private readonly prefix: string;
  private readonly leaseMs: number;
  private readonly safetyMs: number;
  private readonly leases: LeaseTable;
  private readonly held = new Map<string, Held>();
  private readonly inbox: InboxReader;
  private readonly timers: NodeJS.Timeout[] = [];
  private renewing = false;
  /** Shutting down: leases given up from now on are for others to take at once. */
  private handingOver = false;
  private scanning = false;
  private closed = false;

  constructor(options: FleetMemberOptions) {
    this.options = options;
    this.instanceId = options.instanceId;
    this.prefix = options.prefix ?? 'rtmskit:';
    this.leaseMs = options.leaseMs ?? LEASE_MS;
    this.safetyMs = options.safetyMs ?? LEASE_SAFETY_MS;
    this.leases = new LeaseTable(options.redis, this.prefix, this.instanceId, this.leaseMs);
    const inboxConnection = options.redis.duplicate();
    // Its failures come back through the reader's own reads; the listener keeps ioredis from printing
    // "Unhandled error event" for every reconnect attempt while Redis is away.
    inboxConnection.on('error', () => undefined);
    this.inbox = new InboxReader(
      inboxConnection,
      this.prefix,
      this.instanceId,
      (event) => {
        this.counters.routedIn++;
        options.onRouted(event);
      },
      (err) => this.options.onError?.(err, 'inbox'),
    );
  }

  /** Starts the inbox, the heartbeat and the takeover scan. */
  async start(): Promise<void> {
    // Back from an outage (or a Redis restart that lost the leases): renew at once, before another
    // instance can take a lease that was only missing for the outage.
    this.options.redis.on('ready', () => void this.renewAll());
    await this.inbox.start();
    const every = (ms: number, run: () => void) => {
      const timer = setInterval(run, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(DEADLINE_CHECK_MS, () => this.expireUnrenewed());
    every(this.options.renewMs ?? LEASE_RENEW_MS, () => void this.renewAll());
    every(this.options.scanMs ?? TAKEOVER_SCAN_MS, () => void this.scan());
  }

  /** Streams this instance holds now. */
  get leasesHeld(): number {
    return this.held.size;
  }

  /** Runs one Redis call of the Ownership contract, its failure turned into the manager's kind of error. */
  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw this.options.redisError ? this.options.redisError(err) : err;
    }
  }

  async acquire(streamId: string): Promise<OwnershipClaim> {
    if (this.closed) return { held: false, owner: this.instanceId };
    const result = await this.call(() => this.leases.acquire(streamId));
    if ('holder' in result) return { held: false, owner: result.holder };
    this.held.set(streamId, { streamId, token: result.token, renewedAt: performance.now() });
    return { held: true };
  }

  async confirm(streamId: string): Promise<boolean> {
    const lease = this.held.get(streamId);
    if (!lease || !this.inTime(lease)) return false;
    try {
      if (await this.leases.isCurrent(lease)) return true;
      this.lose(lease, 'taken');
      return false;
    } catch {
      // Redis unreachable: the lease is ours until its local deadline.
      return this.inTime(lease);
    }
  }

  async release(streamId: string): Promise<void> {
    const lease = this.held.get(streamId);
    if (!lease) return;
    this.held.delete(streamId);
    await this.leases
      .release(lease, this.handingOver)
      .catch((err: unknown) => this.options.onError?.(err, 'release'));
  }

  /**
   * Before a shutdown: streams closed from now on go on at Zoom, so their leases are given up for
   * another instance to take over at once.
   */
  beginHandOver(): void {
    this.handingOver = true;
  }

  async ownerOf(streamId: string): Promise<string | undefined> {
    if (this.held.has(streamId)) return this.instanceId;
    const holder = (await this.call(() => this.leases.holders([streamId]))).get(streamId);
    return holder === undefined || isMarker(holder) ? undefined : holder;
  }

  async connectionGone(streamId: string): Promise<void> {
    await this.call(() => this.leases.markGone(streamId));
  }

  async route(owner: string, event: WebhookEvent): Promise<void> {
    await this.call(() => sendToInbox(this.options.redis, this.prefix, owner, event));
    this.counters.routedOut++;
  }

  /** The holder of each stream, for the fleet view. */
  holders(streamIds: readonly string[]): Promise<Map<string, string>> {
    return this.leases.holders(streamIds);
  }

  private inTime(lease: Held): boolean {
    return performance.now() - lease.renewedAt < this.leaseMs - this.safetyMs;
  }

  private lose(lease: Held, cause: LossCause): void {
    if (this.held.get(lease.streamId) !== lease) return;
    this.held.delete(lease.streamId);
    this.counters.lost[cause]++;
    this.options.onLost(lease.streamId, cause);
  }

  private expireUnrenewed(): void {
    for (const lease of [...this.held.values()]) if (!this.inTime(lease)) this.lose(lease, 'unrenewed');
  }

  private async renewAll(): Promise<void> {
    if (this.renewing || this.closed) return;
    this.renewing = true;
    try {
      // A process that was paused finds its deadlines passed before it asks Redis anything.
      this.expireUnrenewed();
      const leases = [...this.held.values()];
      if (leases.length === 0) return;
      const asked = performance.now();
      const results = await this.leases.renew(leases);
      for (const lease of leases) {
        const result = results.get(lease.streamId);
        if (result === 'lost') this.lose(lease, 'taken');
        else if (this.held.get(lease.streamId) === lease) {
          lease.renewedAt = asked;
          if (result === 'reacquired') this.options.onReacquired?.(lease.streamId);
        }
      }
    } catch (err) {
      this.options.onError?.(err, 'renew');
    } finally {
      this.renewing = false;
    }
  }

  private async scan(): Promise<void> {
    if (this.scanning || this.closed) return;
    this.scanning = true;
    try {
      const active = await this.options.store.activeStreams();
      const unknown = active.filter((r) => !this.held.has(r.streamId));
      const holders = await this.leases.holders(unknown.map((r) => r.streamId));
      const free = unknown.filter((r) => {
        const holder = holders.get(r.streamId);
        return holder === undefined || holder === HANDED_OVER_HOLDER;
      });
      const gone = await this.leases.gone(free.map((r) => r.streamId));
      const now = this.options.now?.() ?? Date.now();
      const orphans = free.filter(
        (r) =>
          holders.get(r.streamId) === HANDED_OVER_HOLDER ||
          gone.has(r.streamId) ||
          now - r.updatedAt >= ZOOM_NOTICES_SILENCE_MS,
      );
      const taken = await Promise.all(
        orphans.map((record) => this.options.onOrphan(record).catch(() => false)),
      );
      this.counters.takeovers += taken.filter(Boolean).length;
    } catch (err) {
      this.options.onError?.(err, 'scan');
    } finally {
      this.scanning = false;
    }
  }

  /** Stops the heartbeat, the scan and the inbox. Leases still held are handed over. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handingOver = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all([...this.held.keys()].map((id) => this.release(id)));
    await this.inbox.close();
  }
}
