/** Which simulator tone each 20 ms of a recorded audio file holds, decoded by FFmpeg whatever its format. */
import { spawnSync } from 'node:child_process';
import { detectTone, toneHz } from '../../src/simulator/content/audio.js';

/** Windows the tone is looked for in: one RTMS packet. */
export const TONE_WINDOW_MS = 20;

/** The tones of the first `participants` participants, by index. */
export function participantTones(participants: number): number[] {
  return Array.from({ length: participants }, (_, i) => toneHz(i));
}

/** `file` decoded to 16-bit mono PCM at `rate` by FFmpeg (a WAV, Opus, MP3 or an MP4's audio). */
export function decodePcm(file: string, rate: number): Buffer {
  const out = spawnSync(
    'ffmpeg',
    [
      '-nostdin',
      '-v',
      'error',
      '-i',
      file,
      '-map',
      '0:a:0',
      '-f',
      's16le',
      '-ac',
      '1',
      '-ar',
      String(rate),
      '-',
    ],
    { maxBuffer: 512 * 1024 * 1024 },
  );
  if (out.status !== 0) throw new Error(`ffmpeg could not decode ${file}: ${out.stderr.toString()}`);
  return out.stdout;
}

/** The tone (Hz, one of `candidates`) of each 20 ms window, undefined for silence or a mixture. */
export function tonesOf(pcm: Buffer, rate: number, candidates: readonly number[]): (number | undefined)[] {
  const window = (rate * TONE_WINDOW_MS * 2) / 1000;
  const tones: (number | undefined)[] = [];
  for (let at = 0; at + window <= pcm.length; at += window)
    tones.push(detectTone(pcm.subarray(at, at + window), rate, candidates));
  return tones;
}
