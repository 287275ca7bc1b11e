/**
 * Encoded copies of a finished recording's WAV files (`RTMSKIT_ENCODE=opus,mp3`): `audio.opus`,
 * `audio.mp3` and the same per speaker, made by FFmpeg after the stream ended, off the media path, one job
 * at a time per {@link Encoder}. FFmpeg is spawned with an argument array, never a shell string; each
 * output is written to a `.part` file and renamed once complete, its duration read back by decoding it.
 * The job is marked in the manifest before it starts (`encoding`), so one a restart cut short is found
 * and redone; its outcome, success or failure with FFmpeg's last lines and the fix, is written there too.
 */
import { execFile } from 'node:child_process';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type RecordingManifest, readManifest, writeManifest } from './manifest.js';

const run = promisify(execFile);

/** Formats a recording's audio can be encoded to. */
export const ENCODE_FORMATS = ['opus', 'mp3'] as const;
export type EncodeFormat = (typeof ENCODE_FORMATS)[number];

/** FFmpeg's encoder arguments per format: speech-grade bit rates, the WAV's own rate and channels. */
const CODEC_ARGS: Readonly<Record<EncodeFormat, readonly string[]>> = {
  opus: ['-c:a', 'libopus', '-b:a', '48k', '-application', 'voip'],
  mp3: ['-c:a', 'libmp3lame', '-q:a', '4'],
};

/** One encoding takes at most this long before it is killed and recorded as failed. */
export const ENCODE_TIMEOUT_MS = 10 * 60 * 1000;
/** Lines of FFmpeg's stderr kept in the manifest when it fails. */
const STDERR_LINES = 8;

/** An encoded copy, as the manifest lists it. */
export interface EncodedOutput {
  path: string;
  format: EncodeFormat;
  /** The WAV it was made from. */
  source: string;
  bytes: number;
  durationMs: number;
}

/** An encoding that did not happen, as the manifest lists it. */
export interface EncodeFailure {
  path: string;
  format: EncodeFormat;
  source: string;
  error: string;
  fix: string;
  stderr?: string[];
}

/** What the manifest says of encoding: asked for, in progress (a restart redoes it), or done. */
export interface EncodingState {
  formats: EncodeFormat[];
  state: 'pending' | 'done';
  outputs: EncodedOutput[];
  failures: EncodeFailure[];
}

export interface EncoderOptions {
  formats: readonly EncodeFormat[];
  /** Directory holding `ffmpeg` and `ffprobe`, or undefined for the PATH. */
  binDir?: string;
  /** Each recording encoded, with its manifest as rewritten. */
  onEncoded?: (dir: string, manifest: Partial<RecordingManifest>) => void;
  onError?: (dir: string, error: unknown) => void;
}

/** Encodes finished recordings one after the other. */
export class Encoder {
  private readonly options: EncoderOptions;
  private chain: Promise<void> = Promise.resolve();
  private readonly queued = new Set<string>();
  private closed = false;

  constructor(options: EncoderOptions) {
    this.options = options;
  }

  /** Queues `dir` (a finished recording); a folder already queued is not queued twice. */
  add(dir: string): Promise<void> {
    if (this.closed || this.queued.has(dir) || this.options.formats.length === 0) return this.chain;
    this.queued.add(dir);
    this.chain = this.chain
      .then(() => this.encode(dir))
      .catch((err: unknown) => this.options.onError?.(dir, err))
      .finally(() => this.queued.delete(dir));
    return this.chain;
  }

  /** Takes no more; the job under way finishes, those queued are left pending for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
  }

  private async encode(dir: string): Promise<void> {
    const read = await readManifest(dir);
    if (read.status !== 'ok' || read.manifest.endedAt === undefined) return;
    const manifest = read.manifest;
    const formats = [...this.options.formats];
    // Marked first: a restart that finds it pending does it again.
    manifest.encoding = { formats, state: 'pending', outputs: [], failures: [] };
    await writeManifest(dir, manifest);
    // Stopping: the job waits in the manifest for the next start rather than holding the stop up.
    if (this.closed) return;
    const wavs = (manifest.files ?? []).filter((f) => f.kind === 'audio' && f.path.endsWith('.wav'));
    const outputs: EncodedOutput[] = [];
    const failures: EncodeFailure[] = [];
    for (const wav of wavs) {
      for (const format of formats) {
        const path = wav.path.replace(/\.wav$/, `.${format}`);
        const result = await this.encodeOne(dir, wav.path, path, format);
        if ('error' in result) failures.push(result);
        else outputs.push(result);
      }
    }
    manifest.encoding = { formats, state: 'done', outputs, failures };
    await writeManifest(dir, manifest);
    this.options.onEncoded?.(dir, manifest);
  }

  private tool(name: 'ffmpeg' | 'ffprobe'): string {
    return this.options.binDir === undefined ? name : join(this.options.binDir, name);
  }

  private async encodeOne(
    dir: string,
    source: string,
    path: string,
    format: EncodeFormat,
  ): Promise<EncodedOutput | EncodeFailure> {
    const part = join(dir, `${path}.part`);
    const args = [
      '-nostdin',
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-i',
      join(dir, source),
      ...CODEC_ARGS[format],
      '-f',
      format === 'opus' ? 'opus' : 'mp3',
      part,
    ];
    try {
      await run(this.tool('ffmpeg'), args, { timeout: ENCODE_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 });
      await rename(part, join(dir, path));
    } catch (err) {
      await rm(part, { force: true });
      return { path, format, source, ...failureOf(err) };
    }
    const bytes = (await stat(join(dir, path))).size;
    return { path, format, source, bytes, durationMs: await this.durationMs(join(dir, path)) };
  }

  /**
   * How long the file plays, decoded: the container's own figure counts the encoder's padding (an MP3 at
   * 16 kHz reads some 80 ms long), a decoder that honours the gapless header does not.
   */
  private async durationMs(file: string): Promise<number> {
    const { stdout } = await run(
      this.tool('ffmpeg'),
      ['-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-progress', 'pipe:1', '-'],
      { timeout: ENCODE_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 },
    );
    const last = [...stdout.matchAll(/^out_time_us=(\d+)$/gm)].at(-1)?.[1];
    return last === undefined ? Number.NaN : Math.round(Number(last) / 1000);
  }
}

function failureOf(err: unknown): { error: string; fix: string; stderr?: string[] } {
  const e = err as NodeJS.ErrnoException & { stderr?: string; killed?: boolean };
  if (e.code === 'ENOENT') {
    return {
      error: 'FFmpeg is not installed (no ffmpeg on the PATH)',
      fix: 'install it (apt-get install ffmpeg); the WAV files are complete without it',
    };
  }
  const stderr = String(e.stderr ?? '')
    .trim()
    .split('\n')
    .filter(Boolean)
    .slice(-STDERR_LINES);
  return {
    error: e.killed
      ? `FFmpeg took longer than ${ENCODE_TIMEOUT_MS / 60_000} min`
      : `FFmpeg failed: ${e.message.split('\n')[0]}`,
    fix: 'run `rtmskit doctor` to check FFmpeg and its encoders (libopus, libmp3lame)',
    ...(stderr.length > 0 ? { stderr } : {}),
  };
}

/** A recording whose encoding a stop or a crash cut short: the next start queues it again. */
export function needsEncoding(manifest: Partial<RecordingManifest>): boolean {
  return manifest.endedAt !== undefined && manifest.encoding?.state === 'pending';
}
