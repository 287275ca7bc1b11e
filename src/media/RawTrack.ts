/**
 * Bytes appended as received: H.264 elementary streams, and audio in codecs rtmskit does not decode yet
 * (G.711, G.722, Opus), until FFmpeg turns them into files people play.
 */
import { JsonlWriter } from './JsonlWriter.js';
import { FileQueue, INDEX_QUEUE_BYTES, type QueueOptions } from './queue.js';

export interface RawTrackOptions extends QueueOptions {
  /**
   * A JSON lines file that gets `{ n, timestamp, offset, bytes }` per frame. Raw Opus has no framing of
   * its own, so without it packet boundaries (and the timeline) are lost.
   */
  indexPath?: string;
}

/** What a {@link RawTrack} did. */
export interface RawTrackCounters {
  /** Frames written: accepted, less those later lost to an I/O error. */
  frames: number;
  /** Bytes of those frames (the file's length once written). */
  bytes: number;
  dropped: number;
  droppedBytes: number;
  /** Frames with no bytes: nothing to write. */
  empty: number;
  /** Index lines dropped (the frames themselves were kept). */
  indexDropped: number;
}

/**
 * Appends frames to one file, through a bounded queue. The file is created (empty) on the first frame.
 */
export class RawTrack implements AsyncDisposable {
  private readonly file: FileQueue;
  private readonly index: JsonlWriter | undefined;
  private frameCount = 0;
  private byteCount = 0;
  private emptyCount = 0;

  constructor(
    readonly path: string,
    options: RawTrackOptions = {},
  ) {
    const { indexPath, ...queue } = options;
    this.file = new FileQueue(path, 'w', queue);
    this.index =
      indexPath === undefined
        ? undefined
        : new JsonlWriter(indexPath, { ...queue, maxQueueBytes: INDEX_QUEUE_BYTES });
  }

  get counters(): RawTrackCounters {
    const { dropped, droppedBytes, lost, lostBytes } = this.file.counters;
    return {
      frames: this.frameCount - lost,
      bytes: this.byteCount - lostBytes,
      dropped,
      droppedBytes,
      empty: this.emptyCount,
      indexDropped: this.index?.counters.dropped ?? 0,
    };
  }

  get error(): Error | undefined {
    return this.file.error ?? this.index?.error;
  }

  /**
   * Appends `data` (kept, not copied). Returns the byte offset it will have in the file, or `undefined`
   * when it was dropped.
   */
  append(data: Buffer, timestamp?: number): number | undefined {
    if (data.length === 0) {
      this.emptyCount++;
      return undefined;
    }
    if (!this.file.write(data)) return undefined;
    // Offsets count every accepted byte: after an I/O error nothing more is written anyway.
    const offset = this.byteCount;
    this.frameCount++;
    this.byteCount += data.length;
    this.index?.write({ n: this.frameCount, timestamp, offset, bytes: data.length });
    return offset;
  }

  /**
   * Writes what is queued and closes the file (and its index). Idempotent.
   *
   * @throws the I/O error that stopped the track, if any.
   */
  async finalize(): Promise<RawTrackCounters> {
    await Promise.all([this.file.close(), this.index?.close().catch(() => undefined)]);
    const error = this.error;
    if (error !== undefined) throw error;
    return this.counters;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.finalize();
  }
}
