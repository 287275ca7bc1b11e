/**
 * WavWriter: header bytes, the timestamp timeline (gaps, jitter, overlaps, origin), the periodic header
 * rewrite, the bounded queue, and repairWav on files left by a killed process.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBudget } from '../../src/media/queue.js';
import { repairWav, WavWriter, wavHeader } from '../../src/media/WavWriter.js';
import { RTMS_ERROR_CODES, RtmsError } from '../../src/protocol/errors.js';
import {
  FRAME_BYTES,
  L16_MONO_16K_HEADER,
  pcm,
  RATE,
  readWav,
  samplesOf,
  sleep,
  TempDirs,
} from './helpers.js';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

async function wavPath(name = 'a.wav'): Promise<string> {
  return join(await temp.make(), name);
}

describe('WavWriter header', () => {
  it('writes every header field of a finished mono file', async () => {
    const path = await wavPath();
    const writer = await WavWriter.create(path, { sampleRate: RATE, channels: 1 });
    writer.write(0, pcm(20));
    writer.write(20, pcm(20));
    writer.write(40, pcm(20));
    await writer.finalize();
    const wav = await readWav(path);
    expect(wav).toMatchObject({
      ...L16_MONO_16K_HEADER,
      riffSize: 36 + 3 * FRAME_BYTES,
      dataSize: 3 * FRAME_BYTES,
      fileBytes: 44 + 3 * FRAME_BYTES,
    });
  });

  it('writes the format of a 48 kHz stereo file', async () => {
    const path = await wavPath();
    const writer = await WavWriter.create(path, { sampleRate: 48_000, channels: 2 });
    writer.write(0, pcm(20, 5, 48_000, 2));
    await writer.finalize();
    const wav = await readWav(path);
    expect([wav.channels, wav.sampleRate, wav.byteRate, wav.blockAlign, wav.bits]).toEqual([
      2, 48_000, 192_000, 4, 16,
    ]);
    expect(wav.dataSize).toBe(3840);
    expect(wav.fileBytes).toBe(44 + 3840);
  });

  it('refuses a sample rate or channel count it cannot write', () => {
    for (const options of [
      { sampleRate: 0, channels: 1 },
      { sampleRate: 16_000.5, channels: 1 },
      { sampleRate: 16_000, channels: 0 },
    ]) {
      let caught: unknown;
      try {
        new WavWriter('/nonexistent/never-opened.wav', options);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(RtmsError);
      expect((caught as RtmsError).code).toBe(RTMS_ERROR_CODES.INVALID_OPTIONS);
    }
  });

  it('rejects create() when the file cannot be made', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, 'plain'), 'x');
    await expect(
      WavWriter.create(join(dir, 'plain', 'a.wav'), { sampleRate: RATE, channels: 1 }),
    ).rejects.toThrow(/ENOTDIR|EEXIST/);
  });
});

describe('WavWriter timeline', () => {
  it('fills a timestamp gap with silence: frames at 0, 20, 40 and 100 ms', async () => {
    const path = await wavPath();
    const writer = await WavWriter.create(path, { sampleRate: RATE, channels: 1 });
    writer.write(0, pcm(20, 1000));
    writer.write(20, pcm(20, 2000));
    writer.write(40, pcm(20, 3000));
    writer.write(100, pcm(20, 4000));
    const counters = await writer.finalize();
    const gapBytes = 40 * 32;
    expect(counters).toMatchObject({
      frames: 4,
      gapsFilled: 1,
      silenceMs: 40,
      bytes: 4 * FRAME_BYTES + gapBytes,
    });
    const wav = await readWav(path);
    expect(wav.dataSize).toBe(4 * FRAME_BYTES + gapBytes);
    expect(wav.fileBytes).toBe(44 + 4 * FRAME_BYTES + gapBytes);
    const samples = samplesOf(wav.data);
    expect(samples.slice(0, 320).every((s) => s === 1000)).toBe(true);
    expect(samples.slice(320, 640).every((s) => s === 2000)).toBe(true);
    expect(samples.slice(640, 960).every((s) => s === 3000)).toBe(true);
    expect(samples.slice(960, 1600).every((s) => s === 0)).toBe(true);
    expect(samples.slice(1600).every((s) => s === 4000)).toBe(true);
    expect(samples).toHaveLength(1920);
  });

  it('absorbs jitter below half a frame without adding or removing audio', async () => {
    const path = await wavPath();
    const writer = await WavWriter.create(path, { sampleRate: RATE, channels: 1 });
    for (const t of [0, 23, 38, 61, 79]) writer.write(t, pcm(20));
    const counters = await writer.finalize();
    expect(counters).toMatchObject({ frames: 5, gapsFilled: 0, overlapDropped: 0, bytes: 5 * FRAME_BYTES });
    expect((await readWav(path)).dataSize).toBe(5 * FRAME_BYTES);
  });

  it('drops the part of a frame that overlaps audio already written', async () => {
    const path = await wavPath();
    const writer = await WavWriter.create(path, { sampleRate: RATE, channels: 1 });
    writer.write(0, pcm(20, 1000));
    writer.write(20, pcm(20, 2000));
    // Ends at 40 ms; this one starts at 25: its first 15 ms (240 samples) overlap.
    expect(writer.write(25, pcm(20, 3000))).toBe(true);
    // Entirely inside what is written: dropped whole.
    expect(writer.write(0, pcm(20, 4000))).toBe(false);
    const counters = await writer.finalize();
    expect(counters.overlapDropped).toBe(240 * 2 + FRAME_BYTES);
    expect(counters.frames).toBe(3);
    const wav = await readWav(path);
    expect(wav.dataSize).toBe(2 * FRAME_BYTES + 80 * 2);
    const samples = samplesOf(wav.data);
    expect(samples.slice(0, 320).every((s) => s === 1000)).toBe(true);
    expect(samples.slice(320, 640).every((s) => s === 2000)).toBe(true);
    expect(samples.slice(640)).toEqual(new Array(80).fill(3000));
  });

  it('starts with silence when the first frame comes after originMs, and cuts audio before it', async () => {
    const path = await wavPath();
    const writer = await WavWriter.create(path, { sampleRate: RATE, channels: 1, originMs: 1000 });
    writer.write(1100, pcm(20, 500));
    const counters = await writer.finalize();
    expect(counters).toMatchObject({ gapsFilled: 1, silenceMs: 100, bytes: 100 * 32 + FRAME_BYTES });
    const samples = samplesOf((await readWav(path)).data);
    expect(samples.slice(0, 1600).every((s) => s === 0)).toBe(true);
    expect(samples.slice(1600)).toEqual(new Array(320).fill(500));

    const early = await wavPath('early.wav');
    const cut = await WavWriter.create(early, { sampleRate: RATE, channels: 1, originMs: 1000 });
    cut.write(985, pcm(20, 700));
    expect((await cut.finalize()).overlapDropped).toBe(240 * 2);
    expect(samplesOf((await readWav(early)).data)).toEqual(new Array(80).fill(700));
  });

  it('ignores a trailing partial sample frame', async () => {
    const path = await wavPath();
    const writer = await WavWriter.create(path, { sampleRate: RATE, channels: 2 });
    writer.write(0, Buffer.alloc(4 * 10 + 3, 1));
    expect((await writer.finalize()).bytes).toBe(40);
    expect((await readWav(path)).dataSize).toBe(40);
  });
});

describe('WavWriter while open', () => {
  it('rewrites the header sizes within about a second', async () => {
    const path = await wavPath();
    const writer = await WavWriter.create(path, { sampleRate: RATE, channels: 1 });
    for (let i = 0; i < 5; i++) writer.write(i * 20, pcm(20));
    await writer.flush();
    const before = await readWav(path);
    expect(before.dataSize).toBe(0);
    expect(before.fileBytes).toBe(44 + 5 * FRAME_BYTES);
    await sleep(1_300);
    const after = await readWav(path);
    expect(after.dataSize).toBeGreaterThan(0);
    expect(after.dataSize).toBeLessThanOrEqual(after.fileBytes - 44);
    expect(after.dataSize).toBe(5 * FRAME_BYTES);
    expect(after.riffSize).toBe(36 + after.dataSize);
    await writer.finalize();
  });

  it('drops and counts frames over the queue bound; their slots stay silent', async () => {
    const path = await wavPath();
    const writer = await WavWriter.create(path, { sampleRate: RATE, channels: 1, maxQueueBytes: 1_000 });
    const accepted = Array.from({ length: 10 }, (_, i) => writer.write(i * 20, pcm(20, 900)));
    expect(accepted).toEqual([true, false, false, false, false, false, false, false, false, false]);
    const counters = await writer.finalize();
    expect(counters).toMatchObject({
      frames: 1,
      dropped: 9,
      droppedBytes: 9 * FRAME_BYTES,
      bytes: 10 * FRAME_BYTES,
    });
    const wav = await readWav(path);
    expect(wav.dataSize).toBe(10 * FRAME_BYTES);
    expect(wav.fileBytes).toBe(44 + 10 * FRAME_BYTES);
    const samples = samplesOf(wav.data);
    expect(samples.slice(0, 320).every((s) => s === 900)).toBe(true);
    expect(samples.slice(320).every((s) => s === 0)).toBe(true);
  });

  it('shares a memory budget between writers', async () => {
    const budget = new MemoryBudget(1_000);
    const a = await WavWriter.create(await wavPath('a.wav'), { sampleRate: RATE, channels: 1, budget });
    const b = await WavWriter.create(await wavPath('b.wav'), { sampleRate: RATE, channels: 1, budget });
    expect(a.write(0, pcm(20))).toBe(true);
    expect(b.write(0, pcm(20))).toBe(false);
    await Promise.all([a.finalize(), b.finalize()]);
    expect(b.counters.dropped).toBe(1);
    expect(budget.usedBytes).toBe(0);
  });

  it('finalizes once; writes after finalize are dropped and counted', async () => {
    const path = await wavPath();
    const writer = await WavWriter.create(path, { sampleRate: RATE, channels: 1 });
    writer.write(0, pcm(20));
    const first = writer.finalize();
    expect(writer.finalize()).toBe(first);
    expect(writer.write(20, pcm(20))).toBe(false);
    const counters = await first;
    expect(counters.bytes).toBe(FRAME_BYTES);
    expect(counters.dropped).toBe(1);
    expect((await stat(path)).size).toBe(44 + FRAME_BYTES);
  });
});

describe('a killed writer', () => {
  const fixture = fileURLToPath(new URL('./fixtures/killedWriter.ts', import.meta.url));

  it('leaves a playable file, header at most ~1 s behind, that repairWav fixes', async () => {
    const path = await wavPath();
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('writing')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`the writer exited early with ${code}`)));
    });
    child.kill('SIGKILL');
    await exited;
    const wav = await readWav(path);
    expect(wav).toMatchObject({ riff: 'RIFF', wave: 'WAVE', format: 1, sampleRate: RATE, bits: 16 });
    expect(wav.dataSize).toBeGreaterThan(0);
    expect(wav.dataSize).toBeLessThanOrEqual(wav.fileBytes - 44);
    // One rewrite interval of 16 kHz mono (32,000 B/s), plus a few frames of timer slack.
    expect(wav.fileBytes - 44 - wav.dataSize).toBeLessThanOrEqual(32_000 + 10 * FRAME_BYTES);
    const dataBytes = wav.fileBytes - 44 - ((wav.fileBytes - 44) % 2);
    expect(await repairWav(path)).toEqual({ repaired: wav.dataSize !== dataBytes, dataBytes });
    expect((await readWav(path)).dataSize).toBe(dataBytes);
  });
});

describe('repairWav', () => {
  it('fixes the sizes of a file left by a killed process and cuts the odd trailing byte', async () => {
    const path = await wavPath();
    await writeFile(path, Buffer.concat([wavHeader(RATE, 1, 0), Buffer.alloc(1001, 7)]));
    expect(await repairWav(path)).toEqual({ repaired: true, dataBytes: 1000 });
    const wav = await readWav(path);
    expect(wav.dataSize).toBe(1000);
    expect(wav.riffSize).toBe(1036);
    expect(wav.fileBytes).toBe(1044);
    expect(wav.data.every((b) => b === 7)).toBe(true);
    expect(await repairWav(path)).toEqual({ repaired: false, dataBytes: 1000 });
  });

  it('fixes a header that is behind the data, keeping whole stereo frames', async () => {
    const path = await wavPath();
    await writeFile(path, Buffer.concat([wavHeader(48_000, 2, 200), Buffer.alloc(1003, 1)]));
    expect(await repairWav(path)).toEqual({ repaired: true, dataBytes: 1000 });
    expect((await readWav(path)).dataSize).toBe(1000);
    expect((await stat(path)).size).toBe(1044);
  });

  it('leaves a finished file with a trailing LIST chunk alone', async () => {
    const path = await wavPath();
    const list = Buffer.alloc(8 + 4);
    list.write('LIST', 0, 'ascii');
    list.writeUInt32LE(4, 4);
    list.write('INFO', 8, 'ascii');
    const file = Buffer.concat([wavHeader(RATE, 1, 100), Buffer.alloc(100, 3), list]);
    file.writeUInt32LE(file.length - 8, 4);
    await writeFile(path, file);
    expect(await repairWav(path)).toEqual({ repaired: false, dataBytes: 100 });
    expect(await readFile(path)).toEqual(file);
  });

  it('refuses files that are not RIFF/WAVE PCM16', async () => {
    const dir = await temp.make();
    const text = join(dir, 'notes.wav');
    await writeFile(text, 'this is not audio, just some text that is long enough');
    const eightBit = join(dir, 'eight.wav');
    const header = wavHeader(RATE, 1, 0);
    header.writeUInt16LE(8, 34);
    await writeFile(eightBit, Buffer.concat([header, Buffer.alloc(10)]));
    const float = join(dir, 'float.wav');
    const floatHeader = wavHeader(RATE, 1, 0);
    floatHeader.writeUInt16LE(3, 20);
    await writeFile(float, Buffer.concat([floatHeader, Buffer.alloc(10)]));
    for (const [path, reason] of [
      [text, /no RIFF\/WAVE header/],
      [eightBit, /8 bits per sample/],
      [float, /format tag 3/],
    ] as const) {
      const err = await repairWav(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RtmsError);
      expect((err as RtmsError).code).toBe(RTMS_ERROR_CODES.INVALID_OPTIONS);
      expect((err as RtmsError).message).toMatch(/is not a PCM16 WAV file/);
      expect((err as RtmsError).message).toMatch(reason);
    }
    expect(await readFile(text, 'utf8')).toBe('this is not audio, just some text that is long enough');
  });
});
