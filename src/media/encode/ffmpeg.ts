/**
 * FFmpeg and ffprobe as child processes: spawned with an argument array (never a shell string), input
 * streamed to stdin with back-pressure, a time limit, and the last lines of stderr kept for the manifest
 * when they fail.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { basename, join } from 'node:path';
import { isRtmsError, RTMS_ERROR_CODES, RtmsError } from '../../protocol/errors.js';

/** Lines of FFmpeg's stderr kept when it fails. */
const STDERR_LINES = 8;
/** Bytes of stdout and of stderr kept (the tail of stderr, the head of stdout). */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** Where `ffmpeg` and `ffprobe` are: a directory, or the PATH. */
export interface FfmpegTools {
  binDir?: string | undefined;
}

export function toolPath(tools: FfmpegTools, name: 'ffmpeg' | 'ffprobe'): string {
  return tools.binDir === undefined ? name : join(tools.binDir, name);
}

/** How a run failed, as the `reason` of its `TOOL_FAILED` error. */
export type ToolFailureKind = 'missing' | 'timeout' | 'failed';

/** A failed run: `TOOL_FAILED`, with the kind as `reason` and FFmpeg's last stderr lines as `cause`. */
function toolFailed(message: string, kind: ToolFailureKind, stderr: string[]): RtmsError {
  return new RtmsError(RTMS_ERROR_CODES.TOOL_FAILED, message, { reason: kind, cause: { stderr } });
}

/** The last stderr lines a `TOOL_FAILED` error carries. */
function stderrOf(err: RtmsError): string[] {
  const cause = err.cause as { stderr?: unknown } | undefined;
  return Array.isArray(cause?.stderr) ? (cause.stderr as string[]) : [];
}

export interface RunOptions {
  timeoutMs: number;
  /** Written to the child's stdin, then stdin is closed; without it stdin is closed at once. */
  stdin?: AsyncIterable<Buffer>;
}

/**
 * Runs `tool` with `args` and resolves with its stdout once it exits 0.
 *
 * @throws RtmsError `TOOL_FAILED` with `reason` `missing` (not installed), `timeout` (killed after
 * `timeoutMs`) or `failed`.
 */
export async function runTool(tool: string, args: readonly string[], options: RunOptions): Promise<string> {
  const child = spawn(tool, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    if (stdout.length < MAX_OUTPUT_BYTES) stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-MAX_OUTPUT_BYTES);
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs);
  timer.unref();
  const exited = new Promise<{ code: number | null; error?: NodeJS.ErrnoException }>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, error }));
    child.once('close', (code) => resolve({ code }));
  });
  // A child that exits before reading all its input closes the pipe: that is its answer, not ours.
  child.stdin.on('error', () => undefined);
  const feeding = feed(child.stdin, options.stdin, exited);
  const { code, error } = await exited;
  clearTimeout(timer);
  await feeding;
  const lines = stderr.trim().split('\n').filter(Boolean).slice(-STDERR_LINES);
  const name = basename(tool);
  if (error?.code === 'ENOENT') throw toolFailed(`${name} is not installed`, 'missing', []);
  if (error !== undefined) throw toolFailed(`${name} could not start: ${error.message}`, 'failed', []);
  if (timedOut)
    throw toolFailed(`${name} took longer than ${Math.round(options.timeoutMs / 1000)} s`, 'timeout', lines);
  if (code !== 0) throw toolFailed(`${name} exited with code ${code}`, 'failed', lines);
  return stdout;
}

/** Writes `input` to the child's stdin, waiting for it to drain, until the input ends or the child exits. */
async function feed(
  stdin: NodeJS.WritableStream,
  input: AsyncIterable<Buffer> | undefined,
  exited: Promise<unknown>,
): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  try {
    if (input !== undefined) {
      for await (const chunk of input) {
        if (gone) break;
        if (!stdin.write(chunk)) await Promise.race([once(stdin, 'drain'), exited]);
      }
    }
  } catch {
    // The child went away (its exit status says why) or the input failed (the child sees a short file).
  } finally {
    stdin.end();
  }
}

/** FFmpeg's arguments common to every run: quiet but for errors, overwrite, no prompt. */
export const QUIET = ['-hide_banner', '-loglevel', 'error', '-y'] as const;

/**
 * How long a file plays, decoded (ms): the container's own figure counts an encoder's padding (an MP3 at
 * 16 kHz reads some 80 ms long), a decoder that honours the gapless header does not.
 */
export async function decodedDurationMs(
  tools: FfmpegTools,
  file: string,
  timeoutMs: number,
): Promise<number> {
  const stdout = await runTool(
    toolPath(tools, 'ffmpeg'),
    ['-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-progress', 'pipe:1', '-'],
    { timeoutMs },
  );
  const last = [...stdout.matchAll(/^out_time_us=(\d+)$/gm)].at(-1)?.[1];
  return last === undefined ? Number.NaN : Math.round(Number(last) / 1000);
}

/**
 * A container's duration as ffprobe reads it (ms); without a working ffprobe, how long FFmpeg decodes
 * it to (slower for video, same answer).
 */
export async function containerDurationMs(
  tools: FfmpegTools,
  file: string,
  timeoutMs: number,
): Promise<number> {
  try {
    const stdout = await runTool(
      toolPath(tools, 'ffprobe'),
      ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file],
      { timeoutMs },
    );
    const ms = Math.round(Number(stdout.trim()) * 1000);
    if (Number.isFinite(ms)) return ms;
  } catch {
    // Decoded below.
  }
  return decodedDurationMs(tools, file, timeoutMs);
}

/** An output's failure for the manifest: what happened, the fix, and FFmpeg's last words. */
export function failureOf(err: unknown, fix: string): { error: string; fix: string; stderr?: string[] } {
  if (isRtmsError(err, RTMS_ERROR_CODES.TOOL_FAILED)) {
    if (err.reason === 'missing') {
      return {
        error: 'FFmpeg is not installed (no ffmpeg on the PATH)',
        fix: 'install it (apt-get install ffmpeg); the WAV and video files are complete without it',
      };
    }
    const stderr = stderrOf(err);
    return { error: `FFmpeg failed: ${err.message}`, fix, ...(stderr.length > 0 ? { stderr } : {}) };
  }
  return { error: `FFmpeg failed: ${err instanceof Error ? err.message : String(err)}`, fix };
}

/** Time `ffmpeg -version` may take before FFmpeg is taken to be unusable. */
const VERSION_TIMEOUT_MS = 10_000;

/** FFmpeg's first line of `-version`, or undefined when it is not installed or does not run. */
export async function ffmpegVersion(
  tools: FfmpegTools,
  timeoutMs = VERSION_TIMEOUT_MS,
): Promise<string | undefined> {
  try {
    const stdout = await runTool(toolPath(tools, 'ffmpeg'), ['-version'], { timeoutMs });
    return stdout.split('\n')[0]?.trim();
  } catch {
    return undefined;
  }
}
