/**
 * Video and screen share. H.264 is appended to `<name>.h264` (Annex-B elementary stream, as received);
 * JPG and PNG frames become numbered files `<name>/000001.jpg`. `<name>/frames.jsonl` indexes every frame
 * with its timestamp, because neither form keeps time and muxing with the audio needs it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { VideoFrame } from '../client/events.js';
import { Codec } from '../protocol/enums.js';
import { JsonlWriter } from './JsonlWriter.js';
import { BoundedQueue, INDEX_QUEUE_BYTES, type QueueOptions } from './queue.js';
import { RawTrack } from './RawTrack.js';

/** Which picture stream a track holds. */
export type PictureKind = 'video' | 'deskshare';

/** Digits of a picture's number in its file name. */
const PICTURE_NUMBER_DIGITS = 6;

export interface PictureTrackOptions extends QueueOptions {
  /** Base name of the files, default the kind (a resumed recording passes `video.run2`). */
  name?: string;
}

/** What a {@link PictureTrack} did. */
export interface PictureCounters {
  /** Frames written (pictures plus H.264 frames): accepted, less those later lost to an I/O error. */
  frames: number;
  pictures: number;
  h264Frames: number;
  /** Bytes of those frames. */
  bytes: number;
  /** Frames dropped: queues over their bound, I/O errors, closed track, unknown codec, no bytes. */
  dropped: number;
  droppedBytes: number;
  /** Frames whose codec is neither H.264, JPG nor PNG (dropped). */
  unknownCodec: number;
  /** Lines of `frames.jsonl` dropped (the frames themselves were kept). */
  indexDropped: number;
}

/** A file of the track, relative to the recording's folder. */
export interface PictureFile {
  path: string;
  bytes: number;
  /** Pictures in a frame folder. */
  files?: number;
}

interface Picture {
  file: string;
  data: Buffer;
}

type FrameFormat = 'h264' | 'jpg' | 'png';

/** The format of a frame: its codec, or its first bytes when the codec says nothing useful. */
function formatOf(frame: VideoFrame): FrameFormat | undefined {
  switch (frame.codec) {
    case Codec.H264:
      return 'h264';
    case Codec.JPG:
      return 'jpg';
    case Codec.PNG:
      return 'png';
  }
  const d = frame.data;
  if (d[0] === 0xff && d[1] === 0xd8) return 'jpg';
  if (d[0] === 0x89 && d[1] === 0x50 && d[2] === 0x4e && d[3] === 0x47) return 'png';
  if (d[0] === 0 && d[1] === 0 && (d[2] === 1 || (d[2] === 0 && d[3] === 1))) return 'h264';
  return undefined;
}

/**
 * One picture stream of a recording.
 *
 * @remarks Nothing here waits: pictures, H.264 data and index lines go through bounded queues.
 */
export class PictureTrack implements AsyncDisposable {
  readonly kind: PictureKind;
  readonly name: string;
  private readonly dir: string;
  private readonly options: QueueOptions;
  private readonly pictures: BoundedQueue<Picture>;
  private readonly index: JsonlWriter;
  private h264: RawTrack | undefined;
  private pictureCount = 0;
  private h264Count = 0;
  private pictureBytes = 0;
  private unknown = 0;
  private closedCount = 0;
  private folderMade = false;
  private finishing: Promise<PictureCounters> | undefined;

  /** @param dir - the recording's folder. */
  constructor(dir: string, kind: PictureKind, options: PictureTrackOptions = {}) {
    const { name, ...queue } = options;
    this.dir = dir;
    this.kind = kind;
    this.name = name ?? kind;
    this.options = queue;
    this.pictures = new BoundedQueue((batch) => this.writePictures(batch), queue);
    this.index = new JsonlWriter(join(dir, this.name, 'frames.jsonl'), {
      ...queue,
      maxQueueBytes: INDEX_QUEUE_BYTES,
    });
  }

  get counters(): PictureCounters {
    const raw = this.h264?.counters;
    const pictures = this.pictures.counters;
    const written = this.pictureCount - pictures.lost;
    return {
      frames: written + (raw?.frames ?? 0),
      pictures: written,
      h264Frames: raw?.frames ?? 0,
      bytes: this.pictureBytes - pictures.lostBytes + (raw?.bytes ?? 0),
      dropped: pictures.dropped + (raw?.dropped ?? 0) + (raw?.empty ?? 0) + this.unknown + this.closedCount,
      droppedBytes: pictures.droppedBytes + (raw?.droppedBytes ?? 0),
      unknownCodec: this.unknown,
      indexDropped: this.index.counters.dropped,
    };
  }

  /** The first I/O error of the track. */
  get error(): Error | undefined {
    return this.pictures.error ?? this.h264?.error ?? this.index.error;
  }

  /** Files written so far, relative to the recording's folder. */
  get files(): PictureFile[] {
    const out: PictureFile[] = [];
    if (this.h264 !== undefined) out.push({ path: `${this.name}.h264`, bytes: this.h264.counters.bytes });
    if (this.pictureCount > 0) {
      const { lost, lostBytes } = this.pictures.counters;
      out.push({
        path: `${this.name}/`,
        bytes: this.pictureBytes - lostBytes,
        files: this.pictureCount - lost,
      });
    }
    return out;
  }

  /** Writes one frame. The frame's buffer is kept until written. Returns false when it was dropped. */
  write(frame: VideoFrame): boolean {
    if (this.finishing !== undefined) {
      this.closedCount++;
      return false;
    }
    const format = formatOf(frame);
    if (format === undefined) {
      this.unknown++;
      return false;
    }
    if (format === 'h264') {
      this.h264 ??= new RawTrack(join(this.dir, `${this.name}.h264`), this.options);
      const offset = this.h264.append(frame.data);
      if (offset === undefined) return false;
      this.h264Count++;
      this.index.write({
        n: this.h264Count,
        timestamp: frame.timestamp,
        userId: frame.userId,
        file: `${this.name}.h264`,
        offset,
        bytes: frame.data.length,
      });
      return true;
    }
    const n = this.pictureCount + 1;
    const file = `${this.name}/${String(n).padStart(PICTURE_NUMBER_DIGITS, '0')}.${format}`;
    if (!this.pictures.push({ file, data: frame.data }, frame.data.length)) return false;
    this.pictureCount = n;
    this.pictureBytes += frame.data.length;
    this.index.write({ n, timestamp: frame.timestamp, userId: frame.userId, file });
    return true;
  }

  /**
   * Writes what is queued and closes the files. Idempotent.
   *
   * @throws the first I/O error of the track, if any.
   */
  finalize(): Promise<PictureCounters> {
    this.finishing ??= this.finish();
    return this.finishing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.finalize();
  }

  private async finish(): Promise<PictureCounters> {
    await Promise.all([
      this.pictures.drained(),
      this.h264?.finalize().catch(() => undefined),
      this.index.close().catch(() => undefined),
    ]);
    const error = this.error;
    if (error !== undefined) throw error;
    return this.counters;
  }

  private async writePictures(batch: Picture[]): Promise<void> {
    if (!this.folderMade) {
      await mkdir(join(this.dir, this.name), { recursive: true });
      this.folderMade = true;
    }
    for (const { file, data } of batch) await writeFile(join(this.dir, file), data);
  }
}
