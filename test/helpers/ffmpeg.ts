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

/** One stream of a media file, as ffprobe describes it. */
export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  start_time?: string;
  duration?: string;
  sample_rate?: string;
  channels?: number;
  width?: number;
  height?: number;
}

/** Every stream of `file`, and the container's duration (ms). */
export function probeStreams(file: string): { streams: ProbedStream[]; durationMs: number } {
  const out = spawnSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_type,codec_name,start_time,duration,sample_rate,channels,width,height:format=duration',
      '-of',
      'json',
      file,
    ],
    { encoding: 'utf8' },
  );
  const parsed = JSON.parse(out.stdout) as { streams?: ProbedStream[]; format?: { duration?: string } };
  return {
    streams: parsed.streams ?? [],
    durationMs: Math.round(Number(parsed.format?.duration ?? Number.NaN) * 1000),
  };
}

/** When each video packet of `file` is shown (ms), in the order they are shown. */
export function videoPacketTimesMs(file: string): number[] {
  const out = spawnSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  return out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => Math.round(Number(line) * 1000))
    .sort((a, b) => a - b);
}

/** Each video packet of `file` in the order shown: when (ms) and for how long (ms). */
export function videoPackets(file: string): { atMs: number; durationMs: number }[] {
  const out = spawnSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'packet=pts_time,duration_time',
      '-of',
      'csv=p=0',
      file,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  return out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [at, duration] = line.split(',').map(Number);
      return {
        atMs: Math.round((at ?? Number.NaN) * 1000),
        durationMs: Math.round((duration ?? Number.NaN) * 1000),
      };
    })
    .sort((a, b) => a.atMs - b.atMs);
}
