/**
 * Post-processing of finished recordings, after the stream ended and off the media path, one recording
 * at a time per {@link Encoder}: audio Zoom sent as G.722 or Opus decoded to WAV, per-speaker WAVs mixed
 * into `audio.wav` (layout `both`), then the copies
 * `RTMSKIT_ENCODE` asks for (Opus and MP3 of every WAV, MP4 of video and screen share). The job is marked
 * in the manifest before it starts (`encoding.state` `pending`), so one a restart cut short is found and
 * redone; every output, and every failure with FFmpeg's last lines and the fix, is written there too.
 */
import { type ManifestFile, type RecordingManifest, readManifest, writeManifest } from '../manifest.js';
import { makeAudioCopy } from './audioCopies.js';
import { decodeRawAudio, rawAudioToDecode } from './decodeAudio.js';
import type { FfmpegTools } from './ffmpeg.js';
import { mixSpeakers, speakersToMix } from './mixAudio.js';
import { makeMp4, planMp4s } from './mp4.js';
import type { EncodedOutput, EncodeFailure, EncodeFormat, EncodingState } from './types.js';

/** A job may take this long, plus as long as the recording lasted, before FFmpeg is stopped. */
export const ENCODE_TIMEOUT_MS = 10 * 60 * 1000;

export interface EncoderOptions extends FfmpegTools {
  /** Copies to make; decoding G.722 and Opus is done whatever this holds. */
  formats: readonly EncodeFormat[];
  /** Each recording post-processed, with its manifest as rewritten. */
  onEncoded?: (dir: string, manifest: Partial<RecordingManifest>) => void;
  onError?: (dir: string, error: unknown) => void;
}

/** True when `manifest` (a finished recording) has something for an encoder with `formats` to make. */
export function hasEncodingWork(
  manifest: Partial<RecordingManifest>,
  formats: readonly EncodeFormat[],
): boolean {
  if (manifest.endedAt === undefined) return false;
  if (rawAudioToDecode(manifest.files ?? []).length > 0 || speakersToMix(manifest).length > 0) return true;
  const files = manifest.files ?? [];
  if ((formats.includes('opus') || formats.includes('mp3')) && files.some(isWav)) return true;
  return formats.includes('mp4');
}

/** A recording whose post-processing a stop or a crash cut short: the next start queues it again. */
export function needsEncoding(manifest: Partial<RecordingManifest>): boolean {
  return manifest.endedAt !== undefined && manifest.encoding?.state === 'pending';
}

function isWav(file: ManifestFile): boolean {
  return file.kind === 'audio' && file.path.endsWith('.wav');
}

/** Post-processes finished recordings one after the other. */
export class Encoder {
  private readonly options: EncoderOptions;
  private chain: Promise<void> = Promise.resolve();
  private readonly queued = new Set<string>();
  private closed = false;

  constructor(options: EncoderOptions) {
    this.options = options;
  }

  get formats(): readonly EncodeFormat[] {
    return this.options.formats;
  }

  /** Queues `dir` (a finished recording); a folder already queued is not queued twice. */
  add(dir: string): Promise<void> {
    if (this.closed || this.queued.has(dir)) return this.chain;
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
    if (read.status !== 'ok') return;
    const manifest = read.manifest;
    const formats = [...this.options.formats];
    if (!hasEncodingWork(manifest, formats) && !needsEncoding(manifest)) return;
    // Files an earlier, interrupted pass added are made again from their sources.
    const made = new Set(manifest.encoding?.outputs.map((o) => o.path));
    manifest.files = (manifest.files ?? []).filter(
      (f) => !(made.has(f.path) && (f.decodedFrom !== undefined || f.mixedFrom !== undefined)),
    );
    // Marked first: a restart that finds it pending does it again.
    manifest.encoding = { formats, state: 'pending', outputs: [], failures: [] };
    await writeManifest(dir, manifest);
    // Stopping: the job waits in the manifest for the next start rather than holding the stop up.
    if (this.closed) return;
    const state = await this.process(dir, manifest, formats);
    manifest.encoding = state;
    await writeManifest(dir, manifest);
    this.options.onEncoded?.(dir, manifest);
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
    const decoded = await decodeRawAudio(manifest, ctx);
    decoded.results.forEach(record);
    manifest.files = [...(manifest.files ?? []), ...decoded.files];
    const speakers = speakersToMix(manifest);
    if (speakers.length > 0) {
      const mixed = await mixSpeakers(speakers, ctx);
      record(mixed.output);
      if (mixed.file !== undefined) manifest.files.push(mixed.file);
    }
    const wavs = manifest.files.filter(isWav);
    for (const wav of wavs) {
      for (const format of formats) {
        if (format === 'opus' || format === 'mp3') record(await makeAudioCopy(wav.path, format, ctx));
      }
    }
    const skipped: { path: string; reason: string }[] = [];
    if (formats.includes('mp4')) {
      const plan = planMp4s(manifest);
      skipped.push(...plan.skipped);
      const originMs = manifest.timelineOriginMs ?? null;
      for (const job of plan.jobs) record(await makeMp4(job, { ...ctx, originMs }));
    }
    return { formats, state: 'done', outputs, failures, ...(skipped.length > 0 ? { skipped } : {}) };
  }
}
