/**
 * The files and counters of a run a killed process left unfinished, recounted from what is on disk. Its
 * manifest was last written when a file appeared, so its counters (and even its file list) are older
 * than the files; a resumed run keeps it under `previousRuns`, where it must describe the files.
 */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PROTOCOL_DEFAULT_PARAMS } from '../protocol/defaults.js';
import {
  type ItemCounts,
  MANIFEST_FILE,
  type ManifestFile,
  type ManifestFileKind,
  noItems,
  type RecordingCounters,
  type RecordingManifest,
} from './manifest.js';
import { countPictures, endTail, indexedFrames, readJsonLines, scanWav, sizeOf } from './recount.js';
import { TRANSCRIPT_FILES } from './TranscriptTrack.js';
import { pcmDurationMs, readWavLayout } from './WavWriter.js';

/** JSON lines files every run appends to, and what their lines are. */
const APPENDED: Readonly<Record<string, 'transcript' | 'chat' | 'events'>> = {
  [TRANSCRIPT_FILES.jsonl]: 'transcript',
  'chat.jsonl': 'chat',
  'events.jsonl': 'events',
};

/** `audio-<userId>[.runN].wav`: the speaker of a per-speaker file. */
const SPEAKER_FILE = /^audio-(\d+)(?:\.run\d+)?\.(?:wav|[a-z0-9]+\.raw)$/;

type PictureKind = 'video' | 'deskshare';

/** The kind of a binary file or frame folder of a recording, from its name. */
function binaryKind(name: string): ManifestFileKind | undefined {
  if (name.startsWith('audio') && (name.endsWith('.wav') || name.endsWith('.raw'))) return 'audio';
  for (const kind of ['video', 'deskshare'] as const) {
    if (name.startsWith(kind) && (name.endsWith('.h264') || name.endsWith('/'))) return kind;
  }
  return undefined;
}

/** An `events.jsonl` line of a `reconnected` event (which also counts a reconnect). */
function isReconnected(line: string): boolean {
  try {
    return (JSON.parse(line) as { kind?: unknown }).kind === 'reconnected';
  } catch {
    return false;
  }
}

function numbers(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [key, n] of Object.entries(value)) if (typeof n === 'number') out[key] = n;
  return out;
}

function itemsOf(value: unknown): ItemCounts {
  return { ...noItems(), ...numbers(value) };
}

/** Bytes of one frame at the stream's send rate, when the manifest does not say. */
function defaultFrameBytes(
  manifest: Partial<RecordingManifest>,
  sampleRate: number,
  blockAlign: number,
): number {
  const ms = manifest.mediaParams?.audio?.send_rate ?? PROTOCOL_DEFAULT_PARAMS.audio.send_rate ?? 20;
  return Math.round((sampleRate * ms) / 1000) * blockAlign;
}

/** Where this run's part of an appended file begins: as recorded, else where the last earlier run ended. */
function offsetOf(
  path: string,
  listed: ManifestFile | undefined,
  manifest: Partial<RecordingManifest>,
): number {
  if (typeof listed?.offset === 'number') return listed.offset;
  for (const run of [...(manifest.previousRuns ?? [])].reverse()) {
    const file = run.files?.find((f) => f?.path === path);
    if (typeof file?.bytes === 'number') return file.bytes;
  }
  return 0;
}

export interface RecountedRun {
  files: ManifestFile[];
  counters: RecordingCounters;
}

/** What one picture stream's files hold (a PictureTrack's counters are on each of its files). */
interface PictureTotals {
  pictures: number;
  h264: number;
  bytes: number;
}

/**
 * Recounts an unfinished run: its files (those it lists, and those of its run that appeared after its
 * manifest was written), each with its size and counters from the file, and the run's counters from them.
 * Ends an unfinished last line of the appended JSON lines files (see {@link endTail}).
 *
 * What comes from the files: every size; WAV `bytes`, `durationMs`, `frames`, `gapsFilled` and
 * `silenceMs` (see {@link scanWav} for how frames and gaps are told apart); raw audio and H.264 frames
 * from their index lines whose bytes are in the file; pictures from the frame folder; text and event lines
 * (and `reconnected` events) from this run's part of each JSON lines file; `written` from all of these.
 * What cannot come from the files stays as the manifest had it: drops, overlaps, format mismatches. Items
 * given are at least what the manifest counted and at least what the files hold plus the drops counted;
 * those the manifest counted as given that are in neither are `lostWhenKilled` (they were in memory).
 * A file that cannot be read is reported and kept as the manifest listed it.
 */
export async function recountRun(
  dir: string,
  manifest: Partial<RecordingManifest>,
  onError?: (path: string, error: unknown) => void,
): Promise<RecountedRun> {
  const recount = new RunRecount(dir, manifest);
  for (const path of await recount.paths()) {
    try {
      await recount.file(path);
    } catch (error) {
      onError?.(join(dir, path), error);
      recount.keep(path);
    }
  }
  return recount.result();
}

class RunRecount {
  private readonly listed: Map<string, ManifestFile>;
  private readonly files: ManifestFile[] = [];
  private readonly written = noItems();
  private readonly pictures = new Map<PictureKind, PictureTotals>();
  private readonly found = { reconnects: 0, gapsFilled: 0, silenceMs: 0 };

  constructor(
    private readonly dir: string,
    private readonly manifest: Partial<RecordingManifest>,
  ) {
    const files = Array.isArray(manifest.files) ? manifest.files : [];
    this.listed = new Map(files.filter((f) => typeof f?.path === 'string').map((f) => [f.path, f]));
  }

  /** What the manifest lists, then what of this run is on disk besides (earlier runs' files are not). */
  async paths(): Promise<string[]> {
    const earlier = new Set(
      (this.manifest.previousRuns ?? []).flatMap((run) => (run.files ?? []).map((f) => f?.path)),
    );
    let entries: Dirent[] = [];
    try {
      entries = await readdir(this.dir, { withFileTypes: true });
    } catch {
      // No folder: only what the manifest lists.
    }
    const paths = [...this.listed.keys()];
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = entry.isDirectory() ? `${entry.name}/` : entry.name;
      if (this.listed.has(path) || entry.name === MANIFEST_FILE) continue;
      if (path in APPENDED || (!earlier.has(path) && binaryKind(path) !== undefined)) paths.push(path);
    }
    return paths;
  }

  async file(path: string): Promise<void> {
    const text = APPENDED[path];
    if (text !== undefined) return this.text(path, text);
    const kind = this.listed.get(path)?.kind ?? binaryKind(path);
    const size = path.endsWith('/') ? undefined : await sizeOf(join(this.dir, path));
    if (kind === 'audio' && path.endsWith('.wav') && size !== undefined) return this.wav(path, size);
    if (kind === 'audio' && path.endsWith('.raw') && size !== undefined) return this.raw(path, size);
    if (kind === 'video' || kind === 'deskshare') {
      if (path.endsWith('/')) return this.pictureFolder(path, kind);
      if (size !== undefined) return this.h264(path, kind, size);
    }
    // Listed but gone, or of a kind not recounted: kept as the manifest had it.
    this.keep(path, size);
  }

  /** Keeps a listed file as the manifest had it (with its size, when known). */
  keep(path: string, size?: number): void {
    const file = this.listed.get(path);
    if (file !== undefined) this.files.push(size === undefined ? file : { ...file, bytes: size });
  }

  private counters(path: string): Record<string, number> {
    return numbers(this.listed.get(path)?.counters);
  }

  private async text(path: string, kind: 'transcript' | 'chat' | 'events'): Promise<void> {
    const full = join(this.dir, path);
    const file = this.listed.get(path);
    const offset = offsetOf(path, file, this.manifest);
    let reconnects = 0;
    let lines = await readJsonLines(full, offset, (line) => {
      if (kind === 'events' && isReconnected(line)) reconnects++;
    });
    if (lines.tail !== undefined) {
      await endTail(full, lines.tail);
      lines = await readJsonLines(full, offset);
    }
    const size = (await sizeOf(full)) ?? 0;
    if (file === undefined && size <= offset) return;
    this.found.reconnects += reconnects;
    this.written[kind] += lines.lines;
    this.files.push({
      ...file,
      path,
      kind,
      bytes: size,
      offset,
      counters: { ...this.counters(path), lines: lines.lines, bytes: lines.bytes },
    });
  }

  private async wav(path: string, size: number): Promise<void> {
    const full = join(this.dir, path);
    const file = this.listed.get(path);
    const layout = await readWavLayout(full);
    const frameBytes =
      file?.frameBytes ?? defaultFrameBytes(this.manifest, layout.sampleRate, layout.blockAlign);
    const scan = await scanWav(full, layout, frameBytes);
    this.written.audio += scan.frames;
    this.found.gapsFilled += scan.gapsFilled;
    this.found.silenceMs += scan.silenceMs;
    const speaker = SPEAKER_FILE.exec(path)?.[1];
    const found: ManifestFile = {
      path,
      kind: 'audio',
      bytes: size,
      codec: 'L16',
      ...(path.startsWith('audio-ch-') ? {} : { userId: Number(speaker ?? 0) }),
    };
    const { bytes, frames, gapsFilled, silenceMs } = scan;
    this.files.push({
      ...(file ?? found),
      sampleRate: layout.sampleRate,
      channels: layout.channels,
      bytes: size,
      durationMs: pcmDurationMs(bytes, layout.sampleRate, layout.channels),
      frameBytes,
      counters: { ...this.counters(path), bytes, frames, gapsFilled, silenceMs },
    });
  }

  private async raw(path: string, size: number): Promise<void> {
    const frames = await indexedFrames(join(this.dir, path.replace(/\.raw$/, '.jsonl')), size);
    this.written.audio += frames;
    this.files.push({
      ...(this.listed.get(path) ?? { path, kind: 'audio' }),
      bytes: size,
      counters: { ...this.counters(path), frames, bytes: size },
    });
  }

  private totals(kind: PictureKind): PictureTotals {
    const totals = this.pictures.get(kind) ?? { pictures: 0, h264: 0, bytes: 0 };
    this.pictures.set(kind, totals);
    return totals;
  }

  private async pictureFolder(path: string, kind: PictureKind): Promise<void> {
    const found = await countPictures(join(this.dir, path));
    const file = this.listed.get(path);
    // A folder holding only an H.264 index has no pictures: listed only when it does, as live.
    if (file === undefined && found.files === 0) return;
    const totals = this.totals(kind);
    totals.pictures += found.files;
    totals.bytes += found.bytes;
    this.files.push({ ...(file ?? { path, kind }), bytes: found.bytes, files: found.files });
  }

  private async h264(path: string, kind: PictureKind, size: number): Promise<void> {
    const index = join(this.dir, path.replace(/\.h264$/, ''), 'frames.jsonl');
    const totals = this.totals(kind);
    totals.h264 += await indexedFrames(index, size, path);
    totals.bytes += size;
    this.files.push({ ...(this.listed.get(path) ?? { path, kind }), bytes: size });
  }

  result(): RecountedRun {
    for (const [kind, totals] of this.pictures) {
      const frames = totals.pictures + totals.h264;
      this.written[kind] += frames;
      for (const file of this.files) {
        if (file.kind !== kind) continue;
        file.counters = {
          ...numbers(file.counters),
          frames,
          pictures: totals.pictures,
          h264Frames: totals.h264,
          bytes: totals.bytes,
        };
      }
    }
    return { files: this.files, counters: runCounters(this.manifest.counters, this.written, this.found) };
  }
}

/** The run's counters: what the files hold, the drops the manifest counted, and what is left unexplained. */
function runCounters(
  stale: Partial<RecordingCounters> | undefined,
  written: ItemCounts,
  found: { reconnects: number; gapsFilled: number; silenceMs: number },
): RecordingCounters {
  const given = { ...itemsOf(stale?.frames), events: typeof stale?.events === 'number' ? stale.events : 0 };
  const unwritten = itemsOf(stale?.unwritten);
  let lostWhenKilled = 0;
  for (const kind of Object.keys(given) as (keyof ItemCounts)[]) {
    const accounted = written[kind] + unwritten[kind];
    const lost = Math.max(0, given[kind] - accounted);
    given[kind] = accounted + lost;
    unwritten[kind] += lost;
    lostWhenKilled += lost;
  }
  const old = numbers(stale);
  const { events, ...frames } = given;
  return {
    frames,
    events,
    written,
    unwritten,
    gapsFilled: found.gapsFilled,
    silenceMs: found.silenceMs,
    overlapDropped: old.overlapDropped ?? 0,
    overlapFrames: old.overlapFrames ?? 0,
    emptyFrames: old.emptyFrames ?? 0,
    dropped: old.dropped ?? 0,
    droppedBytes: old.droppedBytes ?? 0,
    formatMismatch: old.formatMismatch ?? 0,
    afterEnd: old.afterEnd ?? 0,
    lostWhenKilled: (old.lostWhenKilled ?? 0) + lostWhenKilled,
    reconnects: Math.max(old.reconnects ?? 0, found.reconnects),
  };
}
