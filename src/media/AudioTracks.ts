/**
 * A recording's audio tracks: one file per speaker, channel or mixed stream. L16 and G.711 (decoded) are
 * written as 16-bit PCM WAV; G.722 and Opus as the frames came, with an index.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { AudioFrame } from '../client/events.js';
import { Codec } from '../protocol/enums.js';
import { decodeAlaw } from '../protocol/g711.js';
import type { AudioLayout } from './manifest.js';
import { sanitizePathPart } from './paths.js';
import type { QueueOptions } from './queue.js';
import { RawTrack } from './RawTrack.js';
import { WavWriter } from './WavWriter.js';

/** Where raw audio of each codec goes, by its file extension. */
const RAW_CODEC_NAMES: Readonly<Partial<Record<number, string>>> = {
  [Codec.G722]: 'g722',
  [Codec.OPUS]: 'opus',
};

/** A stream end further than this from the timeline's origin is taken to be on another clock. */
const MAX_TIMELINE_MS = 24 * 60 * 60 * 1000;

/** A track's speaker and format, from its first frame. */
export interface TrackInfo {
  userId: number;
  userName: string | undefined;
  channelId: string | undefined;
  sampleRate: number;
  channels: number;
  codec: number;
  /** The first frame's length, for the manifest. */
  frameBytes: number;
}

/** Codecs written as L16 WAV, each with its decoder (none for L16 itself). */
const TO_L16: Readonly<Partial<Record<number, { name: string; decode?: (data: Buffer) => Buffer }>>> = {
  [Codec.L16]: { name: 'L16' },
  [Codec.G711]: { name: 'G.711 A-law', decode: decodeAlaw },
};

export type AudioTrack =
  | {
      type: 'wav';
      file: string;
      info: TrackInfo;
      writer: WavWriter;
      /** The codec the frames came in, when it is not L16: decoded before they are written. */
      decodedFrom?: string;
      decode?: (data: Buffer) => Buffer;
    }
  | { type: 'raw'; file: string; info: TrackInfo; raw: RawTrack; codec: string; index: string }
  /** Its file could not be opened: its frames are dropped and counted by the recording. */
  | { type: 'failed'; file: string; info: TrackInfo };

/** What a recording's tracks need from it. */
export interface TrackHost {
  /** The recording's folder. */
  readonly dir: string;
  readonly audioLayout: AudioLayout;
  /** Passed to every {@link WavWriter}. */
  readonly headerRewriteMs: number | undefined;
  /** This run's suffix of binary file names (`.run2`…, '' for run 1), read when a track opens. */
  suffix(): string;
  writerOptions(file: string): QueueOptions;
  recordError(what: string, error: unknown): void;
  /** A frame of a track that could not open, dropped: the recording counts it as its own drop. */
  dropped(bytes: number): void;
  /** A line for the manifest's `notes`. */
  note(text: string): void;
  /** A track or writer was opened: the manifest has a new file. */
  opened(): void;
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
 * The audio tracks of one recording, by speaker or channel. Every WAV file starts at the stream's
 * timeline origin (its start, see {@link AudioTracks.originMs}), so per-speaker files line up sample for
 * sample.
 */
export class AudioTracks {
  private readonly host: TrackHost;
  private readonly tracks = new Map<string, AudioTrack>();
  private origin: number | undefined;
  /** When the stream started (Zoom's first-packet timestamp), if it said so before any audio. */
  private streamStart: number | undefined;
  /** When the stream ended, if Zoom said so. */
  private streamEnd: number | undefined;
  private timelineEnd: number | undefined;
  private mismatched = 0;
  private notedSpeakers = false;

  constructor(host: TrackHost) {
    this.host = host;
  }

  /**
   * The stream's timeline origin (ms, frames' clock): when it started, as Zoom's first-packet timestamp
   * says, or its first audio timestamp if that is earlier (buffered audio) or Zoom said nothing.
   */
  get originMs(): number | undefined {
    return this.origin;
  }

  /**
   * The stream's start on the frames' clock (Zoom's FIRST_PACKET_TIMESTAMP): the WAV files start there,
   * so a speaker who is silent at first, or audio that comes a moment after signaling, leaves leading
   * silence and the file's length is the stream's. Only the first one before any audio counts.
   */
  noteStreamStart(timestamp: number): void {
    if (this.origin === undefined && this.streamStart === undefined && Number.isFinite(timestamp))
      this.streamStart = timestamp;
  }

  /**
   * When Zoom says the stream ended (the terminating STREAM_STATE_UPDATE's timestamp): every WAV is padded
   * with silence to it, so a meeting that ends in a pause still gives files as long as the meeting. An
   * end before the origin or more than a day after it is on another clock and is ignored.
   */
  noteStreamEnd(timestamp: number): void {
    if (Number.isFinite(timestamp)) this.streamEnd = timestamp;
  }

  /** Frames in another format than their track's first frame: not written. */
  get formatMismatch(): number {
    return this.mismatched;
  }

  /** Every track, in the order they were opened. */
  values(): IterableIterator<AudioTrack> {
    return this.tracks.values();
  }

  /** Writes a frame to its track, opening the track on its first frame. */
  write(frame: AudioFrame): void {
    if (this.origin === undefined && Number.isFinite(frame.timestamp))
      this.origin = Math.min(frame.timestamp, this.streamStart ?? frame.timestamp);
    const { key, base } = this.keyOf(frame);
    let track = this.tracks.get(key);
    if (track === undefined) {
      track = this.open(base, frame);
      this.tracks.set(key, track);
      this.host.opened();
    }
    const { info } = track;
    if (
      info.sampleRate !== frame.sampleRate ||
      info.channels !== frame.channels ||
      info.codec !== frame.codec
    ) {
      this.mismatched++;
      return;
    }
    if (info.userName === undefined && frame.userName) info.userName = frame.userName;
    switch (track.type) {
      case 'wav':
        track.writer.write(frame.timestamp, track.decode ? track.decode(frame.data) : frame.data);
        return;
      case 'raw':
        track.raw.append(frame.data, frame.timestamp);
        return;
      case 'failed':
        this.host.dropped(frame.data.length);
        return;
    }
  }

  /** Once finalizing: where every WAV file ends (ms, frames' clock). */
  get timelineEndMs(): number | undefined {
    return this.timelineEnd;
  }

  /** Where the audio written so far ends, the latest of its WAV tracks (ms, frames' clock). */
  get endMs(): number | undefined {
    let end: number | undefined;
    for (const track of this.tracks.values()) {
      const at = track.type === 'wav' ? track.writer.endMs : undefined;
      if (at !== undefined && (end === undefined || at > end)) end = at;
    }
    return end;
  }

  /**
   * Starts closing every track; one entry per file being written, with its name. Every WAV is first
   * padded with silence to the latest of `endMs` (the stream's last picture), the end of the audio and
   * the end Zoom announced, so all of them are as long as the stream.
   */
  finalize(endMs?: number): { file: string; done: Promise<unknown> }[] {
    const closing: { file: string; done: Promise<unknown> }[] = [];
    const origin = this.origin;
    const announced =
      origin !== undefined &&
      this.streamEnd !== undefined &&
      this.streamEnd >= origin &&
      this.streamEnd - origin <= MAX_TIMELINE_MS
        ? this.streamEnd
        : Number.NEGATIVE_INFINITY;
    const end = Math.max(
      endMs ?? Number.NEGATIVE_INFINITY,
      this.endMs ?? Number.NEGATIVE_INFINITY,
      announced,
    );
    if (Number.isFinite(end) && origin !== undefined) this.timelineEnd = end;
    for (const track of this.tracks.values()) {
      if (track.type === 'wav') {
        track.writer.padTo(end);
        closing.push({ file: track.file, done: track.writer.finalize() });
      }
      if (track.type === 'raw') closing.push({ file: track.file, done: track.raw.finalize() });
    }
    return closing;
  }

  private keyOf(frame: AudioFrame): { key: string; base: string } {
    if (frame.channelId !== undefined) {
      const part = channelPart(frame.channelId);
      return { key: `ch:${part}`, base: `audio-ch-${part}` };
    }
    const layout = this.host.audioLayout;
    if (frame.userId === 0 && layout !== 'per-speaker') return { key: 'mixed', base: 'audio' };
    if (layout === 'mixed' && !this.notedSpeakers) {
      this.notedSpeakers = true;
      this.host.note(
        'audio layout "mixed", but frames came per speaker: written to audio-<userId>.wav on one timeline',
      );
    }
    return { key: `u:${frame.userId}`, base: `audio-${frame.userId}` };
  }

  private open(base: string, frame: AudioFrame): AudioTrack {
    const { dir, headerRewriteMs } = this.host;
    const suffix = this.host.suffix();
    const info: TrackInfo = {
      userId: frame.userId,
      userName: frame.userName || undefined,
      channelId: frame.channelId,
      sampleRate: frame.sampleRate,
      channels: frame.channels,
      codec: frame.codec,
      frameBytes: frame.data.length,
    };
    const pcm = TO_L16[frame.codec];
    if (pcm !== undefined) {
      const file = `${base}${suffix}.wav`;
      try {
        const writer = new WavWriter(join(dir, file), {
          ...this.host.writerOptions(file),
          sampleRate: frame.sampleRate,
          channels: frame.channels,
          ...(this.origin === undefined ? {} : { originMs: this.origin }),
          ...(headerRewriteMs === undefined ? {} : { headerRewriteMs }),
        });
        return pcm.decode === undefined
          ? { type: 'wav', file, info, writer }
          : { type: 'wav', file, info, writer, decodedFrom: pcm.name, decode: pcm.decode };
      } catch (error) {
        this.host.recordError(file, error);
        return { type: 'failed', file, info };
      }
    }
    const codec = RAW_CODEC_NAMES[frame.codec] ?? `codec${frame.codec}`;
    const file = `${base}${suffix}.${codec}.raw`;
    const index = `${base}${suffix}.${codec}.jsonl`;
    const raw = new RawTrack(join(dir, file), {
      ...this.host.writerOptions(file),
      indexPath: join(dir, index),
    });
    return { type: 'raw', file, info, raw, codec, index };
  }
}
