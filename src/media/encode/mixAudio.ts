/**
 * `audio.wav` mixed from the per-speaker WAVs once the stream ends, for the layout `both` (Zoom sends one
 * stream per speaker, and a person also wants the meeting as heard). Every per-speaker WAV starts at the
 * timeline origin and has the same length, so the mix lines up with them sample for sample.
 */
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ManifestFile, RecordingManifest } from '../manifest.js';
import { pcmDurationMs } from '../WavWriter.js';
import { readWavLayout } from '../wavFiles.js';
import { type FfmpegTools, failureOf, QUIET, runTool, toolPath } from './ffmpeg.js';
import { isMixedWav, isWav } from './frameIndex.js';
import type { EncodedOutput, EncodeFailure } from './types.js';

const FIX = 'run `rtmskit doctor` to check FFmpeg; every speaker’s WAV is complete without the mix';

export interface MixContext extends FfmpegTools {
  dir: string;
  timeoutMs: number;
}

/** The per-speaker WAVs to mix, when the layout asks for a mix and the run has none. */
export function speakersToMix(manifest: Partial<RecordingManifest>): ManifestFile[] {
  if (manifest.audioLayout !== 'both') return [];
  const files = manifest.files ?? [];
  if (files.some(isMixedWav)) return [];
  return files.filter((f) => isWav(f) && f.channelId === undefined);
}

/** Mixes `speakers` into `audio[.runN].wav` (the tones add, no level change), through a `.part` file. */
export async function mixSpeakers(
  speakers: readonly ManifestFile[],
  ctx: MixContext,
): Promise<{ output: EncodedOutput | EncodeFailure; file?: ManifestFile }> {
  const first = speakers[0] as ManifestFile;
  const suffix = /(\.run\d+)?\.wav$/.exec(first.path)?.[1] ?? '';
  const path = `audio${suffix}.wav`;
  const part = join(ctx.dir, `${path}.part`);
  const base = {
    path,
    format: 'wav' as const,
    source: first.path,
    audioSources: speakers.map((f) => f.path),
  };
  const inputs = speakers.flatMap((f) => ['-i', join(ctx.dir, f.path)]);
  const mix =
    speakers.length === 1
      ? ['-map', '0:a:0']
      : [
          '-filter_complex',
          `${speakers.map((_, i) => `[${i}:a]`).join('')}amix=inputs=${speakers.length}:duration=longest:normalize=0[mix]`,
          '-map',
          '[mix]',
        ];
  try {
    await runTool(
      toolPath(ctx, 'ffmpeg'),
      [
        ...QUIET,
        '-nostdin',
        ...inputs,
        ...mix,
        '-c:a',
        'pcm_s16le',
        '-fflags',
        '+bitexact',
        '-f',
        'wav',
        part,
      ],
      { timeoutMs: ctx.timeoutMs },
    );
    await rename(part, join(ctx.dir, path));
  } catch (err) {
    await rm(part, { force: true });
    return { output: { ...base, ...failureOf(err, FIX) } };
  }
  const file = join(ctx.dir, path);
  const bytes = (await stat(file)).size;
  const layout = await readWavLayout(file);
  const durationMs = pcmDurationMs(bytes - layout.dataOffset, layout.sampleRate, layout.channels);
  return {
    output: { ...base, bytes, durationMs },
    file: {
      path,
      kind: 'audio',
      userId: 0,
      codec: 'L16',
      mixedFrom: speakers.map((f) => f.path),
      sampleRate: layout.sampleRate,
      channels: layout.channels,
      bytes,
      durationMs,
    },
  };
}
