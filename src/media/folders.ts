/**
 * The recording folders on disk, read by their layout (`recordings/<day>/<instance>/<stream>/`), and
 * the checks and measures that retention, revocation, readiness and `doctor` share.
 */
import type { Dirent } from 'node:fs';
import { lstat, mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RECORDINGS_DIR } from './paths.js';

/** One stream's recording folder. The names are the sanitized path parts, as on disk. */
export interface RecordingFolder {
  /** Absolute (or data-dir based) path of the folder. */
  dir: string;
  /** `yyyy-mm-dd`, UTC: the day the stream started. */
  day: string;
  instance: string;
  stream: string;
}

/** What a folder holds, counted recursively (frame folders included). */
export interface FolderUsage {
  files: number;
  bytes: number;
  /** mtime of the newest file, epoch ms; 0 for an empty folder. */
  newestMs: number;
}

const DAY_FOLDER = /^\d{4}-\d{2}-\d{2}$/;

async function subfolders(dir: string): Promise<Dirent[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory());
  } catch {
    return [];
  }
}

/**
 * Every stream folder under `<dataDir>/recordings/`, oldest day first. Only the three levels of the
 * layout are read (never into a stream folder), and only day folders named `yyyy-mm-dd`, so a folder a
 * user put there is left alone.
 */
export async function listRecordingFolders(dataDir: string): Promise<RecordingFolder[]> {
  const root = join(dataDir, RECORDINGS_DIR);
  const out: RecordingFolder[] = [];
  const days = (await subfolders(root)).filter((d) => DAY_FOLDER.test(d.name));
  days.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const day of days) {
    for (const instance of await subfolders(join(root, day.name))) {
      for (const stream of await subfolders(join(root, day.name, instance.name))) {
        out.push({
          dir: join(root, day.name, instance.name, stream.name),
          day: day.name,
          instance: instance.name,
          stream: stream.name,
        });
      }
    }
  }
  return out;
}

/** Files, bytes and newest mtime under `dir`; links are counted, never followed. */
export async function folderUsage(dir: string): Promise<FolderUsage> {
  const usage: FolderUsage = { files: 0, bytes: 0, newestMs: 0 };
  const walk = async (at: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(at, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
        continue;
      }
      try {
        const info = await lstat(path);
        usage.files++;
        usage.bytes += info.size;
        usage.newestMs = Math.max(usage.newestMs, info.mtimeMs);
      } catch {
        // Gone meanwhile: nothing to count.
      }
    }
  };
  await walk(dir);
  return usage;
}

/** Deletes a stream folder, then its instance and day folders if that left them empty. */
export async function removeRecordingFolder(folder: RecordingFolder): Promise<void> {
  await rm(folder.dir, { recursive: true, force: true });
  const instanceDir = join(folder.dir, '..');
  for (const parent of [instanceDir, join(instanceDir, '..')]) {
    try {
      // Fails with ENOTEMPTY while other recordings remain: then the walk up stops.
      await rmdir(parent);
    } catch {
      return;
    }
  }
}

/** Name of the file {@link probeWritable} writes and removes. */
const PROBE_FILE = '.rtmskit-write-probe';

/**
 * Creates `dir` if needed, writes a small file in it and removes it: the proof that recordings can be
 * written there. Throws the file system's error (ENOTDIR, EACCES, EROFS, ENOSPC…).
 */
export async function probeWritable(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const probe = join(dir, `${PROBE_FILE}-${process.pid}`);
  await writeFile(probe, 'ok');
  await rm(probe, { force: true });
}
