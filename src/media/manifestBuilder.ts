/** Builds a recording's manifest (files, counters added up by kind, notes) from its tracks' state. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StopReason } from '../protocol/enums.js';
import type { MediaParams } from '../protocol/messages.js';
import {
  type AudioLayout,
  type ItemCounts,
  MANIFEST_VERSION,
  type ManifestFile,
  noItems,
  type RecordingCounters,
  type RecordingManifest,
} from './manifest.js';
import type { RecordingRef } from './Recording.js';
import type { RecordingTracks } from './RecordingTracks.js';
import { TRANSCRIPT_FILES } from './TranscriptTrack.js';
import { pcmDurationMs, WAV_HEADER_BYTES } from './WavWriter.js';

/** Where a recording drops data: its writers, and `recording` for frames it could not hand to one. */
export type DropSink = 'audio' | 'video' | 'deskshare' | 'transcript' | 'chat' | 'events' | 'recording';

/** A drop count of zero for every sink. */
export function noDrops(): Record<DropSink, number> {
  return { audio: 0, video: 0, deskshare: 0, transcript: 0, chat: 0, events: 0, recording: 0 };
}

/** What a recording counts itself, besides its writers' counters. */
export interface RecordingTally {
  readonly frames: { audio: number; video: number; deskshare: number; transcript: number; chat: number };
  events: number;
  reconnects: number;
  /** Items the recording dropped itself (held past the bound, no folder, a track that could not open). */
  readonly dropped: ItemCounts;
  droppedBytes: number;
  /** Items given after finalize() was called. */
  afterEnd: number;
}

export function newTally(): RecordingTally {
  return {
    frames: { audio: 0, video: 0, deskshare: 0, transcript: 0, chat: 0 },
    events: 0,
    reconnects: 0,
    dropped: noItems(),
    droppedBytes: 0,
    afterEnd: 0,
  };
}

/** How a recording ended, once finalized. */
export interface RecordingEnd {
  endedAt: number;
  reason: string | undefined;
  stopReason: number | undefined;
}

/** The recording's own fields of its manifest (the rest comes from its tracks). */
export interface ManifestHead {
  ref: RecordingRef;
  run: number;
  writer: string | undefined;
  startedAt: number;
  audioLayout: AudioLayout;
  timelineOriginMs: number | null;
  timelineEndMs: number | null;
  transcriptOriginMs: number | null;
  mediaParams: MediaParams | null;
  notes: readonly string[];
  errors: readonly string[];
  end: RecordingEnd | undefined;
  previousRuns: Partial<RecordingManifest>[];
}

type ItemKind = keyof ItemCounts;

/** The recording's totals: its own tally plus every writer's counters, by kind. */
export function countersOf(tracks: RecordingTracks, tally: RecordingTally): RecordingCounters {
  const formatMismatch = tracks.audio.formatMismatch;
  const counters: RecordingCounters = {
    frames: { ...tally.frames },
    events: tally.events,
    written: noItems(),
    unwritten: { ...tally.dropped },
    gapsFilled: 0,
    silenceMs: 0,
    overlapDropped: 0,
    overlapFrames: 0,
    emptyFrames: 0,
    dropped: sumOf(tally.dropped),
    droppedBytes: tally.droppedBytes,
    formatMismatch,
    afterEnd: tally.afterEnd,
    lostWhenKilled: 0,
    reconnects: tally.reconnects,
  };
  counters.unwritten.audio += formatMismatch;
  // Each writer's drops are counted where they happen; here they are only added up, by kind.
  const add = (kind: ItemKind, written: number, c: { dropped: number; droppedBytes: number }) => {
    counters.written[kind] += written;
    counters.unwritten[kind] += c.dropped;
    counters.dropped += c.dropped;
    counters.droppedBytes += c.droppedBytes;
  };
  for (const track of tracks.audio.values()) {
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
  for (const track of tracks.pictures.values()) add(track.kind, track.counters.frames, track.counters);
  const text = (kind: ItemKind, c: { lines: number; dropped: number; droppedBytes: number } | undefined) => {
    if (c !== undefined) add(kind, c.lines, c);
  };
  text('transcript', tracks.transcript?.counters);
  text('chat', tracks.chat?.counters);
  text('events', tracks.events?.counters);
  return counters;
}

/** Items dropped so far, by sink. */
export function dropsOf(tracks: RecordingTracks, tally: RecordingTally): Record<DropSink, number> {
  const out: Record<DropSink, number> = {
    audio: 0,
    video: 0,
    deskshare: 0,
    transcript: tracks.transcript?.counters.dropped ?? 0,
    chat: tracks.chat?.counters.dropped ?? 0,
    events: tracks.events?.counters.dropped ?? 0,
    recording: sumOf(tally.dropped),
  };
  for (const track of tracks.audio.values()) {
    if (track.type === 'wav') out.audio += track.writer.counters.dropped;
    else if (track.type === 'raw') out.audio += track.raw.counters.dropped;
  }
  for (const track of tracks.pictures.values()) out[track.kind] += track.counters.dropped;
  return out;
}

/**
 * The files as the writers count them. `offsets` gives, per appended JSON lines file, its size before
 * this run wrote to it.
 */
export function currentFiles(tracks: RecordingTracks, offsets: ReadonlyMap<string, number>): ManifestFile[] {
  const files: ManifestFile[] = [];
  for (const track of tracks.audio.values()) {
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
        ...(track.decodedFrom === undefined ? {} : { decodedFrom: track.decodedFrom }),
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
          'offset and timestamp. An Encoder (as `rtmskit serve` runs) decodes them to a WAV once the stream ends.',
      });
    }
  }
  for (const track of tracks.pictures.values()) {
    const counters = track.counters;
    for (const file of track.files) {
      files.push({ ...file, kind: track.kind, counters: { ...counters } });
    }
  }
  const text = (path: string, kind: ManifestFile['kind'], counters: { bytes: number } | undefined) => {
    if (counters === undefined) return;
    const offset = offsets.get(path) ?? 0;
    files.push({ path, kind, bytes: offset + counters.bytes, offset, counters: { ...counters } });
  };
  text(TRANSCRIPT_FILES.jsonl, 'transcript', tracks.transcript?.counters);
  text('chat.jsonl', 'chat', tracks.chat?.counters);
  text('events.jsonl', 'events', tracks.events?.counters);
  return files;
}

/** The files with their sizes on disk, once everything is written; plus the rendered subtitles. */
export async function measuredFiles(
  dir: string,
  tracks: RecordingTracks,
  offsets: ReadonlyMap<string, number>,
): Promise<ManifestFile[]> {
  const files = currentFiles(tracks, offsets);
  if (tracks.transcript !== undefined) {
    files.push({ path: TRANSCRIPT_FILES.vtt, kind: 'transcript', bytes: 0 });
    files.push({ path: TRANSCRIPT_FILES.srt, kind: 'transcript', bytes: 0 });
  }
  const measured = await Promise.all(
    files.map(async (file) => {
      if (file.path.endsWith('/')) return file;
      try {
        return { ...file, bytes: (await stat(join(dir, file.path))).size };
      } catch {
        return file.bytes === 0 ? undefined : file;
      }
    }),
  );
  return measured.filter((file): file is ManifestFile => file !== undefined);
}

/** The manifest of `files`, with `counters` and the recording's own fields. */
export function buildManifest(
  head: ManifestHead,
  files: ManifestFile[],
  counters: RecordingCounters,
): RecordingManifest {
  const notes = [...head.notes];
  if (files.some((f) => f.kind === 'audio' && f.codec !== 'L16')) {
    notes.push(
      'audio in G.722 or Opus is stored as received (with an index); once the stream ends, an Encoder decodes it to a WAV (see encoding)',
    );
  }
  const manifest: RecordingManifest = {
    version: MANIFEST_VERSION,
    streamId: head.ref.streamId,
    product: head.ref.product,
    instanceId: head.ref.instanceId,
    meetingId: head.ref.meetingId ?? null,
    run: head.run,
    writer: head.writer ?? null,
    startedAt: new Date(head.startedAt).toISOString(),
    audioLayout: head.audioLayout,
    timelineOriginMs: head.timelineOriginMs,
    ...(head.timelineEndMs === null ? {} : { timelineEndMs: head.timelineEndMs }),
    transcriptOriginMs: head.transcriptOriginMs,
    mediaParams: head.mediaParams,
    files,
    counters,
    notes,
    errors: [...head.errors],
  };
  if (head.end !== undefined) {
    const { endedAt, reason, stopReason } = head.end;
    manifest.endedAt = new Date(endedAt).toISOString();
    manifest.endReason = reason ?? 'finalized';
    manifest.stopReason = stopReason ?? null;
    manifest.stopReasonName = stopReason === undefined ? null : (StopReason[stopReason] ?? null);
  }
  if (head.previousRuns.length > 0) manifest.previousRuns = head.previousRuns;
  return manifest;
}

function sumOf(counts: ItemCounts): number {
  return counts.audio + counts.video + counts.deskshare + counts.transcript + counts.chat + counts.events;
}
