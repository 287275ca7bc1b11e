/**
 * Post-processing of finished recordings, after the stream ended and off the media path, a bounded number
 * of recordings at a time per {@link Encoder} (one by default): audio Zoom sent as G.722 or Opus decoded
 * to WAV, per-speaker WAVs mixed into `audio.wav` (layout `both`), then the copies `RTMSKIT_ENCODE` asks
 * for (Opus and MP3 of every WAV, MP4 of video and screen share). The job is marked in the manifest before
 * it starts (`encoding.state` `pending`), so one a restart cut short is found and redone; every output,
 * and every failure with FFmpeg's last lines and the fix, is written there too.
 */
import { type RecordingManifest, readManifest, writeManifest } from '../manifest.js';
import { makeAudioCopy } from './audioCopies.js';
import { decodeRawAudio, rawAudioToDecode } from './decodeAudio.js';
import { type FfmpegTools, failureOf } from './ffmpeg.js';
import { isWav } from './frameIndex.js';
import { mixSpeakers, speakersToMix } from './mixAudio.js';
import { makeMp4, planMp4s } from './mp4.js';
import type { EncodedOutput, EncodeFailure, EncodeFormat, EncodingState } from './types.js';

/** The fix of a step that failed for another cause than FFmpeg's own (its message says which). */
const STEP_FIX =
  'check the recording folder and `rtmskit doctor`; the next start does not redo a finished job';

/** A job may take this long, plus as long as the recording lasted, before FFmpeg is stopped. */
export const ENCODE_TIMEOUT_MS = 10 * 60 * 1000;

export interface EncoderOptions extends FfmpegTools {
  /** Copies to make; decoding G.722 and Opus is done whatever this holds. */
  formats: readonly EncodeFormat[];
  /** Recordings processed at once (default 1): each runs FFmpeg, which may use several cores itself. */
  concurrency?: number;
  /** Each recording post-processed, with its manifest as rewritten. */
  onEncoded?: (dir: string, manifest: Partial<RecordingManifest>) => void;
  onError?: (dir: string, error: unknown) => void;
}

/** True when one run's files have something for an encoder with `formats` to make. */
function runHasWork(run: Partial<RecordingManifest>, formats: readonly EncodeFormat[]): boolean {
  if (run.endedAt === undefined) return false;
  if (rawAudioToDecode(run.files ?? []).length > 0 || speakersToMix(run).length > 0) return true;
  const files = run.files ?? [];
  if ((formats.includes('opus') || formats.includes('mp3')) && files.some(isWav)) return true;
  return formats.includes('mp4');
}

/**
 * Earlier runs in the folder (a stream resumed after a restart or a hand-over) that were never
 * post-processed: the run that ends the stream makes their files too.
 */
function earlierRunsToDo(
  manifest: Partial<RecordingManifest>,
  formats: readonly EncodeFormat[],
): Partial<RecordingManifest>[] {
  return (manifest.previousRuns ?? []).filter(
    (run) => run.encoding?.state !== 'done' && runHasWork(run, formats),
  );
}

/**
 * True when `manifest` (a finished recording) has something for an encoder with `formats` to make, in
 * its own run or an earlier one.
 */
export function hasEncodingWork(
  manifest: Partial<RecordingManifest>,
  formats: readonly EncodeFormat[],
): boolean {
  if (manifest.endedAt === undefined) return false;
  return runHasWork(manifest, formats) || earlierRunsToDo(manifest, formats).length > 0;
}

/** A recording whose post-processing a stop or a crash cut short: the next start queues it again. */
export function needsEncoding(manifest: Partial<RecordingManifest>): boolean {
  return manifest.endedAt !== undefined && manifest.encoding?.state === 'pending';
}

/** Post-processes finished recordings, at most `concurrency` at a time. */
export class Encoder {
  private readonly options: EncoderOptions;
  private readonly concurrency: number;
  /** Folders queued or being processed: one is never queued twice. */
  private readonly queued = new Set<string>();
  private readonly waiting: { dir: string; done: () => void }[] = [];
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(options: EncoderOptions) {
    this.options = options;
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  }

  get formats(): readonly EncodeFormat[] {
    return this.options.formats;
  }

  /**
   * Queues `dir` (a finished recording); a folder already queued is not queued twice. Resolves when its
   * job is done, or left pending by {@link Encoder.close}.
   */
  add(dir: string): Promise<void> {
    if (this.closed || this.queued.has(dir)) return Promise.resolve();
    this.queued.add(dir);
    return new Promise((done) => {
      this.waiting.push({ dir, done });
      this.startJobs();
    });
  }

  /**
   * Takes no more; the jobs under way finish, those queued are marked pending in their manifests for the
   * next start.
   */
  async close(): Promise<void> {
    this.closed = true;
    const left = this.waiting.splice(0);
    await Promise.all([
      ...this.running,
      ...left.map(async ({ dir, done }) => {
        await this.markPending(dir).catch((err: unknown) => this.options.onError?.(dir, err));
        this.queued.delete(dir);
        done();
      }),
    ]);
  }

  private startJobs(): void {
    while (!this.closed && this.running.size < this.concurrency) {
      const next = this.waiting.shift();
      if (next === undefined) return;
      const job: Promise<void> = this.encode(next.dir)
        .catch((err: unknown) => this.options.onError?.(next.dir, err))
        .finally(() => {
          this.running.delete(job);
          this.queued.delete(next.dir);
          next.done();
          this.startJobs();
        });
      this.running.add(job);
    }
  }

  private async encode(dir: string): Promise<void> {
    const marked = await this.markPending(dir);
    // Stopping: the job waits in the manifest for the next start rather than holding the stop up.
    if (marked === undefined || this.closed) return;
    const { manifest, formats, earlier } = marked;
    for (const run of earlier) run.encoding = await this.process(dir, run, formats);
    manifest.encoding = await this.process(dir, manifest, formats);
    await writeManifest(dir, manifest);
    this.options.onEncoded?.(dir, manifest);
  }

  /**
   * Marks the recording's post-processing pending in its manifest (a restart that finds it so does it
   * again), with what an earlier, interrupted pass added taken out to be made again; undefined when
   * there is nothing to do.
   */
  private async markPending(dir: string): Promise<
    | {
        manifest: Partial<RecordingManifest>;
        formats: EncodeFormat[];
        earlier: Partial<RecordingManifest>[];
      }
    | undefined
  > {
    const read = await readManifest(dir);
    if (read.status !== 'ok') return undefined;
    const manifest = read.manifest;
    const formats = [...this.options.formats];
    if (!hasEncodingWork(manifest, formats) && !needsEncoding(manifest)) return undefined;
    const earlier = earlierRunsToDo(manifest, formats);
    for (const run of [...earlier, manifest]) {
      const made = new Set(run.encoding?.outputs.map((o) => o.path));
      run.files = (run.files ?? []).filter(
        (f) => !(made.has(f.path) && (f.decodedFrom !== undefined || f.mixedFrom !== undefined)),
      );
      run.encoding = { formats, state: 'pending', outputs: [], failures: [] };
    }
    await writeManifest(dir, manifest);
    return { manifest, formats, earlier };
  }

  private async process(
    dir: string,
    manifest: Partial<RecordingManifest>,
    formats: EncodeFormat[],
  ): Promise<EncodingState> {
    const durationMs = Date.parse(manifest.endedAt ?? '') - Date.parse(manifest.startedAt ?? '');
    const ctx = {
      dir,
      timeoutMs: ENCODE_TIMEOUT_MS + (Number.isFinite(durationMs) ? Math.max(0, durationMs) : 0),
      ...(this.options.binDir === undefined ? {} : { binDir: this.options.binDir }),
    };
    const outputs: EncodedOutput[] = [];
    const failures: EncodeFailure[] = [];
    const record = (result: EncodedOutput | EncodeFailure) => {
      if ('error' in result) failures.push(result);
      else outputs.push(result);
    };
    /** Runs one step; what it throws (a file gone, a probe that failed) is that output's failure. */
    const step = async (
      what: Pick<EncodeFailure, 'path' | 'format' | 'source'>,
      run: () => Promise<void>,
    ) => {
      try {
        await run();
      } catch (err) {
        failures.push({ ...what, ...failureOf(err, STEP_FIX) });
      }
    };
    const files = manifest.files ?? [];
    manifest.files = files;
    await step({ path: 'audio (decoded)', format: 'wav', source: 'raw audio' }, async () => {
      const decoded = await decodeRawAudio(manifest, ctx);
      decoded.results.forEach(record);
      files.push(...decoded.files);
    });
    const speakers = speakersToMix(manifest);
    if (speakers.length > 0) {
      await step({ path: 'audio.wav', format: 'wav', source: speakers[0]?.path ?? '' }, async () => {
        const mixed = await mixSpeakers(speakers, ctx);
        record(mixed.output);
        if (mixed.file !== undefined) files.push(mixed.file);
      });
    }
    for (const wav of files.filter(isWav)) {
      for (const format of formats) {
        if (format !== 'opus' && format !== 'mp3') continue;
        const path = wav.path.replace(/\.wav$/, `.${format}`);
        await step({ path, format, source: wav.path }, async () =>
          record(await makeAudioCopy(wav.path, format, ctx)),
        );
      }
    }
    const skipped: { path: string; reason: string }[] = [];
    if (formats.includes('mp4')) {
      const plan = planMp4s(manifest);
      skipped.push(...plan.skipped);
      const originMs = manifest.timelineOriginMs ?? null;
      for (const job of plan.jobs) {
        await step({ path: job.path, format: 'mp4', source: job.source.path }, async () =>
          record(await makeMp4(job, { ...ctx, originMs })),
        );
      }
    }
    return { formats, state: 'done', outputs, failures, ...(skipped.length > 0 ? { skipped } : {}) };
  }
}
