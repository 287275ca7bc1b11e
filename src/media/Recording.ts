/** The lifecycle of one stream's recording: folder and run set-up, held items, manifest rewrites, end. */
import { mkdir } from 'node:fs/promises';
import type { AudioFrame, ChatLine, TranscriptSegment, VideoFrame } from '../client/events.js';
import { StreamState } from '../protocol/enums.js';
import { messageOf } from '../protocol/errorText.js';
import type { MediaParams } from '../protocol/messages.js';
import type { Product } from '../protocol/products.js';
import {
  type AudioLayout,
  type ItemCounts,
  type ManifestFile,
  type RecordingCounters,
  type RecordingManifest,
  writeManifest,
} from './manifest.js';
import {
  buildManifest,
  countersOf,
  currentFiles,
  type DropSink,
  dropsOf,
  type ManifestHead,
  measuredFiles,
  newTally,
  type RecordingEnd,
} from './manifestBuilder.js';
import { DEFAULT_QUEUE_BYTES, type QueueOptions } from './queue.js';
import { RecordingTracks } from './RecordingTracks.js';
import { newRunSetup, prepareRun } from './recordingRun.js';

export { type DropSink, noDrops } from './manifestBuilder.js';

/** The ids of the stream being recorded (a manager's `StreamRef` fits). */
export interface RecordingRef {
  readonly streamId: string;
  readonly product: Product;
  readonly instanceId: string;
  readonly meetingId?: string | undefined;
}

export interface RecordingOptions extends QueueOptions {
  /** The recording's folder (see `recordingDir`); created if missing. */
  dir: string;
  ref: RecordingRef;
  /** When the stream started, ms since the epoch. */
  startedAt: number;
  /** The rtmskit instance writing this run, for the manifest (in a fleet, runs of one stream may differ). */
  writer?: string;
  /** Default `auto`. See {@link AudioLayout}. */
  audioLayout?: AudioLayout;
  /** Passed to every `WavWriter`. */
  headerRewriteMs?: number;
  /**
   * Nothing is written before this settles: a recording of the same stream that is still finalizing
   * into the same folder.
   */
  after?: Promise<unknown>;
  /** Clock for `events.jsonl` and `endedAt`; default `Date.now`. */
  now?: () => number;
}

/** Why a recording ends. */
export interface FinalizeOptions {
  /** Zoom's stop reason (RTMS_STOP_REASON). */
  stopReason?: number | undefined;
  /** The stream's close reason (`stopped`, `closed`, `lost`, `failed`) or the recorder's own. */
  reason?: string | undefined;
}

/** The event kinds of `events.jsonl` whose line also counts a reconnect. */
const RECONNECTED_EVENT = 'reconnected';
/** The stream's start on the frames' clock: where its WAV files begin. */
const FIRST_PACKET_EVENT = 'firstPacket';
/** Zoom's stream state updates: the one that terminates the stream says when it ended. */
const STREAM_STATE_EVENT = 'streamState';

/** Bytes counted for an event or text item held before the folder is ready. */
const TEXT_ITEM_BYTES = 256;

/** What a held item will be, for the books when it is dropped instead. */
type ItemKind = keyof ItemCounts;

interface Held {
  kind: ItemKind;
  bytes: number;
  work: () => void;
}

type Phase = 'starting' | 'open' | 'failed' | 'finalizing';

/**
 * Records one stream into its folder.
 *
 * Files: `audio.wav` (the mixed stream) or `audio-<userId>.wav` per speaker (`audio-ch-<id>.wav` for a
 * Contact Center channel), 16-bit PCM in the format of the track's first frame (G.711 decoded); G.722
 * and Opus as received in `audio[-<userId>].<g722|opus>.raw` with an index; `video.h264` or
 * `video/000001.jpg…` (and
 * `deskshare…`); `transcript.jsonl` (+ `.vtt`, `.srt` at the end); `chat.jsonl`; `events.jsonl`;
 * `manifest.json`.
 *
 * Timeline: the origin is the stream's start (Zoom's first-packet timestamp, or the first audio when
 * that is earlier or Zoom sent none). Every WAV file starts at that instant and is padded with silence to
 * the stream's end (the end Zoom announced, or its last audio or picture), so per-speaker files line up sample for sample and are all as long
 * as the stream (a speaker who starts later begins with silence), and subtitle cues count from it too.
 * Audio stamped before the origin is cut.
 *
 * When the folder already holds a recording (a stream resumed after a restart), this is run 2 (3…): new
 * binary files get a `.run2` suffix, JSON lines files are appended to, and the earlier manifest is kept
 * under `previousRuns`.
 *
 * @remarks Every method taking a frame returns at once: files are written through bounded queues, and
 * frames that arrive while the folder is being prepared are held (within the same bound). I/O errors
 * never throw here: they go to `onError` and to the manifest's `errors`.
 */
export class Recording implements AsyncDisposable {
  readonly dir: string;
  readonly ref: RecordingRef;
  readonly startedAt: number;
  readonly audioLayout: AudioLayout;
  private readonly queueOptions: QueueOptions;
  private readonly maxPendingBytes: number;
  private readonly now: () => number;
  private readonly writer: string | undefined;
  private readonly onError: ((error: Error) => void) | undefined;
  private readonly started: Promise<void>;
  private phase: Phase = 'starting';
  private pending: Held[] = [];
  private pendingBytes = 0;
  /** Which run this is, what the earlier ones were, where this run's lines begin. */
  private readonly setup = newRunSetup();
  private mediaParams: MediaParams | undefined;
  private readonly tracks: RecordingTracks;
  private readonly tally = newTally();
  private readonly notes: string[] = [];
  private readonly errors: string[] = [];
  private readonly errorKeys = new Set<string>();
  private manifestChain: Promise<void> = Promise.resolve();
  private manifestQueued = false;
  private end: RecordingEnd | undefined;
  private finishing: Promise<RecordingManifest> | undefined;

  constructor(options: RecordingOptions) {
    this.dir = options.dir;
    this.ref = options.ref;
    this.startedAt = options.startedAt;
    this.audioLayout = options.audioLayout ?? 'auto';
    this.now = options.now ?? Date.now;
    this.writer = options.writer;
    this.onError = options.onError;
    this.maxPendingBytes = options.maxQueueBytes ?? DEFAULT_QUEUE_BYTES;
    this.queueOptions = {
      ...(options.maxQueueBytes === undefined ? {} : { maxQueueBytes: options.maxQueueBytes }),
      ...(options.budget === undefined ? {} : { budget: options.budget }),
    };
    this.tracks = new RecordingTracks({
      dir: this.dir,
      audioLayout: this.audioLayout,
      headerRewriteMs: options.headerRewriteMs,
      suffix: () => this.setup.suffix,
      writerOptions: (file) => this.writerOptions(file),
      recordError: (what, error) => this.recordError(what, error),
      dropped: (bytes) => this.dropOwn('audio', bytes),
      note: (text) => this.notes.push(text),
      opened: () => this.scheduleManifest(),
    });
    this.started = this.start(options.after);
  }

  /** Resolves when the folder is ready (or could not be made: see the manifest's `errors`). */
  ready(): Promise<void> {
    return this.started;
  }

  /** True once {@link Recording.finalize} was called. */
  get finalizing(): boolean {
    return this.finishing !== undefined;
  }

  /** The stream's timeline origin (ms, frames' clock): its start, or its first audio if earlier. */
  get timelineOriginMs(): number | undefined {
    return this.tracks.audio.originMs;
  }

  get counters(): RecordingCounters {
    return countersOf(this.tracks, this.tally);
  }

  /** Items dropped so far, by sink; counts only grow (for metrics). */
  drops(): Record<DropSink, number> {
    return dropsOf(this.tracks, this.tally);
  }

  /** Writes an audio frame to its speaker's track. */
  audio(frame: AudioFrame): void {
    if (this.ended()) return;
    this.tally.frames.audio++;
    if (this.phase === 'open') this.tracks.writeAudio(frame);
    else this.hold('audio', frame.data.length, () => this.tracks.writeAudio(frame));
  }

  /** Writes a camera video frame. */
  video(frame: VideoFrame): void {
    if (this.ended()) return;
    this.tally.frames.video++;
    if (this.phase === 'open') this.tracks.writePicture('video', frame);
    else this.hold('video', frame.data.length, () => this.tracks.writePicture('video', frame));
  }

  /** Writes a screen-share frame. */
  deskshare(frame: VideoFrame): void {
    if (this.ended()) return;
    this.tally.frames.deskshare++;
    if (this.phase === 'open') this.tracks.writePicture('deskshare', frame);
    else this.hold('deskshare', frame.data.length, () => this.tracks.writePicture('deskshare', frame));
  }

  /** Appends a transcript segment to `transcript.jsonl`. */
  transcript(segment: TranscriptSegment): void {
    if (this.ended()) return;
    this.tally.frames.transcript++;
    if (this.phase === 'open') this.tracks.writeTranscript(segment);
    else this.hold('transcript', TEXT_ITEM_BYTES, () => this.tracks.writeTranscript(segment));
  }

  /** Appends a chat message to `chat.jsonl`. */
  chat(line: ChatLine): void {
    if (this.ended()) return;
    this.tally.frames.chat++;
    if (this.phase === 'open') this.tracks.writeChat(line);
    else this.hold('chat', TEXT_ITEM_BYTES, () => this.tracks.writeChat(line));
  }

  /**
   * Appends `{ time, kind, data }` to `events.jsonl` (participants, active speaker, sharing, video on/off,
   * state changes, reconnects…). `time` is this process's clock, as an ISO string. A `reconnected` event
   * also counts a reconnect.
   */
  event(kind: string, payload: unknown): void {
    if (this.ended()) return;
    const time = new Date(this.now()).toISOString();
    if (kind === RECONNECTED_EVENT) this.tally.reconnects++;
    if (kind === FIRST_PACKET_EVENT) {
      const timestamp = (payload as { timestamp?: unknown } | undefined)?.timestamp;
      if (typeof timestamp === 'number') this.tracks.audio.noteStreamStart(timestamp);
    }
    if (kind === STREAM_STATE_EVENT) {
      const update = payload as { state?: unknown; timestamp?: unknown } | undefined;
      if (update?.state === StreamState.TERMINATED && typeof update.timestamp === 'number')
        this.tracks.audio.noteStreamEnd(update.timestamp);
    }
    this.tally.events++;
    if (this.phase === 'open') this.tracks.writeEvent(time, kind, payload);
    else this.hold('events', TEXT_ITEM_BYTES, () => this.tracks.writeEvent(time, kind, payload));
  }

  /** The media parameters confirmed by the handshake, for the manifest. */
  setMediaParams(params: MediaParams): void {
    this.mediaParams = params;
    this.scheduleManifest();
  }

  /** The manifest as it stands (no `endedAt` until finalized). */
  manifest(): RecordingManifest {
    return this.buildManifest(currentFiles(this.tracks, this.setup.offsets));
  }

  /**
   * Stops taking frames, writes everything queued, closes every file, renders the subtitles and writes
   * the final manifest. Idempotent: later calls get the first call's result. Never rejects: I/O errors
   * are in the manifest's `errors`.
   */
  finalize(options: FinalizeOptions = {}): Promise<RecordingManifest> {
    if (this.finishing === undefined) {
      this.phase = 'finalizing';
      this.finishing = this.finish(options);
    }
    return this.finishing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.finalize();
  }

  private async start(after: Promise<unknown> | undefined): Promise<void> {
    try {
      if (after !== undefined) await after.then(noop, noop);
      await mkdir(this.dir, { recursive: true });
      await prepareRun(this.dir, this.setup, {
        now: this.now,
        onRepairError: (path, error) => this.recordError(`repairing ${path}`, error),
        note: (text) => this.notes.push(text),
      });
    } catch (error) {
      if (this.phase === 'starting') this.phase = 'failed';
      this.recordError('recording folder', error);
      for (const item of this.pending) this.tally.dropped[item.kind]++;
      this.tally.droppedBytes += this.pendingBytes;
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    if (this.phase === 'starting') this.phase = 'open';
    const held = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (const item of held) item.work();
    this.scheduleManifest();
  }

  /**
   * True, and the item counted in `afterEnd`, once finalize() was called: the stream is over for this
   * recording, and what comes now is still accounted for.
   */
  private ended(): boolean {
    if (this.phase !== 'finalizing') return false;
    this.tally.afterEnd++;
    return true;
  }

  /** Holds work until the folder is ready, within the queue bound; drops (and counts) past it. */
  private hold(kind: ItemKind, bytes: number, work: () => void): void {
    if (this.phase !== 'starting' || this.pendingBytes + bytes > this.maxPendingBytes) {
      this.dropOwn(kind, bytes);
      return;
    }
    this.pending.push({ kind, bytes, work });
    this.pendingBytes += bytes;
  }

  private writerOptions(file: string): QueueOptions {
    return { ...this.queueOptions, onError: (error) => this.recordError(file, error) };
  }

  /** Counts an item this recording dropped itself, not one of its writers. */
  private dropOwn(kind: ItemKind, bytes: number): void {
    this.tally.dropped[kind]++;
    this.tally.droppedBytes += bytes;
  }

  private recordError(what: string, error: unknown): void {
    const line = `${what}: ${messageOf(error)}`;
    if (this.errorKeys.has(line)) return;
    this.errorKeys.add(line);
    this.errors.push(line);
    try {
      this.onError?.(error instanceof Error ? error : new Error(line));
    } catch {
      // The listener's problem: the recording goes on.
    }
  }

  /** Rewrites the manifest soon (once for any number of calls meanwhile), while the recording is open. */
  private scheduleManifest(): void {
    if (this.phase !== 'open' || this.manifestQueued) return;
    this.manifestQueued = true;
    this.manifestChain = this.manifestChain.then(async () => {
      this.manifestQueued = false;
      if (this.phase !== 'open') return;
      try {
        await writeManifest(this.dir, this.manifest());
      } catch (error) {
        this.recordError('manifest.json', error);
      }
    });
  }

  private transcriptOrigin(): number {
    return (
      this.setup.inheritedTranscriptOrigin ??
      this.tracks.audio.originMs ??
      this.tracks.firstMediaMs ??
      this.startedAt
    );
  }

  private async finish(options: FinalizeOptions): Promise<RecordingManifest> {
    await this.started;
    const endedAt = this.now();
    const settle = (file: string, work: Promise<unknown> | undefined) =>
      work?.then(noop, (error: unknown) => this.recordError(file, error));
    const closing = this.tracks.finalize(this.transcriptOrigin());
    await Promise.all(closing.map(({ file, done }) => settle(file, done)));
    this.end = { endedAt, reason: options.reason, stopReason: options.stopReason };
    const files = await measuredFiles(this.dir, this.tracks, this.setup.offsets);
    await this.manifestChain;
    // Built once: what is on disk and what the caller gets must be the same, even if an item comes
    // while the manifest is being written.
    const manifest = this.buildManifest(files);
    try {
      await writeManifest(this.dir, manifest);
    } catch (error) {
      this.recordError('manifest.json', error);
      return { ...manifest, errors: [...this.errors] };
    }
    return manifest;
  }

  private buildManifest(files: ManifestFile[]): RecordingManifest {
    const head: ManifestHead = {
      ref: this.ref,
      run: this.setup.run,
      writer: this.writer,
      startedAt: this.startedAt,
      audioLayout: this.audioLayout,
      timelineOriginMs: this.tracks.audio.originMs ?? null,
      timelineEndMs: this.tracks.audio.timelineEndMs ?? null,
      transcriptOriginMs: this.tracks.transcript === undefined ? null : this.transcriptOrigin(),
      mediaParams: this.mediaParams ?? null,
      notes: this.notes,
      errors: this.errors,
      end: this.end,
      previousRuns: this.setup.previousRuns,
    };
    return buildManifest(head, files, this.counters);
  }
}

function noop(): void {}
