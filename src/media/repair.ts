/**
 * Start-up repair of recordings a killed process left unfinished.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, readManifest, writeManifest } from './manifest.js';
import { RECORDINGS_DIR } from './paths.js';
import { renderTranscript, TRANSCRIPT_FILES } from './TranscriptTrack.js';
import { repairWav } from './WavWriter.js';

/** Levels below `recordings/` where manifests are looked for: day, instance, stream (and one spare). */
const MAX_SEARCH_DEPTH = 4;

/** `endReason` written into the manifest of a recording repaired after its process died. */
export const UNFINISHED_REASON = 'unfinished';

export interface RepairOptions {
  /** A file that could not be repaired (the walk goes on). */
  onError?: (path: string, error: unknown) => void;
  /** Clock for `repairedAt`; default `Date.now`. */
  now?: () => number;
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
 * killed), repairs their WAV files with {@link repairWav}, renders their subtitles from
 * `transcript.jsonl`, and marks the manifest (`endedAt` from the newest file, `endReason`
 * `unfinished`, `repairedAt`) so that the next start skips them. Run it before attaching a recorder.
 *
 * @returns the WAV files that were changed.
 */
export async function repairRecordings(dataDir: string, options: RepairOptions = {}): Promise<string[]> {
  const folders: string[] = [];
  await recordingFolders(join(dataDir, RECORDINGS_DIR), 0, folders);
  const repaired: string[] = [];
  for (const dir of folders) {
    const read = await readManifest(dir);
    if (read.status === 'ok' && typeof read.manifest.endedAt === 'string') continue;
    const entries = await entriesOf(dir);
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
    const manifest = read.status === 'ok' ? read.manifest : undefined;
    const origin = manifest?.transcriptOriginMs ?? manifest?.timelineOriginMs;
    if (entries.some((e) => e.isFile() && e.name === TRANSCRIPT_FILES.jsonl) && typeof origin === 'number') {
      try {
        await renderTranscript(join(dir, TRANSCRIPT_FILES.jsonl), {
          vttPath: join(dir, TRANSCRIPT_FILES.vtt),
          srtPath: join(dir, TRANSCRIPT_FILES.srt),
          originMs: origin,
        });
      } catch (error) {
        options.onError?.(join(dir, TRANSCRIPT_FILES.jsonl), error);
      }
    }
    // An unreadable manifest is left as it is: repairing it would mean guessing its content.
    if (manifest === undefined) continue;
    const files = await Promise.all(
      (Array.isArray(manifest.files) ? manifest.files : []).map(async (file) => {
        if (typeof file?.path !== 'string' || file.path.endsWith('/')) return file;
        try {
          return { ...file, bytes: (await stat(join(dir, file.path))).size };
        } catch {
          return file;
        }
      }),
    );
    try {
      await writeManifest(dir, {
        ...manifest,
        files,
        endedAt: new Date(newestMs || (options.now ?? Date.now)()).toISOString(),
        endReason: UNFINISHED_REASON,
        repairedAt: new Date((options.now ?? Date.now)()).toISOString(),
      });
    } catch (error) {
      options.onError?.(join(dir, MANIFEST_FILE), error);
    }
  }
  return repaired;
}
