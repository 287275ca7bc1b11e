/**
 * Transcript segments as WebVTT and SubRip cues. Pure functions: the files are written by
 * {@link TranscriptTrack}.
 */

/** How long a cue lasts when its segment has no usable end time. */
export const DEFAULT_CUE_MS = 2_000;

/** One transcript segment, as stored in `transcript.jsonl`. */
export interface TimedText {
  text: string;
  userId?: number | undefined;
  userName?: string | undefined;
  /** ms, in the frames' clock. */
  startTime?: number | undefined;
  endTime?: number | undefined;
  timestamp?: number | undefined;
}

/** A cue: times in ms from the recording's origin. */
export interface Cue {
  startMs: number;
  endMs: number;
  speaker: string | undefined;
  /** One or more non-empty lines. */
  lines: string[];
}

function finiteOr(value: number | undefined, fallback: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) ? value : fallback;
}

/**
 * The cue of a segment, relative to `originMs`: start from `startTime` (else `timestamp`), end from
 * `endTime` (else start + {@link DEFAULT_CUE_MS}); negative times become 0 and an end not after the
 * start becomes start + {@link DEFAULT_CUE_MS}. `undefined` for a segment with no text.
 */
export function cueOf(segment: TimedText, originMs: number): Cue | undefined {
  const lines = String(segment.text ?? '')
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (lines.length === 0) return undefined;
  const start = finiteOr(segment.startTime, finiteOr(segment.timestamp, originMs)) ?? originMs;
  const startMs = Math.max(0, Math.round(start - originMs));
  const end = finiteOr(segment.endTime, undefined);
  let endMs = end === undefined ? startMs + DEFAULT_CUE_MS : Math.max(0, Math.round(end - originMs));
  if (endMs <= startMs) endMs = startMs + DEFAULT_CUE_MS;
  const name = segment.userName?.replace(/\s+/g, ' ').trim();
  const speaker = name ? name : segment.userId ? `User ${segment.userId}` : undefined;
  return { startMs, endMs, speaker, lines };
}

/** `HH:MM:SS.mmm` (WebVTT, `separator` '.') or `HH:MM:SS,mmm` (SubRip, ','); hours grow past 99. */
export function formatCueTime(ms: number, separator: '.' | ','): string {
  const total = Math.max(0, Math.round(ms));
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor(total / 60_000) % 60;
  const seconds = Math.floor(total / 1_000) % 60;
  const millis = total % 1_000;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(hours)}:${two(minutes)}:${two(seconds)}${separator}${String(millis).padStart(3, '0')}`;
}

/** Escapes the characters WebVTT cue text gives a meaning to. */
export function escapeVtt(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cues ordered by start time (stable), as WebVTT requires. */
export function sortCues(cues: readonly Cue[]): Cue[] {
  return [...cues].sort((a, b) => a.startMs - b.startMs);
}

/** A WebVTT file: `WEBVTT`, then each cue with its speaker as a voice span (`<v Name>`). */
export function toWebVtt(cues: readonly Cue[]): string {
  const blocks = cues.map((cue) => {
    const voice = cue.speaker === undefined ? '' : `<v ${escapeVtt(cue.speaker)}>`;
    const text = cue.lines.map(escapeVtt).join('\n');
    return `${formatCueTime(cue.startMs, '.')} --> ${formatCueTime(cue.endMs, '.')}\n${voice}${text}`;
  });
  return blocks.length === 0 ? 'WEBVTT\n' : `WEBVTT\n\n${blocks.join('\n\n')}\n`;
}

/** A SubRip file: numbered cues, `Speaker: text`. */
export function toSrt(cues: readonly Cue[]): string {
  const blocks = cues.map((cue, i) => {
    const prefix = cue.speaker === undefined ? '' : `${cue.speaker}: `;
    const times = `${formatCueTime(cue.startMs, ',')} --> ${formatCueTime(cue.endMs, ',')}`;
    return `${i + 1}\n${times}\n${prefix}${cue.lines.join('\n')}`;
  });
  return blocks.length === 0 ? '' : `${blocks.join('\n\n')}\n`;
}
