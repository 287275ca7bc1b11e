/**
 * PCM16 WAV files for one audio track, with the file's timeline following the frames' timestamps, and a
 * header kept close to the truth so that a killed process leaves a playable file.
 */
import type { FileHandle } from 'node:fs/promises';
import { RtmsError } from '../protocol/errors.js';
import { FileQueue, type QueueOptions } from './queue.js';
import { BYTES_PER_SAMPLE, MAX_WAV_DATA_BYTES, WAV_HEADER_BYTES, WAVE_FORMAT_PCM } from './wavFormat.js';

export { WAV_HEADER_BYTES } from './wavFormat.js';

/** How often the RIFF and data sizes are rewritten while the file is open. */
export const HEADER_REWRITE_MS = 1_000;

const MAX_CHANNELS = 16;
const MAX_SAMPLE_RATE_HZ = 768_000;

export interface WavWriterOptions extends QueueOptions {
  /** Hz. */
  sampleRate: number;
  channels: number;
  /**
   * The time, in the frames' clock (ms), that byte 0 of the data stands for. Frames are placed at
   * `timestamp - originMs`, so a track that starts later begins with silence and tracks that share an
   * origin line up. Default: the first frame's timestamp.
   */
  originMs?: number;
  /** Default {@link HEADER_REWRITE_MS}. */
  headerRewriteMs?: number;
}

/** What a {@link WavWriter} did. Bytes are data-chunk bytes. */
export interface WavCounters {
  /** Length of the data chunk: audio, inserted silence and slots of dropped frames. */
  bytes: number;
  /** Frames written (whole or in part): accepted, less those later lost to an I/O error. */
  frames: number;
  /** Times silence was inserted (including leading silence before the first frame). */
  gapsFilled: number;
  silenceMs: number;
  /** Silence added after the last frame so the file ends with the stream (see `padTo`). */
  paddedMs: number;
  /** Bytes of audio dropped because their timestamps overlapped audio already written. */
  overlapDropped: number;
  /**
   * Frames dropped whole because every sample fell on audio already written (or before the origin).
   * Their bytes are in `overlapDropped`; a frame cut only in part counts in `frames`.
   */
  overlapFrames: number;
  /** Frames shorter than one sample frame: nothing to write. */
  empty: number;
  /** Frames dropped: queue over its bound, I/O error, closed writer or the 4 GiB WAV limit. */
  dropped: number;
  droppedBytes: number;
}

/** Milliseconds of PCM16 audio in `bytes`, rounded. */
export function pcmDurationMs(bytes: number, sampleRate: number, channels: number): number {
  return Math.round((bytes * 1000) / (sampleRate * channels * BYTES_PER_SAMPLE));
}

/** The header bytes of a PCM16 WAV file whose data chunk holds `dataBytes`. */
export function wavHeader(
  sampleRate: number,
  channels: number,
  dataBytes: number,
  out = Buffer.alloc(WAV_HEADER_BYTES),
): Buffer {
  const blockAlign = channels * BYTES_PER_SAMPLE;
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(WAV_HEADER_BYTES - 8 + dataBytes, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(WAVE_FORMAT_PCM, 20);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * blockAlign, 28);
  out.writeUInt16LE(blockAlign, 32);
  out.writeUInt16LE(BYTES_PER_SAMPLE * 8, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(dataBytes, 40);
  return out;
}

/**
 * Writes one PCM16 (L16 little-endian) track to a WAV file.
 *
 * Each frame is placed on the timeline by its timestamp. Later than the end of what was written by more
 * than half the frame: the gap is filled with silence. Earlier by more than half the frame: the part that
 * overlaps is dropped. Within half a frame: appended as is, so clock jitter neither adds nor removes
 * audio. The data length therefore equals the audio streamed plus the gaps, within one frame.
 *
 * @remarks All I/O is asynchronous through a bounded queue: {@link WavWriter.write} never waits. Silence
 * costs no memory: the next frame is written at its offset, and the file system fills the hole with
 * zeros. The header's sizes are rewritten every {@link HEADER_REWRITE_MS} (timer unref'd), so a killed
 * process leaves a playable file at most that far behind; {@link repairWav} fixes the rest.
 */
export class WavWriter implements AsyncDisposable {
  readonly path: string;
  readonly sampleRate: number;
  readonly channels: number;
  /** Bytes per sample frame: channels × 2. */
  readonly blockAlign: number;
  private readonly file: FileQueue;
  private readonly header = Buffer.alloc(WAV_HEADER_BYTES);
  private readonly timer: NodeJS.Timeout;
  private origin: number | undefined;
  /** End of the timeline, in sample frames. */
  private endFrames = 0;
  private frameCount = 0;
  private gaps = 0;
  private silenceFrames = 0;
  private paddedFrames = 0;
  private overlapBytes = 0;
  private overlapFrameCount = 0;
  private emptyCount = 0;
  private headerDirty = false;
  private headerQueued = false;
  private finishing: Promise<WavCounters> | undefined;

  /**
   * Creates the file and waits until its header is written.
   *
   * @throws RtmsError `INVALID_OPTIONS` for a bad format; the file system's error when it cannot be made.
   */
  static async create(path: string, options: WavWriterOptions): Promise<WavWriter> {
    const writer = new WavWriter(path, options);
    await writer.file.flush();
    const error = writer.file.error;
    if (error !== undefined) {
      await writer.finalize().catch(() => undefined);
      throw error;
    }
    return writer;
  }

  /**
   * Starts a writer without waiting: the file is created in the background and an I/O error is reported
   * through `onError` and {@link WavWriter.error}. For the media path, where nothing may wait.
   *
   * @throws RtmsError `INVALID_OPTIONS` for a bad format.
   */
  constructor(path: string, options: WavWriterOptions) {
    const { sampleRate, channels } = options;
    if (!Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate > MAX_SAMPLE_RATE_HZ) {
      throw RtmsError.invalidOptions(
        `WAV sample rate ${sampleRate} is invalid`,
        'pass the rate in Hz (8000, 16000, 32000 or 48000)',
      );
    }
    if (!Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) {
      throw RtmsError.invalidOptions(
        `WAV channel count ${channels} is invalid`,
        'pass 1 (mono) or 2 (stereo)',
      );
    }
    this.path = path;
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.blockAlign = channels * BYTES_PER_SAMPLE;
    this.origin = options.originMs;
    this.file = new FileQueue(path, 'w', options);
    this.file.write(wavHeader(sampleRate, channels, 0), 0);
    this.timer = setInterval(() => this.queueHeader(), options.headerRewriteMs ?? HEADER_REWRITE_MS);
    this.timer.unref();
  }

  /** The timeline's origin (ms): given, or the first frame's timestamp. */
  get originMs(): number | undefined {
    return this.origin;
  }

  /** The I/O error that stopped the writer. */
  get error(): Error | undefined {
    return this.file.error;
  }

  get counters(): WavCounters {
    const { dropped, droppedBytes, lost } = this.file.counters;
    return {
      bytes: this.endFrames * this.blockAlign,
      frames: this.frameCount - lost,
      gapsFilled: this.gaps,
      silenceMs: Math.round((this.silenceFrames * 1000) / this.sampleRate),
      paddedMs: Math.round((this.paddedFrames * 1000) / this.sampleRate),
      overlapDropped: this.overlapBytes,
      overlapFrames: this.overlapFrameCount,
      empty: this.emptyCount,
      dropped,
      droppedBytes,
    };
  }

  /**
   * Places `pcm` (PCM16 little-endian, interleaved) at `timestampMs` on the timeline. A trailing partial
   * sample frame is ignored. The buffer is kept until written: do not change it afterwards. Returns false
   * when nothing of it will be written (overlap, full queue, closed writer).
   */
  write(timestampMs: number, pcm: Buffer): boolean {
    const align = this.blockAlign;
    const lengthFrames = Math.floor(pcm.length / align);
    if (this.finishing !== undefined) {
      this.file.drop(1, pcm.length);
      return false;
    }
    if (lengthFrames === 0) {
      this.emptyCount++;
      return false;
    }
    let at = this.endFrames;
    let skipFrames = 0;
    if (Number.isFinite(timestampMs)) {
      this.origin ??= timestampMs;
      const pos = Math.round(((timestampMs - this.origin) * this.sampleRate) / 1000);
      const slack = lengthFrames / 2;
      if (pos - this.endFrames > slack) {
        this.gaps++;
        this.silenceFrames += pos - this.endFrames;
        at = pos;
      } else if (this.endFrames - pos > slack) {
        skipFrames = Math.min(lengthFrames, this.endFrames - pos);
        this.overlapBytes += skipFrames * align;
        if (skipFrames === lengthFrames) {
          this.overlapFrameCount++;
          return false;
        }
      }
    }
    const end = at + lengthFrames - skipFrames;
    if (end * align > MAX_WAV_DATA_BYTES) {
      this.file.drop(1, pcm.length);
      return false;
    }
    const data =
      skipFrames === 0 && lengthFrames * align === pcm.length
        ? pcm
        : pcm.subarray(skipFrames * align, lengthFrames * align);
    // The timeline moves on even when the queue drops the frame: the slot becomes silence, and the
    // following frames keep their place.
    this.endFrames = end;
    this.headerDirty = true;
    if (!this.file.write(data, WAV_HEADER_BYTES + at * align)) return false;
    this.frameCount++;
    return true;
  }

  /**
   * Extends the timeline with silence up to `timestampMs`, so a speaker who fell silent before the end
   * has a file as long as the stream's. Does nothing when the audio already reaches that far.
   */
  padTo(timestampMs: number): void {
    if (this.finishing !== undefined || !Number.isFinite(timestampMs) || this.origin === undefined) return;
    const pos = Math.round(((timestampMs - this.origin) * this.sampleRate) / 1000);
    if (pos <= this.endFrames || pos * this.blockAlign > MAX_WAV_DATA_BYTES) return;
    this.paddedFrames += pos - this.endFrames;
    this.endFrames = pos;
    this.headerDirty = true;
  }

  /** The end of the audio written so far, on the frames' clock (ms), once a frame set the origin. */
  get endMs(): number | undefined {
    return this.origin === undefined ? undefined : this.origin + (this.endFrames * 1000) / this.sampleRate;
  }

  /** Resolves when everything given so far is written. */
  flush(): Promise<void> {
    return this.file.flush();
  }

  /**
   * Writes what is queued, sets the file's length and header to the exact timeline, and closes it.
   * Idempotent.
   *
   * @throws the I/O error that stopped the writer, if any (the file is closed all the same).
   */
  finalize(): Promise<WavCounters> {
    this.finishing ??= this.finish();
    return this.finishing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.finalize();
  }

  private async finish(): Promise<WavCounters> {
    clearInterval(this.timer);
    const dataBytes = this.endFrames * this.blockAlign;
    this.file.control(async (handle) => {
      // Extends the file when the last frames were dropped by the queue: their slots read as zeros.
      await handle.truncate(WAV_HEADER_BYTES + dataBytes);
      await this.writeHeader(handle, dataBytes);
    });
    await this.file.close();
    const error = this.file.error;
    if (error !== undefined) throw error;
    return this.counters;
  }

  private queueHeader(): void {
    if (!this.headerDirty || this.headerQueued) return;
    this.headerDirty = false;
    this.headerQueued = this.file.control(async (handle) => {
      this.headerQueued = false;
      // Only what is on disk: a header ahead of the file's length would point past its end.
      await this.writeHeader(handle, Math.max(0, this.file.writtenEnd - WAV_HEADER_BYTES));
    });
  }

  private async writeHeader(handle: FileHandle, dataBytes: number): Promise<void> {
    wavHeader(this.sampleRate, this.channels, Math.min(dataBytes, MAX_WAV_DATA_BYTES), this.header);
    await handle.write(this.header, 0, WAV_HEADER_BYTES, 0);
  }
}

export { readWavLayout, repairWav, type WavLayout, type WavRepair } from './wavFiles.js';
