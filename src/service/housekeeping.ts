/**
 * The service's data lifecycle: ended streams and their recordings are deleted once past the retention
 * period, and a stream Zoom revokes (stop reason STREAM_REVOKED: "delete the assets of this stream now")
 * has every recording deleted at once, leaving a tombstone without content.
 */
import type { Logger } from 'pino';
import type { StreamRef } from '../manager/StreamManager.js';
import { deleteStreamRecordings, pruneRecordings, type RemovedRecording } from '../media/retention.js';
import type { Store, Tombstone } from '../store/Store.js';
import type { RetentionConfig } from './config.js';
import type { ServiceMetrics } from './metrics.js';

/** How often the retention sweep runs (also once at start). */
export const RETENTION_SWEEP_INTERVAL_MS = 60 * 60 * 1000;

export interface HousekeepingOptions {
  dataDir: string;
  retention: RetentionConfig;
  store: Store;
  logger: Logger;
  metrics: ServiceMetrics;
  /** Ids of the streams held now: their recordings are never deleted by retention. */
  liveStreamIds: () => string[];
  /** Resolves once the stream's recording, if one is finishing, is written (see `RecorderHandle.settled`). */
  recordingSettled: (streamId: string) => Promise<void>;
  now: () => number;
}

/** What one retention sweep deleted. */
export interface SweepResult {
  streamRecords: number;
  recordings: RemovedRecording[];
}

export class Housekeeping {
  private readonly options: HousekeepingOptions;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<SweepResult> | undefined;
  /** Revocations under way, so the webhook and the stream's own end do not delete twice. */
  private readonly revoking = new Map<string, Promise<Tombstone | undefined>>();

  constructor(options: HousekeepingOptions) {
    this.options = options;
  }

  /** Sweeps now, then every {@link RETENTION_SWEEP_INTERVAL_MS}; a no-op when everything is kept. */
  start(): Promise<SweepResult> {
    const { retention } = this.options;
    if (retention.streamsMs === undefined && retention.recordingsMs === undefined) {
      return Promise.resolve({ streamRecords: 0, recordings: [] });
    }
    this.timer ??= setInterval(() => void this.sweep(), RETENTION_SWEEP_INTERVAL_MS);
    this.timer.unref();
    return this.sweep();
  }

  /** Deletes what is past retention. One sweep at a time; never rejects (failures are logged). */
  sweep(): Promise<SweepResult> {
    this.sweeping ??= this.runSweep().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async runSweep(): Promise<SweepResult> {
    const { store, logger, retention, metrics } = this.options;
    const result: SweepResult = { streamRecords: 0, recordings: [] };
    if (retention.streamsMs !== undefined) {
      try {
        result.streamRecords = (await store.prune({ streamsOlderThanMs: retention.streamsMs })).streams;
      } catch (err) {
        logger.error({ err }, 'retention: pruning stream records failed');
      }
    }
    if (retention.recordingsMs !== undefined) {
      try {
        const active = (await store.activeStreams()).map((r) => r.streamId);
        result.recordings = await pruneRecordings(this.options.dataDir, {
          olderThanMs: retention.recordingsMs,
          keepStreamIds: [...this.options.liveStreamIds(), ...active],
          now: this.options.now,
          onError: (dir, err) => logger.error({ err, dir }, 'retention: a recording could not be deleted'),
        });
      } catch (err) {
        logger.error({ err }, 'retention: the recordings sweep failed');
      }
    }
    for (const removed of result.recordings) {
      logger.info(
        {
          path: removed.path,
          stream: removed.streamId,
          endedAt: new Date(removed.endedAt).toISOString(),
          files: removed.files,
          bytes: removed.bytes,
        },
        'retention: recording deleted',
      );
    }
    metrics.retained(result.streamRecords, result.recordings.length);
    if (result.streamRecords > 0 || result.recordings.length > 0) {
      logger.info(
        { streamRecords: result.streamRecords, recordings: result.recordings.length },
        'retention sweep deleted what was past the retention period',
      );
    }
    return result;
  }

  /**
   * Deletes every recording of a revoked stream, after its recording finished, and keeps a tombstone in
   * the store and the log. Idempotent: a second call for the same stream while the first runs shares it;
   * a later one with nothing left to delete changes nothing. Never rejects.
   */
  revoke(ref: StreamRef): Promise<Tombstone | undefined> {
    let running = this.revoking.get(ref.streamId);
    if (running === undefined) {
      running = this.runRevoke(ref).finally(() => this.revoking.delete(ref.streamId));
      this.revoking.set(ref.streamId, running);
    }
    return running;
  }

  private async runRevoke(ref: StreamRef): Promise<Tombstone | undefined> {
    const { store, logger, metrics } = this.options;
    try {
      await this.options.recordingSettled(ref.streamId);
      const removed = await deleteStreamRecordings(this.options.dataDir, ref.streamId);
      const earlier = await store.getTombstone(ref.streamId);
      if (earlier !== undefined && removed.length === 0) return earlier;
      const deleted = [
        ...(earlier?.deleted ?? []),
        ...removed.map(({ path, files, bytes }) => ({ path, files, bytes })),
      ];
      const tombstone: Tombstone = {
        streamId: ref.streamId,
        product: ref.product,
        instanceId: ref.instanceId,
        ...(ref.meetingId === undefined ? {} : { meetingId: ref.meetingId }),
        revokedAt: earlier?.revokedAt ?? this.options.now(),
        deleted,
      };
      await store.putTombstone(tombstone);
      metrics.revoked(removed);
      logger.warn(
        {
          stream: ref.streamId,
          revokedAt: new Date(tombstone.revokedAt).toISOString(),
          deleted: removed.map((r) => r.path),
          files: removed.reduce((n, r) => n + r.files, 0),
          bytes: removed.reduce((n, r) => n + r.bytes, 0),
        },
        'stream revoked by Zoom: its recordings were deleted',
      );
      return tombstone;
    } catch (err) {
      logger.error(
        { err, stream: ref.streamId },
        'stream revoked by Zoom, but deleting its recordings failed: delete its folders under recordings/ by hand',
      );
      return undefined;
    }
  }

  /** Stops the sweep timer and waits for work under way. Idempotent. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([this.sweeping, ...this.revoking.values()]);
  }
}
