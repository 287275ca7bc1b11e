/** Reading a track's index (JSON lines, one per frame), as the recording wrote it, for post-processing. */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

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
 * The frames of an index with a finite timestamp, in file order. A line cut short by a crash, or any other
 * line that is not a frame, is skipped.
 */
export async function readFrameIndex(path: string): Promise<IndexedFrame[]> {
  const frames: IndexedFrame[] = [];
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) {
    if (line.length === 0) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    const f = parsed as Partial<IndexedFrame> | null;
    if (
      f === null ||
      typeof f !== 'object' ||
      typeof f.timestamp !== 'number' ||
      !Number.isFinite(f.timestamp)
    )
      continue;
    frames.push(f as IndexedFrame);
  }
  return frames;
}
