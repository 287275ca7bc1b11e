/**
 * `meeting.mp4` and `deskshare.mp4`: a recording's camera video or screen share with its mixed audio, on
 * the audio's timeline. H.264 is copied as Zoom sent it, each frame at the time Zoom stamped it (through a
 * transport stream, see mpegts.ts), so a gap (camera off, a reconnect) holds the last picture; JPG and PNG
 * frames are encoded to H.264 at their frame times. The picture starts where it started in the meeting,
 * from the first frame a decoder can start at.
 */
import { open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jpegSize, NalType, nalTypes, pngSize } from '../../protocol/pictureFormats.js';
import type { ManifestFile, RecordingManifest } from '../manifest.js';
import type { PictureKind } from '../PictureTrack.js';
import { containerDurationMs, type FfmpegTools, failureOf, QUIET, runTool, toolPath } from './ffmpeg.js';
import { type IndexedFrame, isMixedWav, isWav, readFrameIndex } from './frameIndex.js';
import { MpegTsWriter } from './mpegts.js';
import type { EncodedOutput, EncodeFailure } from './types.js';

/** One MP4 to make: a picture track and the audio that goes with it. */
export interface Mp4Job {
  path: string;
  kind: PictureKind;
  /** The track's file (`video.h264`) or folder of pictures (`video/`). */
  source: ManifestFile;
  /** The track's base name (`video`, `video.run2`): its index is `<name>/frames.jsonl`. */
  name: string;
  /** WAV files of the run: the mixed one, or every speaker's to be mixed. */
  audio: ManifestFile[];
}

/** Output names by picture kind. */
const OUTPUT_BASE: Readonly<Record<PictureKind, string>> = { video: 'meeting', deskshare: 'deskshare' };
const KIND_WORDS: Readonly<Record<PictureKind, string>> = {
  video: 'camera video',
  deskshare: 'screen share',
};

/** AAC for the audio of every MP4: what every player plays. */
const AUDIO_CODEC_ARGS = ['-c:a', 'aac', '-b:a', '96k'] as const;
/**
 * Stills become H.264 at a quality that keeps slides legible; without B-frames, so every picture is
 * decoded in the order it is shown, as Zoom's own H.264 is.
 */
const PICTURE_CODEC_ARGS = [
  '-c:v',
  'libx264',
  '-preset',
  'veryfast',
  '-crf',
  '23',
  '-bf',
  '0',
  '-pix_fmt',
  'yuv420p',
] as const;
/** The last picture is shown at least this long when nothing says how long. */
const MIN_LAST_PICTURE_MS = 200;
/** TS packets are handed to FFmpeg in chunks of about this size. */
const CHUNK_BYTES = 256 * 1024;

const FIX =
  'run `rtmskit doctor` to check FFmpeg and its encoders (libx264, aac); the video track itself is complete';

/** The MP4s a recording's files make, and those it cannot (no picture track of that kind). */
export function planMp4s(manifest: Partial<RecordingManifest>): {
  jobs: Mp4Job[];
  skipped: { path: string; reason: string }[];
} {
  const files = manifest.files ?? [];
  const mixed = files.find(isMixedWav);
  const audio = mixed === undefined ? files.filter(isWav) : [mixed];
  const jobs: Mp4Job[] = [];
  const skipped: { path: string; reason: string }[] = [];
  for (const kind of ['video', 'deskshare'] as const) {
    const tracks = files.filter((f) => f.kind === kind);
    const source = tracks.find((f) => f.path.endsWith('.h264')) ?? tracks.find((f) => f.path.endsWith('/'));
    if (source === undefined) {
      skipped.push({ path: `${OUTPUT_BASE[kind]}.mp4`, reason: `the stream had no ${KIND_WORDS[kind]}` });
      continue;
    }
    const name = source.path.endsWith('/') ? source.path.slice(0, -1) : source.path.replace(/\.h264$/, '');
    const suffix = name.slice(kind.length);
    jobs.push({ path: `${OUTPUT_BASE[kind]}${suffix}.mp4`, kind, source, name, audio });
  }
  return { jobs, skipped };
}

export interface Mp4Context extends FfmpegTools {
  dir: string;
  /** Byte 0 of the WAV files on the frames' clock (the manifest's `timelineOriginMs`). */
  originMs: number | null;
  timeoutMs: number;
}

/** Makes one MP4 (through a `.part` file renamed once complete). */
export async function makeMp4(job: Mp4Job, ctx: Mp4Context): Promise<EncodedOutput | EncodeFailure> {
  const part = join(ctx.dir, `${job.path}.part`);
  const base = { path: job.path, format: 'mp4' as const, source: job.source.path };
  const h264 = job.source.path.endsWith('.h264');
  let plan: VideoInput | string;
  try {
    plan = h264 ? await h264Input(job, ctx) : await pictureInput(job, ctx);
  } catch (err) {
    return { ...base, error: `the ${job.source.path} index could not be read: ${String(err)}`, fix: FIX };
  }
  if (typeof plan === 'string')
    return { ...base, error: plan, fix: 'nothing to do: the track has no frame to show' };
  const originMs = ctx.originMs ?? plan.firstMs;
  const startMs = plan.firstMs - originMs;
  // The later of the two starts is delayed; FFmpeg otherwise moves each input to 0.
  const videoDelay = startMs > 0 ? ['-itsoffset', seconds(startMs)] : [];
  const audioDelay = startMs < 0 ? ['-itsoffset', seconds(-startMs)] : [];
  const audioInputs = job.audio.flatMap((f) => [...audioDelay, '-i', join(ctx.dir, f.path)]);
  const audioMap =
    job.audio.length === 0
      ? ['-an']
      : job.audio.length === 1
        ? ['-map', '1:a:0', ...AUDIO_CODEC_ARGS]
        : [
            '-filter_complex',
            `${job.audio.map((_, i) => `[${i + 1}:a]`).join('')}amix=inputs=${job.audio.length}:duration=longest:normalize=0[mix]`,
            '-map',
            '[mix]',
            ...AUDIO_CODEC_ARGS,
          ];
  const args = [
    ...QUIET,
    ...(plan.stdin === undefined ? ['-nostdin'] : []),
    ...videoDelay,
    ...plan.input,
    ...audioInputs,
    '-map',
    '0:v:0',
    ...plan.codec,
    ...audioMap,
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    part,
  ];
  try {
    await runTool(toolPath(ctx, 'ffmpeg'), args, {
      timeoutMs: ctx.timeoutMs,
      ...(plan.stdin === undefined ? {} : { stdin: plan.stdin }),
    });
    await rename(part, join(ctx.dir, job.path));
  } catch (err) {
    await rm(part, { force: true });
    return { ...base, ...failureOf(err, FIX) };
  } finally {
    if (plan.cleanup !== undefined) await rm(plan.cleanup, { force: true });
  }
  const file = join(ctx.dir, job.path);
  return {
    ...base,
    ...(job.audio.length === 0 ? {} : { audioSources: job.audio.map((f) => f.path) }),
    bytes: (await stat(file)).size,
    durationMs: await containerDurationMs(ctx, file, ctx.timeoutMs),
    video: { codec: 'h264', startMs: Math.round(startMs), frames: plan.frames, reencoded: !h264 },
  };
}

/** How FFmpeg reads a picture track: its input arguments, codec arguments and what it needs. */
interface VideoInput {
  input: string[];
  codec: readonly string[];
  stdin?: AsyncIterable<Buffer>;
  /** A file to remove afterwards. */
  cleanup?: string;
  /** The timestamp of the first frame shown (frames' clock, ms). */
  firstMs: number;
  frames: number;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/**
 * Zoom's H.264 frames from the first one a decoder can start at (an IDR), fed to FFmpeg as a transport
 * stream with their timestamps; timestamps that do not increase are nudged 1 ms past the one before.
 */
async function h264Input(job: Mp4Job, ctx: Mp4Context): Promise<VideoInput | string> {
  const file = job.source.path;
  const frames = (await readFrameIndex(join(ctx.dir, job.name, 'frames.jsonl'))).filter(
    (f): f is IndexedFrame & { offset: number; bytes: number } =>
      f.file === file && typeof f.offset === 'number' && typeof f.bytes === 'number' && f.bytes > 0,
  );
  const handle = await open(join(ctx.dir, file), 'r');
  const read = async (f: { offset: number; bytes: number }): Promise<Buffer> => {
    const data = Buffer.allocUnsafe(f.bytes);
    const { bytesRead } = await handle.read(data, 0, f.bytes, f.offset);
    return data.subarray(0, bytesRead);
  };
  let first = -1;
  try {
    for (let i = 0; i < frames.length && first < 0; i++) {
      const frame = frames[i];
      if (frame !== undefined && nalTypes(await read(frame)).includes(NalType.IDR)) first = i;
    }
  } catch (err) {
    await handle.close();
    throw err;
  }
  const start = frames[first];
  if (start === undefined) {
    await handle.close();
    return `${file} has no frame a decoder can start at (no IDR among ${frames.length} frames)`;
  }
  const shown = frames.slice(first);
  async function* stream(): AsyncIterable<Buffer> {
    const writer = new MpegTsWriter();
    let chunk: Buffer[] = [];
    let size = 0;
    let last = Number.NEGATIVE_INFINITY;
    try {
      for (const frame of shown) {
        const data = await read(frame);
        const at = Math.max(frame.timestamp - (start?.timestamp ?? 0), last + 1);
        last = at;
        const packets = writer.frame(at, data, nalTypes(data).includes(NalType.IDR));
        chunk.push(packets);
        size += packets.length;
        if (size >= CHUNK_BYTES) {
          yield Buffer.concat(chunk);
          chunk = [];
          size = 0;
        }
      }
      if (chunk.length > 0) yield Buffer.concat(chunk);
    } finally {
      await handle.close();
    }
  }
  return {
    input: ['-f', 'mpegts', '-i', 'pipe:0'],
    codec: ['-c:v', 'copy'],
    stdin: stream(),
    firstMs: start.timestamp,
    frames: shown.length,
  };
}

/**
 * JPG or PNG frames through FFmpeg's concat demuxer, each shown until the next (the last until the audio
 * ends), scaled to the first picture's size so a picture of another size cannot stop the encoder.
 */
async function pictureInput(job: Mp4Job, ctx: Mp4Context): Promise<VideoInput | string> {
  const present = new Set((await readdir(join(ctx.dir, job.name))).map((f) => `${job.name}/${f}`));
  const frames = (await readFrameIndex(join(ctx.dir, job.name, 'frames.jsonl'))).filter(
    (f): f is IndexedFrame & { file: string } => typeof f.file === 'string' && present.has(f.file),
  );
  const first = frames[0];
  if (first === undefined) return `${job.source.path} has no picture`;
  const originMs = ctx.originMs ?? first.timestamp;
  const audioEndMs = originMs + Math.max(0, ...job.audio.map((f) => f.durationMs ?? 0));
  const lines = ['ffconcat version 1.0'];
  let shown = 0;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i] as IndexedFrame & { file: string };
    const next = frames[i + 1];
    if (next !== undefined && next.timestamp <= frame.timestamp) continue;
    const durationMs =
      next === undefined
        ? Math.max(audioEndMs - frame.timestamp, MIN_LAST_PICTURE_MS)
        : next.timestamp - frame.timestamp;
    lines.push(`file '${frame.file.replace(/'/g, "'\\''")}'`, `duration ${seconds(durationMs)}`);
    shown++;
  }
  const list = join(ctx.dir, `${job.path}.ffconcat.part`);
  await writeFile(list, `${lines.join('\n')}\n`, 'utf8');
  const size = await pictureSize(join(ctx.dir, first.file));
  const scale =
    size === undefined ? 'scale=trunc(iw/2)*2:trunc(ih/2)*2' : `scale=${even(size[0])}:${even(size[1])}`;
  return {
    input: ['-f', 'concat', '-safe', '0', '-i', list],
    codec: [...PICTURE_CODEC_ARGS, '-vf', scale, '-fps_mode', 'passthrough'],
    cleanup: list,
    firstMs: first.timestamp,
    frames: shown,
  };
}

function even(n: number): number {
  return Math.max(2, n - (n % 2));
}

async function pictureSize(file: string): Promise<readonly [number, number] | undefined> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const data = head.subarray(0, bytesRead);
    return jpegSize(data) ?? pngSize(data);
  } finally {
    await handle.close();
  }
}
