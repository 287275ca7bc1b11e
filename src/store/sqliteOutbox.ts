/**
 * The outbox of the SQLite store: the `notifications` table (migration 3), following the rules in
 * `outbox.ts`. A take reads and claims in one IMMEDIATE transaction, so of several processes on one
 * file exactly one claims each notification.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  type ClaimedNotification,
  checkNotification,
  checkTake,
  type NewNotification,
  type NotificationFailure,
  type NotificationRetry,
  type NotificationState,
  type OutboxNotification,
  type TakeNotificationsOptions,
} from './outbox.js';

interface NotificationRow {
  seq: number;
  id: string;
  stream_id: string;
  type: string;
  body: string;
  created_at: number;
  state: string;
  due_at: number;
  attempts: number;
  last_error: string | null;
  released: number;
  settled_at: number | null;
}

const COLUMNS =
  'seq, id, stream_id, type, body, created_at, state, due_at, attempts, last_error, released, settled_at';

/** The current claim must match: only its holder settles a notification. */
const HELD = `id = @id AND state = 'pending' AND claim = @claim`;

function prepare(db: Database.Database) {
  return {
    enqueue: db.prepare<NewNotification>(
      `INSERT INTO notifications (id, stream_id, type, body, created_at, state, due_at)
       VALUES (@id, @streamId, @type, @body, @createdAt, 'pending', @createdAt)
       ON CONFLICT (id) DO NOTHING`,
    ),
    // Due, and first of its stream's pending notifications unless released from the order.
    due: db.prepare<{ now: number; limit: number }, NotificationRow>(
      `SELECT ${COLUMNS} FROM notifications n
       WHERE n.state = 'pending' AND n.due_at <= @now
         AND (n.released = 1 OR NOT EXISTS (
           SELECT 1 FROM notifications p
           WHERE p.stream_id = n.stream_id AND p.state = 'pending' AND p.released = 0 AND p.seq < n.seq))
       ORDER BY n.due_at, n.seq LIMIT @limit`,
    ),
    claim: db.prepare<{ seq: number; dueAt: number; claim: string }>(
      'UPDATE notifications SET due_at = @dueAt, claim = @claim WHERE seq = @seq',
    ),
    held: db.prepare<{ id: string; claim: string }, NotificationRow>(
      `SELECT ${COLUMNS} FROM notifications WHERE ${HELD}`,
    ),
    settle: db.prepare<{
      id: string;
      claim: string;
      state: NotificationState;
      attempts: number;
      lastError: string | null;
      now: number;
    }>(
      `UPDATE notifications SET state = @state, attempts = @attempts,
         last_error = COALESCE(@lastError, last_error), settled_at = @now, claim = NULL
       WHERE ${HELD}`,
    ),
    reschedule: db.prepare<{
      id: string;
      claim: string;
      dueAt: number;
      attempts: number;
      lastError: string;
      release: number;
    }>(
      `UPDATE notifications SET due_at = @dueAt, attempts = @attempts, last_error = @lastError,
         claim = NULL, released = MAX(released, @release)
       WHERE ${HELD}`,
    ),
    // The stream's next notification in order waited until now: it is due from now.
    promoteNext: db.prepare<{ streamId: string; now: number }>(
      `UPDATE notifications SET due_at = MAX(due_at, @now)
       WHERE seq = (SELECT MIN(seq) FROM notifications
                    WHERE stream_id = @streamId AND state = 'pending' AND released = 0)`,
    ),
    countPending: db.prepare<[], { n: number }>(
      `SELECT count(*) AS n FROM notifications WHERE state = 'pending'`,
    ),
    get: db.prepare<[string], NotificationRow>(`SELECT ${COLUMNS} FROM notifications WHERE id = ?`),
    prune: db.prepare<[number]>(`DELETE FROM notifications WHERE state <> 'pending' AND settled_at < ?`),
  };
}

export class SqliteOutbox {
  private readonly db: Database.Database;
  private readonly statements: ReturnType<typeof prepare>;
  private readonly now: () => number;

  constructor(db: Database.Database, now: () => number) {
    this.db = db;
    // The columns are INTEGER: a clock with a fraction of a millisecond is rounded, not refused.
    this.now = () => Math.round(now());
    this.statements = prepare(db);
  }

  enqueue(notification: NewNotification): boolean {
    checkNotification(notification);
    const { id, streamId, type, body, createdAt } = notification;
    return (
      this.statements.enqueue.run({ id, streamId, type, body, createdAt: Math.round(createdAt) }).changes ===
      1
    );
  }

  take(options: TakeNotificationsOptions): ClaimedNotification[] {
    checkTake(options);
    const now = this.now();
    const claim = randomUUID();
    const dueAt = now + options.claimMs;
    return this.db
      .transaction(() =>
        this.statements.due.all({ now, limit: options.limit }).map((row) => {
          this.statements.claim.run({ seq: row.seq, dueAt, claim });
          return { ...notificationOf({ ...row, due_at: dueAt }), claim };
        }),
      )
      .immediate();
  }

  delivered(id: string, claim: string, attempts: number): boolean {
    return this.settle(id, claim, 'delivered', attempts, null);
  }

  failed(id: string, claim: string, failure: NotificationFailure): boolean {
    return this.settle(id, claim, 'failed', failure.attempts, failure.lastError);
  }

  reschedule(id: string, claim: string, retry: NotificationRetry): boolean {
    return this.db
      .transaction(() => {
        const row = this.statements.held.get({ id, claim });
        if (row === undefined) return false;
        const release = retry.releaseOrder === true && row.released === 0;
        this.statements.reschedule.run({
          id,
          claim,
          dueAt: Math.round(retry.dueAt),
          attempts: retry.attempts,
          lastError: retry.lastError,
          release: release ? 1 : 0,
        });
        if (release) this.statements.promoteNext.run({ streamId: row.stream_id, now: this.now() });
        return true;
      })
      .immediate();
  }

  countPending(): number {
    return this.statements.countPending.get()?.n ?? 0;
  }

  get(id: string): OutboxNotification | undefined {
    const row = this.statements.get.get(id);
    return row === undefined ? undefined : notificationOf(row);
  }

  /** Deletes notifications settled before `cutoff`; returns how many. */
  prune(cutoff: number): number {
    return this.statements.prune.run(cutoff).changes;
  }

  private settle(
    id: string,
    claim: string,
    state: 'delivered' | 'failed',
    attempts: number,
    lastError: string | null,
  ): boolean {
    return this.db
      .transaction(() => {
        const row = this.statements.held.get({ id, claim });
        if (row === undefined) return false;
        const now = this.now();
        this.statements.settle.run({ id, claim, state, attempts, lastError, now });
        if (row.released === 0) this.statements.promoteNext.run({ streamId: row.stream_id, now });
        return true;
      })
      .immediate();
  }
}

function notificationOf(row: NotificationRow): OutboxNotification {
  const out: OutboxNotification = {
    id: row.id,
    streamId: row.stream_id,
    type: row.type,
    body: row.body,
    createdAt: row.created_at,
    state: row.state as NotificationState,
    dueAt: row.due_at,
    attempts: row.attempts,
  };
  if (row.last_error !== null) out.lastError = row.last_error;
  if (row.settled_at !== null) out.settledAt = row.settled_at;
  return out;
}
