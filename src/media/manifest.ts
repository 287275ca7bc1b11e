/**
 * `manifest.json`: what a recording holds. Written when the recording starts (without `endedAt`),
 * rewritten when files appear, and written whole when it ends.
 */

import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MediaParams } from '../protocol/messages.js';
import type { EncodingState } from './encode/index.js';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_VERSION = 1;

/**
 * How audio frames are split into files. The mixed stream (user 0) always goes to `audio.wav`; frames of
 * one speaker cannot share a timeline with another speaker's without mixing, so they always get
 * `audio-<userId>.wav`, whatever the layout.
 */
export type AudioLayout =
  /** Expect the mixed stream; per-speaker frames are still written per speaker, with a manifest note. */
  | 'mixed'
  /** Expect one stream per speaker; also user 0 goes to `audio-0.wav`. */
  | 'per-speaker'
  /** One stream per speaker, written per speaker, and mixed into `audio.wav` once the stream ends. */
  | 'both'
  /** Per speaker as soon as a frame has a user id other than 0. */
  | 'auto';

export type ManifestFileKind = 'audio' | 'video' | 'deskshare' | 'transcript' | 'chat' | 'events';

/** A file (or a folder of frames, path ending in `/`) of a recording, relative to its folder. */
export interface ManifestFile {
  path: string;
  kind: ManifestFileKind;
  bytes: number;
  /** Pictures in a frame folder. */
  files?: number;
  userId?: number;
  userName?: string;
  channelId?: string;
  /** Audio codec of the file: `L16` (every WAV), `g722`, `opus` (stored as received). */
  codec?: string;
  /** A WAV decoded from the codec Zoom sent (`G.711 A-law`, `G.722`, `Opus`). */
  decodedFrom?: string;
  /** A WAV mixed from these per-speaker WAVs once the stream ended (layout `both`). */
  mixedFrom?: string[];
  sampleRate?: number;
  channels?: number;
  /** Audio: the length of the data in ms (`bytes` of the data chunk over the byte rate, for WAV). */
  durationMs?: number;
  /** Audio: the track's first frame, bytes (what `repairRecordings` counts frames in). */
  frameBytes?: number;
  /**
   * A file several runs append to (`transcript.jsonl`, `chat.jsonl`, `events.jsonl`): its size when this
   * run began. This run's lines are the bytes after it.
   */
  offset?: number;
  /** The writer's counters. */
  counters?: Readonly<Record<string, number>>;
  note?: string;
}

/** Counts by what a recording keeps: each media kind, and the lines of `events.jsonl`. */
export interface ItemCounts {
  audio: number;
  video: number;
  deskshare: number;
  transcript: number;
  chat: number;
  events: number;
}

/** All zero. */
export function noItems(): ItemCounts {
  return { audio: 0, video: 0, deskshare: 0, transcript: 0, chat: 0, events: 0 };
}

/**
 * Totals of one recording. The books balance for every kind: `frames[kind]` (`events` for the event
 * lines) equals `written[kind] + unwritten[kind]`, and the `unwritten` of all kinds add up to
 * `dropped + formatMismatch + overlapFrames + emptyFrames + lostWhenKilled`: every item given to the
 * recording is in a file or in a drop counter.
 *
 * A run repaired after its process was killed (`endReason` `unfinished`) has counters recounted from
 * its files (see `recountRun` in unfinishedRun.ts for which are exact and the rule for WAV frames); its
 * drops are the ones its last manifest counted.
 */
export interface RecordingCounters {
  /** Frames given to the recording while it recorded, by kind (including ones later dropped). */
  frames: { audio: number; video: number; deskshare: number; transcript: number; chat: number };
  /** Lines given to `events.jsonl`. */
  events: number;
  /**
   * Items in a file, by kind. An audio frame cut short by an overlap counts here; a batch lost to an
   * I/O error does not (it counts in `dropped`, even if part of it reached the disk).
   */
  written: ItemCounts;
  /** Items given and not written, by kind, whatever the cause (the counters below). */
  unwritten: ItemCounts;
  gapsFilled: number;
  silenceMs: number;
  /** Audio bytes dropped because they overlapped audio already written. */
  overlapDropped: number;
  /** Audio frames dropped whole because all of their audio overlapped audio already written. */
  overlapFrames: number;
  /** Audio frames with no audio in them (shorter than one sample frame, or no bytes). */
  emptyFrames: number;
  /**
   * Items dropped: queues over their bound or the memory budget, I/O errors, items held past the bound
   * before the folder was ready (or when it could not be made), pictures of an unknown codec, values JSON
   * cannot hold.
   */
  dropped: number;
  droppedBytes: number;
  /** Audio frames whose format differed from their track's first frame (dropped). */
  formatMismatch: number;
  /**
   * Items given after the recording began to finalize: not written, and not in `frames` or `events`
   * (the stream had ended for the recording).
   */
  afterEnd: number;
  /**
   * Set by a repair: items the run's last manifest counted as given that are not in its files (they
   * were in memory when the process died). Items given after that manifest and lost with the process
   * are not known to anyone.
   */
  lostWhenKilled: number;
  /** `reconnected` events. */
  reconnects: number;
}

/** The content of `manifest.json`. */
export interface RecordingManifest {
  version: typeof MANIFEST_VERSION;
  streamId: string;
  product: string;
  instanceId: string;
  meetingId: string | null;
  /** 1, or more when a stream was resumed into a folder that already held a recording. */
  run: number;
  /** The rtmskit instance that wrote this run (its `RTMSKIT_INSTANCE_ID`), when it has one. */
  writer: string | null;
  startedAt: string;
  /** Absent while recording: a manifest without it belongs to an unfinished recording. */
  endedAt?: string;
  /** Why the recording ended: the stream's close reason (`stopped`, `lost`…) or `recorder-closed`. */
  endReason?: string;
  /** Zoom's stop reason (RTMS_STOP_REASON), when it sent one. */
  stopReason?: number | null;
  stopReasonName?: string | null;
  audioLayout: AudioLayout;
  /**
   * The frames' clock time (ms) of byte 0 of every WAV file: the stream's start (Zoom's first-packet
   * timestamp), or its first audio timestamp when that is earlier or Zoom sent none.
   */
  timelineOriginMs: number | null;
  /**
   * Set when the recording ends: where every WAV file ends, on the same clock (the latest of the audio, the
   * last picture and the end Zoom announced). Audio decoded after the stream is padded to it too.
   */
  timelineEndMs?: number;
  /** The time cue times of the subtitles count from (the first run's origin). */
  transcriptOriginMs: number | null;
  mediaParams: MediaParams | null;
  files: ManifestFile[];
  counters: RecordingCounters;
  notes: string[];
  errors: string[];
  /** Manifests of earlier runs in this folder (without their own `previousRuns`). */
  previousRuns?: Partial<RecordingManifest>[];
  /** Set by `repairRecordings` on a recording a killed process left unfinished. */
  repairedAt?: string;
  /** Encoded copies of the WAV files (`RTMSKIT_ENCODE`), when asked for. */
  encoding?: EncodingState;
}

/** A manifest read from disk: missing, unreadable, or parsed (fields unchecked). */
export type ManifestRead =
  | { status: 'missing' }
  | { status: 'corrupt'; error: unknown }
  | { status: 'ok'; manifest: Partial<RecordingManifest> };

/** Reads `manifest.json` of a recording folder. */
export async function readManifest(dir: string): Promise<ManifestRead> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    return { status: 'corrupt', error };
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { status: 'corrupt', error: new Error('manifest.json is not an object') };
    }
    return { status: 'ok', manifest: parsed as Partial<RecordingManifest> };
  } catch (error) {
    return { status: 'corrupt', error };
  }
}

/** Writes `manifest.json` beside and renames it, so a crash leaves the old manifest or the new one. */
export async function writeManifest(dir: string, manifest: Partial<RecordingManifest>): Promise<void> {
  const path = join(dir, MANIFEST_FILE);
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  await rename(tmp, path);
}
