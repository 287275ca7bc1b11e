/**
 * The persistence seam of rtmskit: webhook delivery dedupe, the record of every stream, so a restart
 * can recognise late retries and resume streams that were still active, and the outbox of outbound
 * notifications. SQLite is the embedded default, memory serves tests, Redis serves fleets.
 */
import type { DeliveryLedger } from '../manager/DeliveryLedger.js';
import type { Product } from '../protocol/products.js';
import type {
  ClaimedNotification,
  NewNotification,
  NotificationFailure,
  NotificationRetry,
  OutboxNotification,
  TakeNotificationsOptions,
} from './outbox.js';

/**
 * Where a stream stands, as the store remembers it: `active` (connected or trying to be), `stopped`
 * (Zoom or the app ended it), `lost` (not recovered inside Zoom's reconnect window), `failed` (a fatal
 * error).
 */
export type StreamRecordState = 'active' | 'stopped' | 'lost' | 'failed';

/** Every state a {@link StreamRecord} can hold. */
export const STREAM_RECORD_STATES: readonly StreamRecordState[] = ['active', 'stopped', 'lost', 'failed'];

/** One stream as the store keeps it. Times are epoch milliseconds. */
export interface StreamRecord {
  /** Zoom's `rtms_stream_id`. */
  streamId: string;
  product: Product;
  /** The product's instance id (meeting uuid, session id, engagement id…), also the handshake key. */
  instanceId: string;
  meetingId?: string;
  /** The signaling server URLs of the latest `rtms_started`. */
  serverUrls: string[];
  state: StreamRecordState;
  startedAt: number;
  updatedAt: number;
  endedAt?: number;
  /** Zoom's stop reason, when the stream stopped. */
  stopReason?: number;
  /** The folder the stream's recordings go to. */
  recordingDir?: string;
  /** event_ts of the latest rtms_started applied (failover bookkeeping). */
  lastStartedEventTs: number;
}

/** What {@link Store.updateStream} may change: anything but the id. */
export type StreamRecordPatch = Partial<Omit<StreamRecord, 'streamId'>>;

/** Options of {@link Store.listStreams}. */
export interface ListStreamsOptions {
  /** At most this many records (a non-negative integer). Default: all. */
  limit?: number;
}

/** Options of {@link Store.prune}. */
export interface PruneOptions {
  /** Stream records that ended longer ago than this are deleted. Default {@link STREAM_RETENTION_MS}. */
  streamsOlderThanMs?: number;
  /**
   * Delivered and failed notifications settled longer ago than this are deleted. Default
   * `NOTIFICATION_RETENTION_MS` (7 days).
   */
  notificationsOlderThanMs?: number;
}

/** How many rows {@link Store.prune} deleted. */
export interface PruneResult {
  deliveries: number;
  streams: number;
  notifications: number;
}

/** One recording folder a revocation deleted. */
export interface DeletedRecording {
  /** The folder, relative to the data folder. */
  path: string;
  files: number;
  bytes: number;
}

/**
 * What is left of a stream whose assets Zoom asked the app to delete (stop reason STREAM_REVOKED): its
 * ids, when, and which recording folders were deleted. No content: no names, no text, no media.
 */
export interface Tombstone {
  streamId: string;
  product: Product;
  instanceId: string;
  meetingId?: string;
  /** Epoch milliseconds. */
  revokedAt: number;
  deleted: DeletedRecording[];
}

/** Ended stream records are kept this long by default (30 days), for `GET /api/streams` and audits. */
export const STREAM_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** Which implementation a store is. */
export type StoreKind = 'memory' | 'sqlite' | 'redis';

/**
 * Persistence for the manager and the service. Every method is asynchronous so a networked store fits
 * the same interface; after {@link Store.close} every method but `close` rejects with `CLOSED`.
 */
export interface Store extends DeliveryLedger {
  /**
   * Records `key` and resolves `true` when it was not seen within its TTL, `false` for a repeat. Atomic
   * across concurrent callers, including other processes on the same database; survives restarts
   * (except in memory).
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Inserts `record`, or replaces the record with the same `streamId`. */
  putStream(record: StreamRecord): Promise<void>;
  /**
   * Applies `patch` to a stored record and sets `updatedAt` to now (unless the patch sets it). Keys whose
   * value is `undefined` are left unchanged; an unknown `streamId` is ignored.
   */
  updateStream(streamId: string, patch: StreamRecordPatch): Promise<void>;
  /** Sets `updatedAt` to now for every id given (unknown ids ignored), in one write: the liveness heartbeat. */
  touchStreams(streamIds: readonly string[]): Promise<void>;
  /** The record of `streamId`, if any. */
  getStream(streamId: string): Promise<StreamRecord | undefined>;
  /** Records in state `active`, oldest `startedAt` first: what to resume after a restart. */
  activeStreams(): Promise<StreamRecord[]>;
  /** Records of every state, newest `startedAt` first. */
  listStreams(options?: ListStreamsOptions): Promise<StreamRecord[]>;
  /**
   * Deletes expired delivery keys, stream records that are not active and ended (or, lacking `endedAt`,
   * were last updated) before `streamsOlderThanMs` ago, and notifications delivered or failed before
   * `notificationsOlderThanMs` ago; resolves the counts deleted. Pending notifications are never pruned.
   */
  prune(options?: PruneOptions): Promise<PruneResult>;
  /**
   * Inserts the tombstone of a revoked stream, or replaces the one with the same `streamId`. Tombstones
   * are the audit trail of deletions: {@link Store.prune} keeps them.
   */
  putTombstone(tombstone: Tombstone): Promise<void>;
  /** The tombstone of `streamId`, if it was revoked. */
  getTombstone(streamId: string): Promise<Tombstone | undefined>;
  /** Tombstones, newest `revokedAt` first. */
  listTombstones(options?: ListStreamsOptions): Promise<Tombstone[]>;
  /**
   * Writes a notification to the outbox, pending and due now, before anything tries to send it. Resolves
   * `false` (and changes nothing) when its id is already there. The rules of the outbox are in
   * `outbox.ts`.
   */
  enqueueNotification(notification: NewNotification): Promise<boolean>;
  /**
   * Claims and resolves up to `limit` pending notifications that are due now, earliest due first, at most
   * one per stream unless released from its stream's order. Each is claimed for `claimMs`: nobody else
   * is handed it until the claim expires, atomically across every process sharing the store.
   */
  takeDueNotifications(options: TakeNotificationsOptions): Promise<ClaimedNotification[]>;
  /**
   * Marks a pending notification delivered, after `attempts` attempts. Resolves `false` (changing
   * nothing) unless `claim` is its current claim.
   */
  markNotificationDelivered(id: string, claim: string, attempts: number): Promise<boolean>;
  /**
   * Records a failed attempt of a pending notification and makes it due again at `retry.dueAt`, giving up
   * its claim. Resolves `false` (changing nothing) unless `claim` is its current claim.
   */
  rescheduleNotification(id: string, claim: string, retry: NotificationRetry): Promise<boolean>;
  /**
   * Marks a pending notification failed for good (it is never handed out again). Resolves `false`
   * (changing nothing) unless `claim` is its current claim.
   */
  markNotificationFailed(id: string, claim: string, failure: NotificationFailure): Promise<boolean>;
  /** Notifications still pending (waiting, due or claimed). */
  countPendingNotifications(): Promise<number>;
  /** The notification `id`, in whatever state, until it is pruned. */
  getNotification(id: string): Promise<OutboxNotification | undefined>;
  /** Resolves when the store answers; rejects when it is unreachable or closed (readiness probes). */
  ping(): Promise<void>;
  /** Stops timers and releases the database. Idempotent. */
  close(): Promise<void>;
  readonly kind: StoreKind;
  /** Where the data lives (the database path, `memory`…), for logs and `doctor`. */
  readonly location: string;
}
