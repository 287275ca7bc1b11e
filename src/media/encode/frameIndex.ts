/**
 * What post-processing reads of a recording: a track's index (JSON lines, one per frame, as the
 * recording wrote it) and which manifest files are WAVs.
 */
import type { ManifestFile } from '../manifest.js';
import { readJsonLines } from '../recount.js';

/** One line of `frames.jsonl` or of a raw audio track's index. */
export interface IndexedFrame {
  n: number;
  timestamp: number;
  /** A picture's file (relative to the recording), or the H.264 or raw audio file holding the frame. */
  file?: string;
  /** Where the frame is in `file` (H.264 and raw audio). */
  offset?: number;
  bytes?: number;
}

/**
 * The frames of an index with a finite timestamp, in file order; none for a missing index. A line cut
 * short by a crash, or any other line that is not a frame, is skipped.
 */
export async function readFrameIndex(path: string): Promise<IndexedFrame[]> {
  const frames: IndexedFrame[] = [];
  await readJsonLines(path, 0, (line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    const f = parsed as Partial<IndexedFrame> | null;
    if (
      f !== null &&
      typeof f === 'object' &&
      typeof f.timestamp === 'number' &&
      Number.isFinite(f.timestamp)
    )
      frames.push(f as IndexedFrame);
  });
  return frames;
}

/** A WAV of the recording (every audio track Zoom sent in L16 or G.711, and the decoded and mixed ones). */
export function isWav(file: ManifestFile): boolean {
  return file.kind === 'audio' && file.path.endsWith('.wav');
}

/** The WAV of the mixed stream (user 0, not a Contact Center channel). */
export function isMixedWav(file: ManifestFile): boolean {
  return isWav(file) && (file.userId ?? 0) === 0 && file.channelId === undefined;
}
