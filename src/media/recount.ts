/**
 * Counts what a recording's files hold, read back from disk: for `repairRecordings`, whose manifest of an
 * unfinished run is older than its files (a killed process wrote it when the files appeared, not since).
 */
import { createReadStream } from 'node:fs';
import { appendFile, open, readdir, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { WavLayout } from './WavWriter.js';

/** Sample frames read at once while scanning a WAV file. */
const SCAN_SAMPLE_FRAMES = 64 * 1024;

/** A picture of a frame folder: `000001.jpg`, as PictureTrack names them. */
const PICTURE_FILE = /^\d{6}\.(jpg|png)$/;

/** What the data of a WAV file holds, judged by its samples. */
export interface WavScan {
  /** Data chunk bytes. */
  bytes: number;
  /** Frames of audio: each stretch of audio, in frame lengths rounded up. */
  frames: number;
  /** Stretches of digital silence longer than half a frame before or between audio. */
  gapsFilled: number;
  silenceMs: number;
}

/**
 * Reads a WAV file's data back into frames and gaps. WavWriter inserts silence only for a gap longer
 * than half a frame, and places frames end to end otherwise, so a stretch of audio holds whole frames:
 * its length over the frame length, rounded up (a frame cut by an overlap still counts), is its number
 * of frames. Digital silence longer than half a frame before or between audio is a filled gap.
 *
 * @remarks Not exact in two cases, both rare in speech: a frame that is itself digital silence (or
 * holds more than half a frame of it) is taken for a gap, and the silent slots of frames a full queue
 * dropped count as a gap too. Silence after the last audio belongs to no frame and to no gap.
 */
export async function scanWav(path: string, layout: WavLayout, frameBytes: number): Promise<WavScan> {
  const { blockAlign, dataOffset, declaredBytes, sampleRate } = layout;
  const perFrame = Math.max(1, Math.round(frameBytes / blockAlign));
  const gapOver = perFrame / 2;
  let frames = 0;
  let gaps = 0;
  let silent = 0;
  let silenceFrames = 0;
  let audio = 0;
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SCAN_SAMPLE_FRAMES * blockAlign);
    for (let pos = 0; pos < declaredBytes; ) {
      const want = Math.min(buf.length, declaredBytes - pos);
      const { bytesRead } = await handle.read(buf, 0, want, dataOffset + pos);
      if (bytesRead === 0) break;
      const whole = bytesRead - (bytesRead % blockAlign);
      for (let i = 0; i < whole; i += blockAlign) {
        let zero = true;
        for (let b = i; b < i + blockAlign; b++) {
          if (buf[b] !== 0) {
            zero = false;
            break;
          }
        }
        if (zero) {
          silent++;
          continue;
        }
        if (silent > gapOver) {
          frames += Math.ceil(audio / perFrame);
          gaps++;
          silenceFrames += silent;
          audio = 0;
        } else {
          audio += silent;
        }
        silent = 0;
        audio++;
      }
      pos += bytesRead;
    }
  } finally {
    await handle.close();
  }
  if (silent <= gapOver) audio += silent;
  frames += Math.ceil(audio / perFrame);
  return {
    bytes: declaredBytes,
    frames,
    gapsFilled: gaps,
    silenceMs: Math.round((silenceFrames * 1000) / sampleRate),
  };
}

/** The complete lines of a JSON lines file from byte `from` on. */
export interface JsonLines {
  /** Complete lines (ending in `\n`), blank ones included. */
  lines: number;
  /** Bytes from `from` to the end of the last complete line. */
  bytes: number;
  /** An unfinished last line (no `\n`): where it starts, and its text. */
  tail?: { offset: number; text: string };
}

/**
 * Reads the lines of a JSON lines file after byte `from`, handing each complete one to `onLine`. A
 * missing file has no lines.
 */
export async function readJsonLines(
  path: string,
  from = 0,
  onLine?: (line: string) => void,
): Promise<JsonLines> {
  let lines = 0;
  let bytes = 0;
  let rest: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of createReadStream(path, { start: from })) {
      let data = rest.length > 0 ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
      // `\n` never occurs inside a UTF-8 sequence: splitting the bytes is safe.
      for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a)) {
        onLine?.(data.toString('utf8', 0, nl));
        lines++;
        bytes += nl + 1;
        data = data.subarray(nl + 1);
      }
      rest = Buffer.from(data);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const out: JsonLines = { lines, bytes };
  if (rest.length > 0) out.tail = { offset: from + bytes, text: rest.toString('utf8') };
  return out;
}

/**
 * Ends an unfinished last line, so that the next run's first line does not glue onto it: a line that
 * is whole JSON (only its `\n` was lost) gets its `\n`, anything else is cut off. True when the line
 * was kept.
 */
export async function endTail(path: string, tail: { offset: number; text: string }): Promise<boolean> {
  try {
    JSON.parse(tail.text);
  } catch {
    await truncate(path, tail.offset);
    return false;
  }
  await appendFile(path, '\n');
  return true;
}

/**
 * Frames of a frame index (`frames.jsonl`, a raw track's `.jsonl`) whose bytes are all in the data file
 * (`file`, when the index names files, only its lines count).
 */
export async function indexedFrames(indexPath: string, dataBytes: number, file?: string): Promise<number> {
  let frames = 0;
  await readJsonLines(indexPath, 0, (line) => {
    try {
      const entry = JSON.parse(line) as { offset?: unknown; bytes?: unknown; file?: unknown };
      if (file !== undefined && entry.file !== file) return;
      if (typeof entry.offset === 'number' && typeof entry.bytes === 'number') {
        if (entry.offset + entry.bytes <= dataBytes) frames++;
      }
    } catch {
      // A line cut by the kill: its frame is not counted.
    }
  });
  return frames;
}

/** The pictures of a frame folder: how many, and their bytes. */
export async function countPictures(folder: string): Promise<{ files: number; bytes: number }> {
  let names: string[];
  try {
    names = (await readdir(folder)).filter((name) => PICTURE_FILE.test(name));
  } catch {
    return { files: 0, bytes: 0 };
  }
  const sizes = await Promise.all(
    names.map(async (name) => {
      try {
        return (await stat(join(folder, name))).size;
      } catch {
        return undefined;
      }
    }),
  );
  const found = sizes.filter((size): size is number => size !== undefined);
  return { files: found.length, bytes: found.reduce((sum, size) => sum + size, 0) };
}

/** A file's size; undefined when it is not there. */
export async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}
