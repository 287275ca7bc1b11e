/**
 * `manifest.json`: what a recording holds. Written when the recording starts (without `endedAt`),
 * rewritten when files appear, and written whole when it ends.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MediaParams } from '../protocol/messages.js';

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
  /** Audio codec: `L16`, `g711`, `g722`, `opus`. */
  codec?: string;
  sampleRate?: number;
  channels?: number;
  /** The writer's counters. */
  counters?: Readonly<Record<string, number>>;
  note?: string;
}

/** Totals of one recording. */
export interface RecordingCounters {
  /** Frames received, by kind (including ones later dropped). */
  frames: { audio: number; video: number; deskshare: number; transcript: number; chat: number };
  /** Lines given to `events.jsonl`. */
  events: number;
  gapsFilled: number;
  silenceMs: number;
  /** Audio bytes dropped because they overlapped audio already written. */
  overlapDropped: number;
  /** Items dropped: queues over their bound, I/O errors, frames before the folder was ready. */
  dropped: number;
  droppedBytes: number;
  /** Audio frames whose format differed from their track's first frame (dropped). */
  formatMismatch: number;
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
  startedAt: string;
  /** Absent while recording: a manifest without it belongs to an unfinished recording. */
  endedAt?: string;
  /** Why the recording ended: the stream's close reason (`stopped`, `lost`…) or `recorder-closed`. */
  endReason?: string;
  /** Zoom's stop reason (RTMS_STOP_REASON), when it sent one. */
  stopReason?: number | null;
  stopReasonName?: string | null;
  audioLayout: AudioLayout;
  /** The frames' clock time (ms) of byte 0 of every WAV file: the first audio timestamp. */
  timelineOriginMs: number | null;
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
