/**
 * A store in this process's memory: for tests, the simulator and services that need no persistence.
 * Nothing survives a restart, so a late webhook retry after a restart is not recognised.
 */

import { MemoryDeliveryLedger } from '../manager/DeliveryLedger.js';
import { RtmsError } from '../protocol/errors.js';
import { checkLimit, checkTtl, pruneCutoff } from './checks.js';
import { MemoryOutbox } from './memoryOutbox.js';
import { notificationCutoff } from './outbox.js';
import { type OutboxBackend, OutboxStore } from './outboxStore.js';
import type {
  ListStreamsOptions,
  PruneOptions,
  PruneResult,
  Store,
  StreamRecord,
  StreamRecordPatch,
  Tombstone,
} from './Store.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** The clock, epoch milliseconds (tests inject one). Default `Date.now`. */
  now?: () => number;
}

/** A {@link Store} held in a `Map`; records are copied in and out, so callers never share them. */
export class MemoryStore extends OutboxStore implements Store, AsyncDisposable {
  readonly kind = 'memory';
  readonly location = 'memory';
  private readonly deliveries: MemoryDeliveryLedger;
  private readonly streams = new Map<string, StreamRecord>();
  private readonly tombstones = new Map<string, Tombstone>();
  private readonly outbox: MemoryOutbox;
  private readonly now: () => number;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    super();
    this.now = options.now ?? Date.now;
    this.deliveries = new MemoryDeliveryLedger({ now: this.now });
    this.outbox = new MemoryOutbox(this.now);
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    // No await before the check-and-set: concurrent claims cannot interleave.
    this.assertOpen();
    checkTtl(ttlMs);
    return this.deliveries.claim(key, ttlMs);
  }

  async putStream(record: StreamRecord): Promise<void> {
    this.assertOpen();
    this.streams.set(record.streamId, copy(record));
  }

  async updateStream(streamId: string, patch: StreamRecordPatch): Promise<void> {
    this.assertOpen();
    const current = this.streams.get(streamId);
    if (current === undefined) return;
    const next: StreamRecord = { ...current, updatedAt: this.now() };
    for (const [key, value] of Object.entries(patch)) {
      // `streamId` is not patchable even when a caller sneaks it past the type.
      if (value !== undefined && key !== 'streamId') Object.assign(next, { [key]: value });
    }
    this.streams.set(streamId, copy(next));
  }

  async touchStreams(streamIds: readonly string[]): Promise<void> {
    this.assertOpen();
    const now = this.now();
    for (const id of streamIds) {
      const current = this.streams.get(id);
      if (current !== undefined) current.updatedAt = now;
    }
  }

  async getStream(streamId: string): Promise<StreamRecord | undefined> {
    this.assertOpen();
    const record = this.streams.get(streamId);
    return record === undefined ? undefined : copy(record);
  }

  async activeStreams(): Promise<StreamRecord[]> {
    this.assertOpen();
    return [...this.streams.values()]
      .filter((record) => record.state === 'active')
      .sort(oldestFirst)
      .map(copy);
  }

  async listStreams(options: ListStreamsOptions = {}): Promise<StreamRecord[]> {
    this.assertOpen();
    const limit = checkLimit(options.limit);
    const sorted = [...this.streams.values()].sort((a, b) => oldestFirst(b, a));
    return (limit === undefined ? sorted : sorted.slice(0, limit)).map(copy);
  }

  async prune(options: PruneOptions = {}): Promise<PruneResult> {
    this.assertOpen();
    const now = this.now();
    const cutoff = pruneCutoff(now, options);
    const notifications = this.outbox.prune(notificationCutoff(now, options.notificationsOlderThanMs));
    const deliveries = this.deliveries.prune();
    let streams = 0;
    for (const [streamId, record] of this.streams) {
      if (record.state === 'active' || (record.endedAt ?? record.updatedAt) >= cutoff) continue;
      this.streams.delete(streamId);
      streams += 1;
    }
    return { deliveries, streams, notifications };
  }

  async putTombstone(tombstone: Tombstone): Promise<void> {
    this.assertOpen();
    this.tombstones.set(tombstone.streamId, copyTombstone(tombstone));
  }

  async getTombstone(streamId: string): Promise<Tombstone | undefined> {
    this.assertOpen();
    const tombstone = this.tombstones.get(streamId);
    return tombstone === undefined ? undefined : copyTombstone(tombstone);
  }

  async listTombstones(options: ListStreamsOptions = {}): Promise<Tombstone[]> {
    this.assertOpen();
    const limit = checkLimit(options.limit);
    const sorted = [...this.tombstones.values()].sort(
      (a, b) => b.revokedAt - a.revokedAt || (a.streamId < b.streamId ? 1 : -1),
    );
    return (limit === undefined ? sorted : sorted.slice(0, limit)).map(copyTombstone);
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  protected outboxBackend(): OutboxBackend {
    return this.outbox;
  }

  protected assertOpen(): void {
    if (this.closed) throw RtmsError.closed('memory store');
  }
}

function copyTombstone(tombstone: Tombstone): Tombstone {
  return { ...tombstone, deleted: tombstone.deleted.map((d) => ({ ...d })) };
}

function copy(record: StreamRecord): StreamRecord {
  return { ...record, serverUrls: [...record.serverUrls] };
}

/** `startedAt` ascending, then `streamId`, the same order the SQLite store uses. */
function oldestFirst(a: StreamRecord, b: StreamRecord): number {
  if (a.startedAt !== b.startedAt) return a.startedAt - b.startedAt;
  return a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0;
}
