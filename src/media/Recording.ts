/**
 * One stream's recording: audio tracks, pictures, transcript, chat and events in one folder, described
 * by `manifest.json`.
 */
import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AudioFrame, ChatLine, TranscriptSegment, VideoFrame } from '../client/events.js';
import { Codec, StopReason } from '../protocol/enums.js';
import type { MediaParams } from '../protocol/messages.js';
import type { Product } from '../protocol/products.js';
import { JsonlWriter } from './JsonlWriter.js';
import {
  type AudioLayout,
  type ItemCounts,
  MANIFEST_VERSION,
  type ManifestFile,
  noItems,
  type RecordingCounters,
  type RecordingManifest,
  readManifest,
  writeManifest,
} from './manifest.js';
import { type PictureKind, PictureTrack } from './PictureTrack.js';
import { sanitizePathPart } from './paths.js';
import { DEFAULT_QUEUE_BYTES, type QueueOptions } from './queue.js';
import { RawTrack } from './RawTrack.js';
import { repairRecording } from './repair.js';
import { TRANSCRIPT_FILES, TranscriptTrack } from './TranscriptTrack.js';
import { pcmDurationMs, WAV_HEADER_BYTES, WavWriter } from './WavWriter.js';

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
  /** Default `auto`. See {@link AudioLayout}. */
  audioLayout?: AudioLayout;
  /** Passed to every {@link WavWriter}. */
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

/** Where a recording drops data: its writers, and `recording` for frames it could not hand to one. */
export type DropSink = 'audio' | 'video' | 'deskshare' | 'transcript' | 'chat' | 'events' | 'recording';

/** A drop count of zero for every sink. */
export function noDrops(): Record<DropSink, number> {
  return { audio: 0, video: 0, deskshare: 0, transcript: 0, chat: 0, events: 0, recording: 0 };
}

/** The event kinds of `events.jsonl` whose line also counts a reconnect. */
const RECONNECTED_EVENT = 'reconnected';

/** Bytes counted for an event or text item held before the folder is ready. */
const TEXT_ITEM_BYTES = 256;

/** Where raw audio of each codec goes, by its file extension. */
const RAW_CODEC_NAMES: Readonly<Partial<Record<number, string>>> = {
  [Codec.G711]: 'g711',
  [Codec.G722]: 'g722',
  [Codec.OPUS]: 'opus',
};

interface TrackInfo {
  userId: number;
  userName: string | undefined;
  channelId: string | undefined;
  sampleRate: number;
  channels: number;
  codec: number;
  /** The first frame's length, for the manifest. */
  frameBytes: number;
}

/** What a held item will be, for the books when it is dropped instead. */
type ItemKind = keyof ItemCounts;

interface Held {
  kind: ItemKind;
  bytes: number;
  work: () => void;
}

/** The JSON lines files every run appends to. */
const APPENDED_FILES = [TRANSCRIPT_FILES.jsonl, 'chat.jsonl', 'events.jsonl'] as const;

type AudioTrack =
  | { type: 'wav'; file: string; info: TrackInfo; writer: WavWriter }
  | { type: 'raw'; file: string; info: TrackInfo; raw: RawTrack; codec: string; index: string }
  | { type: 'failed'; file: string; info: TrackInfo };

type Phase = 'starting' | 'open' | 'failed' | 'finalizing';

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A channel id as a file-name part; ids the sanitizer refuses are hashed. */
function channelPart(channelId: string): string {
  try {
    return sanitizePathPart(channelId, 48);
  } catch {
    return `h${createHash('sha256').update(channelId).digest('hex').slice(0, 16)}`;
  }
}

/**
 * Records one stream into its folder.
 *
 * Files: `audio.wav` (the mixed stream) or `audio-<userId>.wav` per speaker (`audio-ch-<id>.wav` for a
 * Contact Center channel), in the format of the track's first frame; audio in other codecs as received
 * in `audio[-<userId>].<g711|g722|opus>.raw` with an index; `video.h264` or `video/000001.jpg…` (and
 * `deskshare…`); `transcript.jsonl` (+ `.vtt`, `.srt` at the end); `chat.jsonl`; `events.jsonl`;
 * `manifest.json`.
 *
 * Timeline: the origin is the first audio timestamp of the stream. Every WAV file starts at that
 * instant, so per-speaker files line up sample for sample (a speaker who starts later begins with
 * silence), and subtitle cues count from it too. Audio stamped before the origin is cut.
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
  private readonly headerRewriteMs: number | undefined;
  private readonly now: () => number;
  private readonly onError: ((error: Error) => void) | undefined;
  private readonly started: Promise<void>;
  private phase: Phase = 'starting';
  private pending: Held[] = [];
  private pendingBytes = 0;
  /** Per appended JSON lines file, its size before this run wrote to it. */
  private readonly offsets = new Map<string, number>();
  private run = 1;
  private suffix = '';
  private previousRuns: Partial<RecordingManifest>[] = [];
  private inheritedTranscriptOrigin: number | undefined;
  private origin: number | undefined;
  private firstMediaMs: number | undefined;
  private mediaParams: MediaParams | undefined;
  private readonly audioTracks = new Map<string, AudioTrack>();
  private readonly pictureTracks = new Map<PictureKind, PictureTrack>();
  private transcriptTrack: TranscriptTrack | undefined;
  private chatWriter: JsonlWriter | undefined;
  private eventWriter: JsonlWriter | undefined;
  private readonly frames = { audio: 0, video: 0, deskshare: 0, transcript: 0, chat: 0 };
  private eventCount = 0;
  private reconnects = 0;
  private formatMismatch = 0;
  private notedSpeakers = false;
  /** Items this class dropped itself (held past the bound, no folder, a track that could not open). */
  private readonly ownDropped = noItems();
  private ownDroppedBytes = 0;
  private afterEnd = 0;
  private readonly notes: string[] = [];
  private readonly errors: string[] = [];
  private readonly errorKeys = new Set<string>();
  private manifestChain: Promise<void> = Promise.resolve();
  private manifestQueued = false;
  private end: { endedAt: number; reason: string | undefined; stopReason: number | undefined } | undefined;
  private finishing: Promise<RecordingManifest> | undefined;

  constructor(options: RecordingOptions) {
    this.dir = options.dir;
    this.ref = options.ref;
    this.startedAt = options.startedAt;
    this.audioLayout = options.audioLayout ?? 'auto';
    this.headerRewriteMs = options.headerRewriteMs;
    this.now = options.now ?? Date.now;
    this.onError = options.onError;
    this.maxPendingBytes = options.maxQueueBytes ?? DEFAULT_QUEUE_BYTES;
    this.queueOptions = {
      ...(options.maxQueueBytes === undefined ? {} : { maxQueueBytes: options.maxQueueBytes }),
      ...(options.budget === undefined ? {} : { budget: options.budget }),
    };
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

  /** The stream's timeline origin: its first audio timestamp (ms, frames' clock). */
  get timelineOriginMs(): number | undefined {
    return this.origin;
  }

  get counters(): RecordingCounters {
    const counters: RecordingCounters = {
      frames: { ...this.frames },
      events: this.eventCount,
      written: noItems(),
      unwritten: { ...this.ownDropped },
      gapsFilled: 0,
      silenceMs: 0,
      overlapDropped: 0,
      overlapFrames: 0,
      emptyFrames: 0,
      dropped: sumOf(this.ownDropped),
      droppedBytes: this.ownDroppedBytes,
      formatMismatch: this.formatMismatch,
      afterEnd: this.afterEnd,
      lostWhenKilled: 0,
      reconnects: this.reconnects,
    };
    counters.unwritten.audio += this.formatMismatch;
    // Each writer's drops are counted where they happen; here they are only added up, by kind.
    const add = (kind: ItemKind, written: number, c: { dropped: number; droppedBytes: number }) => {
      counters.written[kind] += written;
      counters.unwritten[kind] += c.dropped;
      counters.dropped += c.dropped;
      counters.droppedBytes += c.droppedBytes;
    };
    for (const track of this.audioTracks.values()) {
      if (track.type === 'wav') {
        const c = track.writer.counters;
        counters.gapsFilled += c.gapsFilled;
        counters.silenceMs += c.silenceMs;
        counters.overlapDropped += c.overlapDropped;
        counters.overlapFrames += c.overlapFrames;
        counters.emptyFrames += c.empty;
        counters.unwritten.audio += c.overlapFrames + c.empty;
        add('audio', c.frames, c);
      } else if (track.type === 'raw') {
        const c = track.raw.counters;
        counters.emptyFrames += c.empty;
        counters.unwritten.audio += c.empty;
        add('audio', c.frames, c);
      }
    }
    for (const track of this.pictureTracks.values()) add(track.kind, track.counters.frames, track.counters);
    const text = (
      kind: ItemKind,
      c: { lines: number; dropped: number; droppedBytes: number } | undefined,
    ) => {
      if (c !== undefined) add(kind, c.lines, c);
    };
    text('transcript', this.transcriptTrack?.counters);
    text('chat', this.chatWriter?.counters);
    text('events', this.eventWriter?.counters);
    return counters;
  }

  /** Items dropped so far, by sink; counts only grow (for metrics). */
  drops(): Record<DropSink, number> {
    const out: Record<DropSink, number> = {
      audio: 0,
      video: 0,
      deskshare: 0,
      transcript: this.transcriptTrack?.counters.dropped ?? 0,
      chat: this.chatWriter?.counters.dropped ?? 0,
      events: this.eventWriter?.counters.dropped ?? 0,
      recording: sumOf(this.ownDropped),
    };
    for (const track of this.audioTracks.values()) {
      if (track.type === 'wav') out.audio += track.writer.counters.dropped;
      else if (track.type === 'raw') out.audio += track.raw.counters.dropped;
    }
    for (const track of this.pictureTracks.values()) out[track.kind] += track.counters.dropped;
    return out;
  }

  /** Writes an audio frame to its speaker's track. */
  audio(frame: AudioFrame): void {
    if (this.ended()) return;
    this.frames.audio++;
    if (this.phase === 'open') this.writeAudio(frame);
    else this.hold('audio', frame.data.length, () => this.writeAudio(frame));
  }

  /** Writes a camera video frame. */
  video(frame: VideoFrame): void {
    if (this.ended()) return;
    this.frames.video++;
    if (this.phase === 'open') this.writePicture('video', frame);
    else this.hold('video', frame.data.length, () => this.writePicture('video', frame));
  }

  /** Writes a screen-share frame. */
  deskshare(frame: VideoFrame): void {
    if (this.ended()) return;
    this.frames.deskshare++;
    if (this.phase === 'open') this.writePicture('deskshare', frame);
    else this.hold('deskshare', frame.data.length, () => this.writePicture('deskshare', frame));
  }

  /** Appends a transcript segment to `transcript.jsonl`. */
  transcript(segment: TranscriptSegment): void {
    if (this.ended()) return;
    this.frames.transcript++;
    if (this.phase === 'open') this.writeTranscript(segment);
    else this.hold('transcript', TEXT_ITEM_BYTES, () => this.writeTranscript(segment));
  }

  /** Appends a chat message to `chat.jsonl`. */
  chat(line: ChatLine): void {
    if (this.ended()) return;
    this.frames.chat++;
    if (this.phase === 'open') this.writeChat(line);
    else this.hold('chat', TEXT_ITEM_BYTES, () => this.writeChat(line));
  }

  /**
   * Appends `{ time, kind, data }` to `events.jsonl` (participants, active speaker, sharing, video on/off,
   * state changes, reconnects…). `time` is this process's clock, as an ISO string. A `reconnected` event
   * also counts a reconnect.
   */
  event(kind: string, payload: unknown): void {
    if (this.ended()) return;
    const time = new Date(this.now()).toISOString();
    if (kind === RECONNECTED_EVENT) this.reconnects++;
    this.eventCount++;
    if (this.phase === 'open') this.writeEvent(time, kind, payload);
    else this.hold('events', TEXT_ITEM_BYTES, () => this.writeEvent(time, kind, payload));
  }

  /** The media parameters confirmed by the handshake, for the manifest. */
  setMediaParams(params: MediaParams): void {
    this.mediaParams = params;
    this.scheduleManifest();
  }

  /** The manifest as it stands (no `endedAt` until finalized). */
  manifest(): RecordingManifest {
    return this.buildManifest(this.currentFiles());
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
      let previous = await readManifest(this.dir);
      if (previous.status === 'ok' && typeof previous.manifest.endedAt !== 'string') {
        // A run whose process died (another instance taking the stream over, or no repair at start):
        // repaired first, so that `previousRuns` describes its files, not its last manifest.
        await repairRecording(this.dir, {
          now: this.now,
          onError: (path, error) => this.recordError(`repairing ${path}`, error),
        });
        previous = await readManifest(this.dir);
      }
      if (previous.status !== 'missing') this.continueFrom(previous.status === 'ok' ? previous.manifest : {});
      if (previous.status === 'corrupt') {
        this.notes.push(`an unreadable manifest.json (${messageOf(previous.error)}) was replaced`);
      }
      await this.measureOffsets();
    } catch (error) {
      if (this.phase === 'starting') this.phase = 'failed';
      this.recordError('recording folder', error);
      for (const item of this.pending) this.ownDropped[item.kind]++;
      this.ownDroppedBytes += this.pendingBytes;
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

  /** Sizes of the JSON lines files before this run appends: where its lines begin (for a repair). */
  private async measureOffsets(): Promise<void> {
    await Promise.all(
      APPENDED_FILES.map(async (file) => {
        try {
          this.offsets.set(file, (await stat(join(this.dir, file))).size);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          this.offsets.set(file, 0);
        }
      }),
    );
  }

  /** A stream resumed into a folder that holds a recording already: this is the next run. */
  private continueFrom(previous: Partial<RecordingManifest>): void {
    const run = typeof previous.run === 'number' && previous.run >= 1 ? previous.run : 1;
    this.run = run + 1;
    this.suffix = `.run${this.run}`;
    const { previousRuns, ...rest } = previous;
    this.previousRuns = [...(Array.isArray(previousRuns) ? previousRuns : []), rest];
    const origin = previous.transcriptOriginMs ?? previous.timelineOriginMs;
    if (typeof origin === 'number') this.inheritedTranscriptOrigin = origin;
  }

  /**
   * True, and the item counted in `afterEnd`, once finalize() was called: the stream is over for this
   * recording, and what comes now is still accounted for.
   */
  private ended(): boolean {
    if (this.phase !== 'finalizing') return false;
    this.afterEnd++;
    return true;
  }

  /** Holds work until the folder is ready, within the queue bound; drops (and counts) past it. */
  private hold(kind: ItemKind, bytes: number, work: () => void): void {
    if (this.phase !== 'starting' || this.pendingBytes + bytes > this.maxPendingBytes) {
      this.ownDropped[kind]++;
      this.ownDroppedBytes += bytes;
      return;
    }
    this.pending.push({ kind, bytes, work });
    this.pendingBytes += bytes;
  }

  private writerOptions(file: string): QueueOptions {
    return { ...this.queueOptions, onError: (error) => this.recordError(file, error) };
  }

  private audioKey(frame: AudioFrame): { key: string; base: string } {
    if (frame.channelId !== undefined) {
      const part = channelPart(frame.channelId);
      return { key: `ch:${part}`, base: `audio-ch-${part}` };
    }
    if (frame.userId === 0 && this.audioLayout !== 'per-speaker') return { key: 'mixed', base: 'audio' };
    if (this.audioLayout === 'mixed' && !this.notedSpeakers) {
      this.notedSpeakers = true;
      this.notes.push(
        'audio layout "mixed", but frames came per speaker: written to audio-<userId>.wav on one timeline',
      );
    }
    return { key: `u:${frame.userId}`, base: `audio-${frame.userId}` };
  }

  private writeAudio(frame: AudioFrame): void {
    if (this.origin === undefined && Number.isFinite(frame.timestamp)) this.origin = frame.timestamp;
    this.firstMediaMs ??= frame.timestamp;
    const { key, base } = this.audioKey(frame);
    let track = this.audioTracks.get(key);
    if (track === undefined) {
      track = this.openAudioTrack(base, frame);
      this.audioTracks.set(key, track);
      this.scheduleManifest();
    }
    const { info } = track;
    if (
      info.sampleRate !== frame.sampleRate ||
      info.channels !== frame.channels ||
      info.codec !== frame.codec
    ) {
      this.formatMismatch++;
      return;
    }
    if (info.userName === undefined && frame.userName) info.userName = frame.userName;
    switch (track.type) {
      case 'wav':
        track.writer.write(frame.timestamp, frame.data);
        return;
      case 'raw':
        track.raw.append(frame.data, frame.timestamp);
        return;
      case 'failed':
        this.ownDropped.audio++;
        this.ownDroppedBytes += frame.data.length;
        return;
    }
  }

  private openAudioTrack(base: string, frame: AudioFrame): AudioTrack {
    const info: TrackInfo = {
      userId: frame.userId,
      userName: frame.userName || undefined,
      channelId: frame.channelId,
      sampleRate: frame.sampleRate,
      channels: frame.channels,
      codec: frame.codec,
      frameBytes: frame.data.length,
    };
    if (frame.codec === Codec.L16) {
      const file = `${base}${this.suffix}.wav`;
      try {
        const writer = new WavWriter(join(this.dir, file), {
          ...this.writerOptions(file),
          sampleRate: frame.sampleRate,
          channels: frame.channels,
          ...(this.origin === undefined ? {} : { originMs: this.origin }),
          ...(this.headerRewriteMs === undefined ? {} : { headerRewriteMs: this.headerRewriteMs }),
        });
        return { type: 'wav', file, info, writer };
      } catch (error) {
        this.recordError(file, error);
        return { type: 'failed', file, info };
      }
    }
    const codec = RAW_CODEC_NAMES[frame.codec] ?? `codec${frame.codec}`;
    const file = `${base}${this.suffix}.${codec}.raw`;
    const index = `${base}${this.suffix}.${codec}.jsonl`;
    const raw = new RawTrack(join(this.dir, file), {
      ...this.writerOptions(file),
      indexPath: join(this.dir, index),
    });
    return { type: 'raw', file, info, raw, codec, index };
  }

  private writePicture(kind: PictureKind, frame: VideoFrame): void {
    this.firstMediaMs ??= frame.timestamp;
    let track = this.pictureTracks.get(kind);
    if (track === undefined) {
      const name = `${kind}${this.suffix}`;
      track = new PictureTrack(this.dir, kind, { ...this.writerOptions(name), name });
      this.pictureTracks.set(kind, track);
      this.scheduleManifest();
    }
    track.write(frame);
  }

  private writeTranscript(segment: TranscriptSegment): void {
    this.firstMediaMs ??= segment.startTime ?? segment.timestamp;
    if (this.transcriptTrack === undefined) {
      this.transcriptTrack = new TranscriptTrack(this.dir, this.writerOptions(TRANSCRIPT_FILES.jsonl));
      this.scheduleManifest();
    }
    this.transcriptTrack.write(segment);
  }

  private writeChat(line: ChatLine): void {
    if (this.chatWriter === undefined) {
      this.chatWriter = new JsonlWriter(join(this.dir, 'chat.jsonl'), this.writerOptions('chat.jsonl'));
      this.scheduleManifest();
    }
    this.chatWriter.write({
      text: line.text,
      userId: line.userId,
      userName: line.userName,
      timestamp: line.timestamp,
      structured: line.structured,
    });
  }

  private writeEvent(time: string, kind: string, data: unknown): void {
    if (this.eventWriter === undefined) {
      this.eventWriter = new JsonlWriter(join(this.dir, 'events.jsonl'), this.writerOptions('events.jsonl'));
      this.scheduleManifest();
    }
    this.eventWriter.write({ time, kind, data });
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
    return this.inheritedTranscriptOrigin ?? this.origin ?? this.firstMediaMs ?? this.startedAt;
  }

  private async finish(options: FinalizeOptions): Promise<RecordingManifest> {
    await this.started;
    const endedAt = this.now();
    const settle = (file: string, work: Promise<unknown> | undefined) =>
      work?.then(noop, (error: unknown) => this.recordError(file, error));
    const jobs: (Promise<void> | undefined)[] = [];
    for (const track of this.audioTracks.values()) {
      if (track.type === 'wav') jobs.push(settle(track.file, track.writer.finalize()));
      if (track.type === 'raw') jobs.push(settle(track.file, track.raw.finalize()));
    }
    for (const track of this.pictureTracks.values()) jobs.push(settle(track.name, track.finalize()));
    jobs.push(settle(TRANSCRIPT_FILES.jsonl, this.transcriptTrack?.finalize(this.transcriptOrigin())));
    jobs.push(settle('chat.jsonl', this.chatWriter?.close()));
    jobs.push(settle('events.jsonl', this.eventWriter?.close()));
    await Promise.all(jobs);
    this.end = { endedAt, reason: options.reason, stopReason: options.stopReason };
    const files = await this.measuredFiles();
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

  /** The files as the writers count them. */
  private currentFiles(): ManifestFile[] {
    const files: ManifestFile[] = [];
    for (const track of this.audioTracks.values()) {
      const { info } = track;
      const common = {
        kind: 'audio' as const,
        userId: info.userId,
        ...(info.userName === undefined ? {} : { userName: info.userName }),
        ...(info.channelId === undefined ? {} : { channelId: info.channelId }),
        sampleRate: info.sampleRate,
        channels: info.channels,
      };
      if (track.type === 'wav') {
        const counters = track.writer.counters;
        files.push({
          path: track.file,
          ...common,
          codec: 'L16',
          bytes: WAV_HEADER_BYTES + counters.bytes,
          durationMs: pcmDurationMs(counters.bytes, info.sampleRate, info.channels),
          frameBytes: info.frameBytes,
          counters: { ...counters },
        });
      } else if (track.type === 'raw') {
        const counters = track.raw.counters;
        files.push({
          path: track.file,
          ...common,
          codec: track.codec,
          bytes: counters.bytes,
          frameBytes: info.frameBytes,
          counters: { ...counters },
          note:
            `${track.codec} frames as received, one after another; ${track.index} gives each frame's ` +
            'offset and timestamp. Not encoded to a playable file yet.',
        });
      }
    }
    for (const track of this.pictureTracks.values()) {
      const counters = track.counters;
      for (const file of track.files) {
        files.push({ ...file, kind: track.kind, counters: { ...counters } });
      }
    }
    const text = (path: string, kind: ManifestFile['kind'], counters: { bytes: number } | undefined) => {
      if (counters === undefined) return;
      const offset = this.offsets.get(path) ?? 0;
      files.push({ path, kind, bytes: offset + counters.bytes, offset, counters: { ...counters } });
    };
    text(TRANSCRIPT_FILES.jsonl, 'transcript', this.transcriptTrack?.counters);
    text('chat.jsonl', 'chat', this.chatWriter?.counters);
    text('events.jsonl', 'events', this.eventWriter?.counters);
    return files;
  }

  /** The files with their sizes on disk, once everything is written; plus the rendered subtitles. */
  private async measuredFiles(): Promise<ManifestFile[]> {
    const files = this.currentFiles();
    if (this.transcriptTrack !== undefined) {
      files.push({ path: TRANSCRIPT_FILES.vtt, kind: 'transcript', bytes: 0 });
      files.push({ path: TRANSCRIPT_FILES.srt, kind: 'transcript', bytes: 0 });
    }
    const measured = await Promise.all(
      files.map(async (file) => {
        if (file.path.endsWith('/')) return file;
        try {
          return { ...file, bytes: (await stat(join(this.dir, file.path))).size };
        } catch {
          return file.bytes === 0 ? undefined : file;
        }
      }),
    );
    return measured.filter((file): file is ManifestFile => file !== undefined);
  }

  private buildManifest(files: ManifestFile[]): RecordingManifest {
    const notes = [...this.notes];
    if (files.some((f) => f.kind === 'audio' && f.codec !== 'L16')) {
      notes.push('audio in G.711, G.722 or Opus is stored raw; FFmpeg encoding is not done yet');
    }
    const manifest: RecordingManifest = {
      version: MANIFEST_VERSION,
      streamId: this.ref.streamId,
      product: this.ref.product,
      instanceId: this.ref.instanceId,
      meetingId: this.ref.meetingId ?? null,
      run: this.run,
      startedAt: new Date(this.startedAt).toISOString(),
      audioLayout: this.audioLayout,
      timelineOriginMs: this.origin ?? null,
      transcriptOriginMs: this.transcriptTrack === undefined ? null : this.transcriptOrigin(),
      mediaParams: this.mediaParams ?? null,
      files,
      counters: this.counters,
      notes,
      errors: [...this.errors],
    };
    if (this.end !== undefined) {
      const { endedAt, reason, stopReason } = this.end;
      manifest.endedAt = new Date(endedAt).toISOString();
      manifest.endReason = reason ?? 'finalized';
      manifest.stopReason = stopReason ?? null;
      manifest.stopReasonName = stopReason === undefined ? null : (StopReason[stopReason] ?? null);
    }
    if (this.previousRuns.length > 0) manifest.previousRuns = this.previousRuns;
    return manifest;
  }
}

function noop(): void {}

function sumOf(counts: ItemCounts): number {
  return counts.audio + counts.video + counts.deskshare + counts.transcript + counts.chat + counts.events;
}
