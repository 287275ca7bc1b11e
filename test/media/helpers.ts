/**
 * Shared pieces of the media tests: temporary folders, synthetic PCM frames and a byte-wise WAV reader.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { AudioFrame } from '../../src/client/events.js';
import { Codec } from '../../src/protocol/enums.js';

/** Temporary folders of one test file, removed by {@link TempDirs.cleanup}. */
export class TempDirs {
  private readonly dirs: string[] = [];

  async make(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'rtmskit-media-'));
    this.dirs.push(dir);
    return dir;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** 16 kHz mono, 20 ms: 320 samples, 640 bytes. */
export const RATE = 16_000;
export const FRAME_MS = 20;
export const FRAME_BYTES = (RATE / 1000) * FRAME_MS * 2;

/** `ms` of mono PCM16 whose every sample is `value` (never 0, so silence is told apart). */
export function pcm(ms: number, value = 1000, rate = RATE, channels = 1): Buffer {
  const samples = Math.round((rate * ms) / 1000) * channels;
  const buf = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) buf.writeInt16LE(value, i * 2);
  return buf;
}

/** An L16 audio frame as the stream client emits it. */
export function audioFrame(timestamp: number, userId = 0, value = 1000, ms = FRAME_MS): AudioFrame {
  return {
    data: pcm(ms, value),
    userId,
    userName: userId === 0 ? undefined : `Speaker ${userId}`,
    timestamp,
    sampleRate: RATE,
    channels: 1,
    codec: Codec.L16,
    channelId: undefined,
  };
}

export interface WavFile {
  riff: string;
  riffSize: number;
  wave: string;
  fmtId: string;
  fmtSize: number;
  format: number;
  channels: number;
  sampleRate: number;
  byteRate: number;
  blockAlign: number;
  bits: number;
  dataId: string;
  dataSize: number;
  fileBytes: number;
  data: Buffer;
}

/** Reads the canonical 44-byte header field by field. */
export function parseWav(buf: Buffer): WavFile {
  return {
    riff: buf.toString('ascii', 0, 4),
    riffSize: buf.readUInt32LE(4),
    wave: buf.toString('ascii', 8, 12),
    fmtId: buf.toString('ascii', 12, 16),
    fmtSize: buf.readUInt32LE(16),
    format: buf.readUInt16LE(20),
    channels: buf.readUInt16LE(22),
    sampleRate: buf.readUInt32LE(24),
    byteRate: buf.readUInt32LE(28),
    blockAlign: buf.readUInt16LE(32),
    bits: buf.readUInt16LE(34),
    dataId: buf.toString('ascii', 36, 40),
    dataSize: buf.readUInt32LE(40),
    fileBytes: buf.length,
    data: buf.subarray(44),
  };
}

export async function readWav(path: string): Promise<WavFile> {
  return parseWav(await readFile(path));
}

/** The samples of a mono PCM16 buffer. */
export function samplesOf(data: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < data.length; i += 2) out.push(data.readInt16LE(i));
  return out;
}

/** Lines of a JSONL file, parsed. */
export async function readJsonl<T = Record<string, unknown>>(path: string): Promise<T[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as T);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The header fields of a 16 kHz mono L16 WAV file (sizes aside). */
export const L16_MONO_16K_HEADER = {
  riff: 'RIFF',
  wave: 'WAVE',
  fmtId: 'fmt ',
  fmtSize: 16,
  format: 1,
  channels: 1,
  sampleRate: 16_000,
  byteRate: 32_000,
  blockAlign: 2,
  bits: 16,
  dataId: 'data',
} as const;

/** The files of a recording of audio, transcripts and chat. */
export const AUDIO_TEXT_FILES = [
  'audio.wav',
  'chat.jsonl',
  'events.jsonl',
  'transcript.jsonl',
  'transcript.srt',
  'transcript.vtt',
] as const;

/** Checks that a manifest lists exactly `paths` and that each listed file has the size it states. */
export async function expectManifestFiles(
  folder: string,
  files: readonly { path: string; bytes: number }[],
  paths: readonly string[],
): Promise<void> {
  expect(files.map((f) => f.path).sort()).toEqual([...paths].sort());
  for (const file of files) expect((await stat(join(folder, file.path))).size, file.path).toBe(file.bytes);
}
