/**
 * Transcripts: `transcript.jsonl` appended as segments arrive; `transcript.vtt` and `transcript.srt`
 * rendered from it when the recording ends (or when an unfinished recording is repaired).
 */
import { createReadStream } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TranscriptSegment } from '../client/events.js';
import { type JsonlCounters, JsonlWriter } from './JsonlWriter.js';
import type { QueueOptions } from './queue.js';
import { type Cue, cueOf, sortCues, type TimedText, toSrt, toWebVtt } from './subtitles.js';

/** File names of a transcript, in the recording's folder. */
export const TRANSCRIPT_FILES = {
  jsonl: 'transcript.jsonl',
  vtt: 'transcript.vtt',
  srt: 'transcript.srt',
} as const;

/** One line of `transcript.jsonl`. */
export interface TranscriptLine extends TimedText {
  language?: number | undefined;
  attribute?: number | undefined;
  channelId?: string | undefined;
}

/** What {@link renderTranscript} wrote. */
export interface RenderedTranscript {
  cues: number;
  /** Lines of the JSONL file that could not be read (a line cut short by a crash, say). */
  skippedLines: number;
}

function isTimedText(value: unknown): value is TimedText {
  return typeof value === 'object' && value !== null && typeof (value as TimedText).text === 'string';
}

async function replaceFile(path: string, text: string): Promise<void> {
  // Written beside and renamed, so a crash never leaves half a subtitle file.
  const tmp = `${path}.tmp`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, path);
}

/**
 * Reads a `transcript.jsonl` and writes `transcript.vtt` and `transcript.srt` beside it, cue times
 * relative to `originMs`, cues in start-time order.
 */
export async function renderTranscript(
  jsonlPath: string,
  output: { vttPath: string; srtPath: string; originMs: number },
): Promise<RenderedTranscript> {
  const cues: Cue[] = [];
  let skippedLines = 0;
  const lines = createInterface({ input: createReadStream(jsonlPath, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim().length === 0) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      skippedLines++;
      continue;
    }
    if (!isTimedText(parsed)) {
      skippedLines++;
      continue;
    }
    const cue = cueOf(parsed, output.originMs);
    if (cue !== undefined) cues.push(cue);
  }
  const sorted = sortCues(cues);
  await Promise.all([
    replaceFile(output.vttPath, toWebVtt(sorted)),
    replaceFile(output.srtPath, toSrt(sorted)),
  ]);
  return { cues: sorted.length, skippedLines };
}

/**
 * The transcript of one recording. Segments are appended to `transcript.jsonl` as they arrive (bounded
 * queue, never waits); {@link TranscriptTrack.finalize} renders the subtitle files from that file, so
 * no segment is held in memory for the length of a meeting.
 */
export class TranscriptTrack {
  readonly jsonlPath: string;
  readonly vttPath: string;
  readonly srtPath: string;
  private readonly jsonl: JsonlWriter;
  private finishing: Promise<RenderedTranscript> | undefined;
  /** Segments given after finalize(): dropped, and counted with the file's drops. */
  private closedCount = 0;

  /** @param dir - the recording's folder. */
  constructor(dir: string, options: QueueOptions = {}) {
    this.jsonlPath = join(dir, TRANSCRIPT_FILES.jsonl);
    this.vttPath = join(dir, TRANSCRIPT_FILES.vtt);
    this.srtPath = join(dir, TRANSCRIPT_FILES.srt);
    this.jsonl = new JsonlWriter(this.jsonlPath, options);
  }

  get counters(): JsonlCounters {
    const counters = this.jsonl.counters;
    return { ...counters, dropped: counters.dropped + this.closedCount };
  }

  get error(): Error | undefined {
    return this.jsonl.error;
  }

  /** Appends one segment. Returns false when it was dropped. */
  write(segment: TranscriptSegment): boolean {
    if (this.finishing !== undefined) {
      this.closedCount++;
      return false;
    }
    const line: TranscriptLine = {
      text: segment.text,
      userId: segment.userId,
      userName: segment.userName,
      startTime: segment.startTime,
      endTime: segment.endTime,
      language: segment.language,
      timestamp: segment.timestamp,
      attribute: segment.attribute,
      channelId: segment.channelId,
    };
    return this.jsonl.write(line);
  }

  /**
   * Closes `transcript.jsonl` and renders `transcript.vtt` and `transcript.srt` from it, cue times
   * relative to `originMs`. Idempotent (the first origin wins).
   *
   * @throws the I/O error of the JSONL file or of rendering.
   */
  finalize(originMs: number): Promise<RenderedTranscript> {
    this.finishing ??= this.finish(originMs);
    return this.finishing;
  }

  private async finish(originMs: number): Promise<RenderedTranscript> {
    await this.jsonl.close();
    if (this.jsonl.counters.lines === 0) return { cues: 0, skippedLines: 0 };
    return renderTranscript(this.jsonlPath, { vttPath: this.vttPath, srtPath: this.srtPath, originMs });
  }
}
