/**
 * Every key the Redis store writes, in one place. `P` is the key prefix (default `rtmskit:`), so several
 * apps can share one Redis.
 *
 * | key                              | type   | TTL / bound                           | written by                         |
 * |----------------------------------|--------|---------------------------------------|------------------------------------|
 * | `P delivery:<key>`               | string | the claim's TTL (`SET NX PX`)         | `claim`                            |
 * | `P {registry}:stream:<id>`       | hash   | none; deleted by `prune`              | `putStream`, `updateStream`, touch |
 * | `P {registry}:streams`           | zset   | one member per stream record          | the same scripts, with the record  |
 * | `P {registry}:active`            | zset   | the active records only               | the same scripts, with the record  |
 * | `P {registry}:ended`             | zset   | the records that are not active       | the same scripts, with the record  |
 * | `P {registry}:tombstone:<id>`    | string | none: the audit trail of deletions    | `putTombstone`                     |
 * | `P {registry}:tombstones`        | zset   | one member per tombstone              | `putTombstone`, with the tombstone |
 * | `P {outbox}:notification:<id>`   | hash   | none; deleted by `prune` once settled | the outbox scripts                 |
 * | `P {outbox}:due`                 | zset   | pending notifications that may go     | the outbox scripts                 |
 * | `P {outbox}:order:<streamId>`    | zset   | a stream's pending ones; gone empty   | the outbox scripts                 |
 * | `P {outbox}:pending`             | zset   | one member per pending notification   | the outbox scripts                 |
 * | `P {outbox}:settled`             | zset   | one member per settled notification   | the outbox scripts, `prune`        |
 * | `P {outbox}:seq`                 | string | one counter                           | `enqueueNotification`              |
 *
 * `streams` and `active` are scored by `startedAt`, `ended` by `endedAt` (or `updatedAt` when the record
 * has none), `tombstones` by `revokedAt`; equal scores sort by member (the stream id), as the SQLite
 * store's `ORDER BY …, stream_id` does. The `{registry}` hash tag keeps a record and its indexes in one
 * cluster slot, so the scripts that change both at once are allowed there; every key a script touches is
 * passed to it in `KEYS`.
 *
 * The outbox keeps its rules (`../outbox.ts`) with these: `due` holds, by due time (the claim's expiry
 * while claimed), the first pending notification of each stream and those released from their stream's
 * order; `order:<streamId>` holds a stream's pending notifications not released, by `seq` (the enqueue
 * order from the `seq` counter), so when the first settles the next moves into `due`. `pending` (by
 * `createdAt`) counts what is pending; `settled` (by `settledAt`) is what `prune` deletes from.
 */

/** The default key prefix. */
export const DEFAULT_REDIS_KEY_PREFIX = 'rtmskit:';

/** The keys of one store, under one prefix. */
export class RedisKeys {
  readonly streams: string;
  readonly active: string;
  readonly ended: string;
  readonly tombstones: string;
  /** The outbox's indexes: `due`, `pending`, `settled`, and the `seq` counter. */
  readonly outbox: { due: string; pending: string; settled: string; seq: string };
  private readonly prefix: string;
  private readonly registry: string;
  private readonly outboxTag: string;

  constructor(prefix: string = DEFAULT_REDIS_KEY_PREFIX) {
    this.prefix = prefix;
    this.registry = `${prefix}{registry}:`;
    this.streams = `${this.registry}streams`;
    this.active = `${this.registry}active`;
    this.ended = `${this.registry}ended`;
    this.tombstones = `${this.registry}tombstones`;
    this.outboxTag = `${prefix}{outbox}:`;
    this.outbox = {
      due: `${this.outboxTag}due`,
      pending: `${this.outboxTag}pending`,
      settled: `${this.outboxTag}settled`,
      seq: `${this.outboxTag}seq`,
    };
  }

  notification(id: string): string {
    return `${this.outboxTag}notification:${id}`;
  }

  /** A stream's pending notifications in order. */
  notificationOrder(streamId: string): string {
    return `${this.outboxTag}order:${streamId}`;
  }

  delivery(key: string): string {
    return `${this.prefix}delivery:${key}`;
  }

  stream(streamId: string): string {
    return `${this.registry}stream:${streamId}`;
  }

  tombstone(streamId: string): string {
    return `${this.registry}tombstone:${streamId}`;
  }

  /** The indexes a registry script keeps in step with a record: `streams`, `active`, `ended`. */
  get indexes(): [streams: string, active: string, ended: string] {
    return [this.streams, this.active, this.ended];
  }
}
