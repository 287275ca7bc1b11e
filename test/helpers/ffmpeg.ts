/** FFmpeg for the tests that need it: found on the PATH, or a loud skip (a failure when CI=true). */
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

function hasTool(name: string): boolean {
  return spawnSync(name, ['-version']).status === 0;
}
const MISSING_TOOLS = ['ffmpeg', 'ffprobe'].filter((tool) => !hasTool(tool));

/** False (after a loud warning) when FFmpeg is missing on a laptop; a failure in CI. */
export function ffmpegPresent(check: string): boolean {
  if (MISSING_TOOLS.length === 0) return true;
  const missing = MISSING_TOOLS.join(' and ');
  if (process.env.CI) expect.fail(`${missing} not installed, and CI=true requires it: install ffmpeg`);
  console.warn(`SKIPPED ${check}: ${missing} not installed (apt-get install ffmpeg)`);
  return false;
}

/**
 * What ffprobe says of a media file: its streams' codecs and its duration, and how long it plays decoded
 * (the container's duration of an MP3 counts the encoder's padding).
 */
export function probe(file: string): { codecs: string[]; durationMs: number; decodedMs: number } {
  const out = spawnSync(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'stream=codec_name:format=duration', '-of', 'json', file],
    { encoding: 'utf8' },
  );
  const parsed = JSON.parse(out.stdout) as {
    streams?: { codec_name: string }[];
    format?: { duration?: string };
  };
  const decoded = spawnSync(
    'ffmpeg',
    ['-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-progress', 'pipe:1', '-'],
    { encoding: 'utf8' },
  );
  const last = [...decoded.stdout.matchAll(/^out_time_us=(\d+)$/gm)].at(-1)?.[1];
  return {
    codecs: (parsed.streams ?? []).map((s) => s.codec_name),
    durationMs: Math.round(Number(parsed.format?.duration ?? Number.NaN) * 1000),
    decodedMs: last === undefined ? Number.NaN : Math.round(Number(last) / 1000),
  };
}
