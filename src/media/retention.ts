/**
 * Deleting recordings: those of ended streams past the retention period, and every run of a stream
 * Zoom revoked. Both only ever delete stream folders found by the recordings layout, never a folder of a
 * stream that is still live.
 */
import { relative } from 'node:path';
import { folderUsage, listRecordingFolders, type RecordingFolder, removeRecordingFolder } from './folders.js';
import { readManifest } from './manifest.js';
import { sanitizePathPart } from './paths.js';

/** A recording folder that was deleted. */
export interface RemovedRecording {
  /** The folder, relative to the data folder. */
  path: string;
  /** From its manifest, when it had one. */
  streamId: string | undefined;
  /** When the recording ended (its manifest's `endedAt`, else its newest file), epoch ms. */
  endedAt: number;
  files: number;
  bytes: number;
}

export interface PruneRecordingsOptions {
  /** Recordings that ended longer ago than this are deleted. */
  olderThanMs: number;
  /** Streams whose folders are kept whatever their age: live ones, and ones that may still resume. */
  keepStreamIds: Iterable<string>;
  /** Clock, epoch ms; default `Date.now`. */
  now?: () => number;
  /** A folder that could not be read or deleted (the sweep goes on). */
  onError?: (dir: string, error: unknown) => void;
}

/** Sanitized folder names of stream ids; ids that can have no folder are skipped. */
function folderNames(streamIds: Iterable<string>): Set<string> {
  const names = new Set<string>();
  for (const id of streamIds) {
    try {
      names.add(sanitizePathPart(id));
    } catch {
      // An id that sanitizePathPart refuses never got a folder.
    }
  }
  return names;
}

/** When the recording in `folder` ended, and its stream id, from the manifest or the files. */
async function endOf(folder: RecordingFolder): Promise<{ endedAt: number; streamId: string | undefined }> {
  const read = await readManifest(folder.dir);
  const manifest = read.status === 'ok' ? read.manifest : undefined;
  const streamId = typeof manifest?.streamId === 'string' ? manifest.streamId : undefined;
  const ended = typeof manifest?.endedAt === 'string' ? Date.parse(manifest.endedAt) : Number.NaN;
  // An unfinished or unreadable recording nobody wrote to for the whole period is over too.
  const endedAt = Number.isFinite(ended) ? ended : (await folderUsage(folder.dir)).newestMs;
  return { endedAt, streamId };
}

/**
 * Deletes the recordings under `<dataDir>/recordings/` that ended more than `olderThanMs` ago, except
 * those of `keepStreamIds`; empty day and meeting folders go with them.
 *
 * @returns what was deleted, oldest day first.
 */
export async function pruneRecordings(
  dataDir: string,
  options: PruneRecordingsOptions,
): Promise<RemovedRecording[]> {
  const cutoff = (options.now ?? Date.now)() - options.olderThanMs;
  const keep = folderNames(options.keepStreamIds);
  const removed: RemovedRecording[] = [];
  for (const folder of await listRecordingFolders(dataDir)) {
    // A stream that started on or after the cutoff's day cannot have ended before the cutoff.
    if (Date.parse(`${folder.day}T00:00:00Z`) >= cutoff) continue;
    if (keep.has(folder.stream)) continue;
    try {
      const { endedAt, streamId } = await endOf(folder);
      if (endedAt >= cutoff || (streamId !== undefined && keep.has(sanitizePathPart(streamId)))) continue;
      const usage = await folderUsage(folder.dir);
      await removeRecordingFolder(folder);
      removed.push({ path: relative(dataDir, folder.dir), streamId, endedAt, ...countsOf(usage) });
    } catch (error) {
      options.onError?.(folder.dir, error);
    }
  }
  return removed;
}

/**
 * Deletes every recording folder of `streamId` (every run, on every day), for a revoked stream.
 *
 * @returns what was deleted; empty when the stream had no recording.
 */
export async function deleteStreamRecordings(dataDir: string, streamId: string): Promise<RemovedRecording[]> {
  const names = folderNames([streamId]);
  const removed: RemovedRecording[] = [];
  for (const folder of await listRecordingFolders(dataDir)) {
    if (!names.has(folder.stream)) continue;
    const usage = await folderUsage(folder.dir);
    const { endedAt } = await endOf(folder);
    await removeRecordingFolder(folder);
    removed.push({ path: relative(dataDir, folder.dir), streamId, endedAt, ...countsOf(usage) });
  }
  return removed;
}

function countsOf(usage: { files: number; bytes: number }): { files: number; bytes: number } {
  return { files: usage.files, bytes: usage.bytes };
}
