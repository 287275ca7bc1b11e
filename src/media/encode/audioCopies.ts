/** Opus and MP3 copies of a WAV file: speech-grade bit rates, the WAV's own rate and channels. */
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { decodedDurationMs, type FfmpegTools, failureOf, QUIET, runTool, toolPath } from './ffmpeg.js';
import type { EncodedOutput, EncodeFailure } from './types.js';

export type AudioCopyFormat = 'opus' | 'mp3';

/** FFmpeg's encoder and muxer arguments per format. */
const CODEC_ARGS: Readonly<Record<AudioCopyFormat, readonly string[]>> = {
  opus: ['-c:a', 'libopus', '-b:a', '48k', '-application', 'voip', '-f', 'opus'],
  mp3: ['-c:a', 'libmp3lame', '-q:a', '4', '-f', 'mp3'],
};

const FIX = 'run `rtmskit doctor` to check FFmpeg and its encoders (libopus, libmp3lame)';

export interface AudioCopyContext extends FfmpegTools {
  dir: string;
  timeoutMs: number;
}

/** Encodes `source` (a WAV of the recording) to `<name>.<format>`, through a `.part` file. */
export async function makeAudioCopy(
  source: string,
  format: AudioCopyFormat,
  ctx: AudioCopyContext,
): Promise<EncodedOutput | EncodeFailure> {
  const path = source.replace(/\.wav$/, `.${format}`);
  const part = join(ctx.dir, `${path}.part`);
  try {
    await runTool(
      toolPath(ctx, 'ffmpeg'),
      [...QUIET, '-nostdin', '-i', join(ctx.dir, source), ...CODEC_ARGS[format], part],
      { timeoutMs: ctx.timeoutMs },
    );
    await rename(part, join(ctx.dir, path));
  } catch (err) {
    await rm(part, { force: true });
    return { path, format, source, ...failureOf(err, FIX) };
  }
  const file = join(ctx.dir, path);
  return {
    path,
    format,
    source,
    bytes: (await stat(file)).size,
    durationMs: await decodedDurationMs(ctx, file, ctx.timeoutMs),
  };
}
