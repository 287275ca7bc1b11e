/**
 * Audio Zoom sent as G.722 or Opus, decoded by FFmpeg into a WAV on the recording's timeline once the
 * stream ended: each packet is placed at its timestamp (from the track's index), gaps are silence, and
 * the file starts at the timeline origin and ends with the other audio, like every WAV of a recording.
 * The packets stay as received beside it.
 */
import { type FileHandle, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { OPUS_RATE, opusPacketSamples } from '../../protocol/opus.js';
import type { ManifestFile, RecordingManifest } from '../manifest.js';
import { pcmDurationMs, WAV_HEADER_BYTES, WavWriter } from '../WavWriter.js';
import { type FfmpegTools, failureOf, QUIET, runTool, toolPath } from './ffmpeg.js';
import { type IndexedFrame, isWav, readFrameIndex } from './frameIndex.js';
import { OggOpusWriter } from './oggOpus.js';
import type { EncodedOutput, EncodeFailure } from './types.js';

/** G.722 is 16 kHz audio at 64 kbit/s: two samples per byte. */
const G722_RATE = 16_000;
const G722_SAMPLES_PER_BYTE = 2;
const BYTES_PER_SAMPLE = 2;
/** The WAV writer is waited for after about this many bytes, so a long track never fills memory. */
const FLUSH_BYTES = 4 * 1024 * 1024;

const FIX = 'run `rtmskit doctor` to check FFmpeg; the packets are kept as received with their index';

type Indexed = IndexedFrame & { offset: number; bytes: number };

/** How one codec is decoded. */
interface Codec {
  name: string;
  rate: (channels: number) => number;
  /** Samples per channel a packet of this codec decodes to. */
  samples: (packet: Buffer) => number;
  /**
   * FFmpeg's input arguments and the stream fed to its stdin when it reads one; `samples` gets each
   * frame's sample count by the time FFmpeg is done, so the packets are not read a second time.
   */
  input: (
    raw: string,
    frames: readonly Indexed[],
    read: Reader,
    channels: number,
  ) => {
    args: string[];
    stdin?: AsyncIterable<Buffer>;
    samples: number[];
  };
}

type Reader = (frame: Indexed) => Promise<Buffer>;

const CODECS: Readonly<Record<string, Codec>> = {
  g722: {
    name: 'G.722',
    rate: () => G722_RATE,
    samples: (packet) => packet.length * G722_SAMPLES_PER_BYTE,
    // A byte stream: each frame's samples follow from its length in the index.
    input: (raw, frames) => ({
      args: ['-nostdin', '-f', 'g722', '-i', raw],
      samples: frames.map((f) => f.bytes * G722_SAMPLES_PER_BYTE),
    }),
  },
  opus: {
    name: 'Opus',
    rate: () => OPUS_RATE,
    samples: opusPacketSamples,
    input: (_raw, frames, read, channels) => {
      const samples: number[] = [];
      return {
        args: ['-f', 'ogg', '-i', 'pipe:0'],
        stdin: oggStream(frames, read, channels, samples),
        samples,
      };
    },
  },
};

/** The frames as an Ogg Opus stream; each packet's sample count is pushed to `samples` as it is read. */
async function* oggStream(
  frames: readonly Indexed[],
  read: Reader,
  channels: number,
  samples: number[],
): AsyncIterable<Buffer> {
  const writer = new OggOpusWriter(channels);
  yield writer.headers();
  for (let i = 0; i < frames.length; i++) {
    const packet = await read(frames[i] as Indexed);
    samples.push(opusPacketSamples(packet));
    yield writer.packet(packet, i === frames.length - 1);
  }
}

/** The raw audio tracks of a recording that can be decoded. */
export function rawAudioToDecode(files: readonly ManifestFile[]): ManifestFile[] {
  return files.filter(
    (f) => f.kind === 'audio' && f.path.endsWith('.raw') && f.codec !== undefined && f.codec in CODECS,
  );
}

export interface DecodeContext extends FfmpegTools {
  dir: string;
  timeoutMs: number;
}

/** Decodes every raw audio track of `manifest`: the outcome of each, and the WAVs' manifest entries. */
export async function decodeRawAudio(
  manifest: Partial<RecordingManifest>,
  ctx: DecodeContext,
): Promise<{ results: (EncodedOutput | EncodeFailure)[]; files: ManifestFile[] }> {
  const raws = rawAudioToDecode(manifest.files ?? []);
  const results: (EncodedOutput | EncodeFailure)[] = [];
  const files: ManifestFile[] = [];
  if (raws.length === 0) return { results, files };
  const tracks = await Promise.all(raws.map((raw) => loadTrack(raw, ctx.dir)));
  const origin =
    manifest.timelineOriginMs ?? Math.min(...tracks.map((t) => t.frames[0]?.timestamp ?? Infinity));
  // Every WAV ends where the latest audio ends, decoded or not.
  let endMs = manifest.timelineEndMs ?? Number.NEGATIVE_INFINITY;
  for (const f of manifest.files ?? []) {
    if (isWav(f) && f.durationMs !== undefined) endMs = Math.max(endMs, origin + f.durationMs);
  }
  for (const t of tracks) endMs = Math.max(endMs, t.endMs);
  for (const track of tracks) {
    const result = await decodeTrack(track, { ...ctx, originMs: origin, endMs });
    results.push(result.output);
    if (result.file !== undefined) files.push(result.file);
  }
  return { results, files };
}

interface Track {
  raw: ManifestFile;
  codec: Codec;
  channels: number;
  frames: Indexed[];
  /** Where its last packet ends (frames' clock, ms), from the packets' own lengths. */
  endMs: number;
  wav: string;
}

async function loadTrack(raw: ManifestFile, dir: string): Promise<Track> {
  const codec = CODECS[raw.codec ?? ''] as Codec;
  const channels = raw.channels ?? 1;
  const wav = raw.path.replace(/\.[a-z0-9]+\.raw$/, '.wav');
  let frames: Indexed[] = [];
  try {
    frames = (await readFrameIndex(join(dir, raw.path.replace(/\.raw$/, '.jsonl')))).filter(
      (f): f is Indexed => typeof f.offset === 'number' && typeof f.bytes === 'number' && f.bytes > 0,
    );
  } catch {
    // No index: the failure is reported when the track is decoded.
  }
  let endMs = Number.NEGATIVE_INFINITY;
  const last = frames.at(-1);
  if (last !== undefined) {
    const handle = await open(join(dir, raw.path), 'r').catch(() => undefined);
    if (handle !== undefined) {
      try {
        const data = await readAt(handle, last);
        endMs = last.timestamp + (codec.samples(data) * 1000) / codec.rate(channels);
      } finally {
        await handle.close();
      }
    }
  }
  return { raw, codec, channels, frames, endMs, wav };
}

async function readAt(handle: FileHandle, frame: Indexed): Promise<Buffer> {
  const data = Buffer.allocUnsafe(frame.bytes);
  const { bytesRead } = await handle.read(data, 0, frame.bytes, frame.offset);
  return data.subarray(0, bytesRead);
}

async function decodeTrack(
  track: Track,
  ctx: DecodeContext & { originMs: number; endMs: number },
): Promise<{ output: EncodedOutput | EncodeFailure; file?: ManifestFile }> {
  const { raw, codec, channels, frames, wav } = track;
  const base = { path: wav, format: 'wav' as const, source: raw.path };
  if (frames.length === 0) {
    return {
      output: {
        ...base,
        error: `${raw.path} has no index of its packets`,
        fix: 'nothing to decode: the track is empty or its index was lost',
      },
    };
  }
  const rate = codec.rate(channels);
  const pcmPath = join(ctx.dir, `${wav}.pcm.part`);
  const wavPart = join(ctx.dir, `${wav}.part`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(join(ctx.dir, raw.path), 'r');
    const rawFile = handle;
    const input = codec.input(join(ctx.dir, raw.path), frames, (f) => readAt(rawFile, f), channels);
    await runTool(
      toolPath(ctx, 'ffmpeg'),
      [...QUIET, ...input.args, '-f', 's16le', '-ar', String(rate), '-ac', String(channels), pcmPath],
      { timeoutMs: ctx.timeoutMs, ...(input.stdin === undefined ? {} : { stdin: input.stdin }) },
    );
    const placed = await placePackets(track, input.samples, pcmPath, wavPart, rate, ctx);
    await rename(wavPart, join(ctx.dir, wav));
    const bytes = (await stat(join(ctx.dir, wav))).size;
    const durationMs = pcmDurationMs(bytes - WAV_HEADER_BYTES, rate, channels);
    const file: ManifestFile = {
      path: wav,
      kind: 'audio',
      ...(raw.userId === undefined ? {} : { userId: raw.userId }),
      ...(raw.userName === undefined ? {} : { userName: raw.userName }),
      ...(raw.channelId === undefined ? {} : { channelId: raw.channelId }),
      codec: 'L16',
      decodedFrom: codec.name,
      sampleRate: rate,
      channels,
      bytes,
      durationMs,
      counters: placed.counters,
      ...(placed.shortMs > 0
        ? {
            note: `FFmpeg decoded ${placed.shortMs} ms less than the packets hold: damaged packets are silence`,
          }
        : {}),
    };
    return { output: { ...base, bytes, durationMs }, file };
  } catch (err) {
    await rm(wavPart, { force: true });
    return { output: { ...base, ...failureOf(err, FIX) } };
  } finally {
    await handle?.close();
    await rm(pcmPath, { force: true });
  }
}

/**
 * Cuts the decoded PCM back into packets (`samples`: what each decodes to, as its codec states) and places
 * each at its timestamp in a WAV.
 */
async function placePackets(
  track: Track,
  samples: readonly number[],
  pcmPath: string,
  wavPath: string,
  rate: number,
  ctx: { originMs: number; endMs: number },
): Promise<{ counters: Record<string, number>; shortMs: number }> {
  const { channels, frames } = track;
  const pcm = await open(pcmPath, 'r');
  const writer = new WavWriter(wavPath, { sampleRate: rate, channels, originMs: ctx.originMs });
  const frameBytes = channels * BYTES_PER_SAMPLE;
  let at = 0;
  let shortBytes = 0;
  let unflushed = 0;
  try {
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i] as Indexed;
      const want = (samples[i] ?? 0) * frameBytes;
      if (want === 0) continue;
      const data = Buffer.alloc(want);
      const { bytesRead } = await pcm.read(data, 0, want, at);
      at += bytesRead;
      shortBytes += want - bytesRead;
      writer.write(frame.timestamp, data);
      unflushed += want;
      if (unflushed >= FLUSH_BYTES) {
        await writer.flush();
        unflushed = 0;
      }
    }
    writer.padTo(ctx.endMs);
    const counters = await writer.finalize();
    return {
      counters: { ...counters },
      shortMs: Math.round((shortBytes * 1000) / (rate * frameBytes)),
    };
  } finally {
    await writer.finalize().catch(() => undefined);
    await pcm.close();
  }
}
