/**
 * The outbox of the memory store: notifications in maps, following the rules in `outbox.ts`. Every
 * method is synchronous, so a take cannot interleave with another.
 */
import { randomUUID } from 'node:crypto';
import {
  type ClaimedNotification,
  checkNotification,
  checkTake,
  type NewNotification,
  type NotificationFailure,
  type NotificationRetry,
  type OutboxNotification,
  type TakeNotificationsOptions,
} from './outbox.js';

interface Entry extends OutboxNotification {
  seq: number;
  claim: string | undefined;
  /** Out of its stream's order: later notifications of the stream no longer wait for it. */
  released: boolean;
}

export class MemoryOutbox {
  private readonly entries = new Map<string, Entry>();
  /** The pending entries, in enqueue order (a Map keeps insertion order). */
  private readonly pending = new Map<string, Entry>();
  private seq = 0;
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  enqueue(notification: NewNotification): boolean {
    checkNotification(notification);
    if (this.entries.has(notification.id)) return false;
    const { id, streamId, type, body, createdAt } = notification;
    const entry: Entry = {
      id,
      streamId,
      type,
      body,
      createdAt,
      state: 'pending',
      dueAt: createdAt,
      attempts: 0,
      seq: ++this.seq,
      claim: undefined,
      released: false,
    };
    this.entries.set(id, entry);
    this.pending.set(id, entry);
    return true;
  }

  take(options: TakeNotificationsOptions): ClaimedNotification[] {
    checkTake(options);
    const now = this.now();
    const waiting = new Set<string>();
    const due: Entry[] = [];
    for (const entry of this.pending.values()) {
      const first = entry.released || !waiting.has(entry.streamId);
      if (!entry.released) waiting.add(entry.streamId);
      if (first && entry.dueAt <= now) due.push(entry);
    }
    due.sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq);
    const claim = randomUUID();
    return due.slice(0, options.limit).map((entry) => {
      entry.dueAt = now + options.claimMs;
      entry.claim = claim;
      return { ...view(entry), claim };
    });
  }

  delivered(id: string, claim: string, attempts: number): boolean {
    const entry = this.held(id, claim);
    if (entry === undefined) return false;
    this.settle(entry, 'delivered', attempts, undefined);
    return true;
  }

  reschedule(id: string, claim: string, retry: NotificationRetry): boolean {
    const entry = this.held(id, claim);
    if (entry === undefined) return false;
    entry.dueAt = retry.dueAt;
    entry.attempts = retry.attempts;
    entry.lastError = retry.lastError;
    entry.claim = undefined;
    if (retry.releaseOrder && !entry.released) {
      entry.released = true;
      this.promoteNext(entry.streamId);
    }
    return true;
  }

  failed(id: string, claim: string, failure: NotificationFailure): boolean {
    const entry = this.held(id, claim);
    if (entry === undefined) return false;
    this.settle(entry, 'failed', failure.attempts, failure.lastError);
    return true;
  }

  countPending(): number {
    return this.pending.size;
  }

  get(id: string): OutboxNotification | undefined {
    const entry = this.entries.get(id);
    return entry === undefined ? undefined : view(entry);
  }

  /** Deletes notifications settled before `cutoff`; returns how many. */
  prune(cutoff: number): number {
    let deleted = 0;
    for (const [id, entry] of this.entries) {
      if (entry.settledAt === undefined || entry.settledAt >= cutoff) continue;
      this.entries.delete(id);
      deleted += 1;
    }
    return deleted;
  }

  private held(id: string, claim: string): Entry | undefined {
    const entry = this.pending.get(id);
    return entry !== undefined && entry.claim === claim ? entry : undefined;
  }

  private settle(
    entry: Entry,
    state: 'delivered' | 'failed',
    attempts: number,
    lastError: string | undefined,
  ): void {
    entry.state = state;
    entry.attempts = attempts;
    if (lastError !== undefined) entry.lastError = lastError;
    entry.settledAt = this.now();
    entry.claim = undefined;
    this.pending.delete(entry.id);
    if (!entry.released) this.promoteNext(entry.streamId);
  }

  /** The stream's next notification in order is due from now, if it was waiting. */
  private promoteNext(streamId: string): void {
    for (const entry of this.pending.values()) {
      if (entry.streamId !== streamId || entry.released) continue;
      // It waited, never attempted: it is due from now, not from when it was enqueued.
      entry.dueAt = Math.max(entry.dueAt, this.now());
      return;
    }
  }
}

function view(entry: Entry): OutboxNotification {
  const out: OutboxNotification = {
    id: entry.id,
    streamId: entry.streamId,
    type: entry.type,
    body: entry.body,
    createdAt: entry.createdAt,
    state: entry.state,
    dueAt: entry.dueAt,
    attempts: entry.attempts,
  };
  if (entry.lastError !== undefined) out.lastError = entry.lastError;
  if (entry.settledAt !== undefined) out.settledAt = entry.settledAt;
  return out;
}
