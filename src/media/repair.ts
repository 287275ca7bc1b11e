/**
 * Start-up repair of recordings a killed process left unfinished.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, type RecordingManifest, readManifest, writeManifest } from './manifest.js';
import { RECORDINGS_DIR } from './paths.js';
import { renderTranscript, TRANSCRIPT_FILES } from './TranscriptTrack.js';
import { type RecountedRun, recountRun } from './unfinishedRun.js';
import { repairWav } from './WavWriter.js';

/** Levels below `recordings/` where manifests are looked for: day, instance, stream (and one spare). */
const MAX_SEARCH_DEPTH = 4;

/** `endReason` written into the manifest of a recording repaired after its process died. */
export const UNFINISHED_REASON = 'unfinished';

/** The note a repaired manifest gets. */
export const REPAIRED_NOTE =
  'the process recording this run was killed: files repaired, files and counters recounted from them';

export interface RepairOptions {
  /** A file that could not be repaired (the walk goes on). */
  onError?: (path: string, error: unknown) => void;
  /** Clock for `repairedAt`; default `Date.now`. */
  now?: () => number;
  /**
   * Each finished recording {@link repairRecordings} passes on its way, with the manifest it read, so a
   * caller that wants to look at every recording at start need not read them all again.
   */
  onFinished?: (dir: string, manifest: Partial<RecordingManifest>) => void;
}

async function entriesOf(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** Folders holding a `manifest.json`, not descending into them (frame folders can be huge). */
async function recordingFolders(dir: string, depth: number, out: string[]): Promise<void> {
  const entries = await entriesOf(dir);
  if (entries.some((e) => e.isFile() && e.name === MANIFEST_FILE)) {
    out.push(dir);
    return;
  }
  if (depth >= MAX_SEARCH_DEPTH) return;
  for (const entry of entries) {
    if (entry.isDirectory()) await recordingFolders(join(dir, entry.name), depth + 1, out);
  }
}

/**
 * Finds recordings under `<dataDir>/recordings/` whose manifest has no `endedAt` (their process was
 * killed) and repairs each with {@link repairRecording}. Run it before attaching a recorder.
 *
 * @returns the WAV files that were changed.
 */
export async function repairRecordings(dataDir: string, options: RepairOptions = {}): Promise<string[]> {
  const folders: string[] = [];
  await recordingFolders(join(dataDir, RECORDINGS_DIR), 0, folders);
  const repaired: string[] = [];
  for (const dir of folders) {
    const read = await readManifest(dir);
    if (read.status === 'ok' && typeof read.manifest.endedAt === 'string') {
      options.onFinished?.(dir, read.manifest);
      continue;
    }
    repaired.push(...(await repairRecording(dir, options)));
  }
  return repaired;
}

/**
 * Repairs one recording a killed process left unfinished: its WAV files with {@link repairWav}, an
 * unfinished last line of its JSON lines files, its subtitles rendered from `transcript.jsonl`; and its
 * manifest, whose files and counters are recounted from the files ({@link recountRun}: the manifest was
 * last written when a file appeared, long before the kill) and which is marked (`endedAt` from the newest
 * file, `endReason` `unfinished`, `repairedAt`) so that the next start skips it. A finished recording is
 * left alone; an unreadable manifest too (repairing it would mean guessing its content), though its
 * WAV files are repaired.
 *
 * @returns the WAV files that were changed.
 */
export async function repairRecording(dir: string, options: RepairOptions = {}): Promise<string[]> {
  const read = await readManifest(dir);
  if (read.status === 'ok' && typeof read.manifest.endedAt === 'string') return [];
  const now = options.now ?? Date.now;
  const entries = await entriesOf(dir);
  const repaired: string[] = [];
  let newestMs = 0;
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(dir, entry.name);
    try {
      newestMs = Math.max(newestMs, (await stat(path)).mtimeMs);
      if (entry.name.endsWith('.wav') && (await repairWav(path)).repaired) repaired.push(path);
    } catch (error) {
      options.onError?.(path, error);
    }
  }
  if (read.status !== 'ok') return repaired;
  const manifest = read.manifest;
  let recounted: RecountedRun | undefined;
  try {
    recounted = await recountRun(dir, manifest, options.onError);
  } catch (error) {
    options.onError?.(dir, error);
  }
  const files = recounted?.files ?? (Array.isArray(manifest.files) ? manifest.files : []);
  const origin = manifest.transcriptOriginMs ?? manifest.timelineOriginMs;
  if (entries.some((e) => e.isFile() && e.name === TRANSCRIPT_FILES.jsonl) && typeof origin === 'number') {
    try {
      await renderTranscript(join(dir, TRANSCRIPT_FILES.jsonl), {
        vttPath: join(dir, TRANSCRIPT_FILES.vtt),
        srtPath: join(dir, TRANSCRIPT_FILES.srt),
        originMs: origin,
      });
      for (const path of [TRANSCRIPT_FILES.vtt, TRANSCRIPT_FILES.srt]) {
        const bytes = (await stat(join(dir, path))).size;
        const at = files.findIndex((f) => f?.path === path);
        const file = { path, kind: 'transcript' as const, bytes };
        if (at >= 0) files[at] = file;
        else files.push(file);
      }
    } catch (error) {
      options.onError?.(join(dir, TRANSCRIPT_FILES.jsonl), error);
    }
  }
  try {
    await writeManifest(dir, {
      ...manifest,
      files,
      ...(recounted === undefined ? {} : { counters: recounted.counters }),
      notes: [...(Array.isArray(manifest.notes) ? manifest.notes : []), REPAIRED_NOTE],
      endedAt: new Date(newestMs || now()).toISOString(),
      endReason: UNFINISHED_REASON,
      repairedAt: new Date(now()).toISOString(),
    });
  } catch (error) {
    options.onError?.(join(dir, MANIFEST_FILE), error);
  }
  return repaired;
}
