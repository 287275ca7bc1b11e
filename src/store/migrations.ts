/**
 * The SQLite schema, as a numbered list of migrations. Append only: a released migration is never
 * edited, a change is a new entry with the next version.
 */

/** One schema step. `sql` may hold several statements; it runs in one transaction with its bookkeeping. */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'delivery ledger and stream records',
    sql: `
      CREATE TABLE deliveries (
        key TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX deliveries_expires_at ON deliveries (expires_at);

      CREATE TABLE streams (
        stream_id TEXT PRIMARY KEY,
        product TEXT NOT NULL,
        instance_id TEXT NOT NULL,
        meeting_id TEXT,
        server_urls TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('active', 'stopped', 'lost', 'failed')),
        started_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        ended_at INTEGER,
        stop_reason INTEGER,
        recording_dir TEXT,
        last_started_event_ts INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX streams_state_started_at ON streams (state, started_at);
      CREATE INDEX streams_started_at ON streams (started_at);
    `,
  },
  {
    version: 2,
    description: 'tombstones of revoked streams',
    sql: `
      CREATE TABLE tombstones (
        stream_id TEXT PRIMARY KEY,
        product TEXT NOT NULL,
        instance_id TEXT NOT NULL,
        meeting_id TEXT,
        revoked_at INTEGER NOT NULL,
        deleted TEXT NOT NULL
      ) STRICT;
      CREATE INDEX tombstones_revoked_at ON tombstones (revoked_at);
    `,
  },
  {
    version: 3,
    description: 'outbox of outbound notifications',
    // seq is the rowid: always above every row there, so it gives each stream's enqueue order.
    sql: `
      CREATE TABLE notifications (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        stream_id TEXT NOT NULL,
        type TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
        due_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        claim TEXT,
        released INTEGER NOT NULL DEFAULT 0,
        settled_at INTEGER
      ) STRICT;
      CREATE INDEX notifications_due ON notifications (due_at, seq) WHERE state = 'pending';
      CREATE INDEX notifications_order ON notifications (stream_id, seq)
        WHERE state = 'pending' AND released = 0;
      CREATE INDEX notifications_settled ON notifications (settled_at) WHERE state <> 'pending';
    `,
  },
];

/** The schema version this build writes: the last migration's. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;
