/**
 * Recording end to end with synthetic frames: mixed and per-speaker audio on one timeline, raw codecs,
 * pictures, transcript, chat, events, the manifest (partial and final), idempotent finalize, runs.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AudioFrame } from '../../src/client/events.js';
import type { RecordingManifest } from '../../src/media/manifest.js';
import { Recording, type RecordingOptions } from '../../src/media/Recording.js';
import { Codec } from '../../src/protocol/enums.js';
import { decodeAlaw, encodeAlaw } from '../../src/protocol/g711.js';
import {
  AUDIO_TEXT_FILES,
  audioFrame,
  FRAME_BYTES,
  readJsonl,
  readWav,
  samplesOf,
  sleep,
  TempDirs,
} from './helpers.js';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

const T0 = 1_700_000_000_000;
const REF = { streamId: 'stream-1', product: 'meeting' as const, instanceId: 'uuid/A+==', meetingId: '123' };

async function recordingIn(options: Partial<RecordingOptions> = {}) {
  const dir = join(await temp.make(), 'rec');
  const recording = new Recording({
    dir,
    ref: REF,
    startedAt: T0 - 5_000,
    now: () => T0 + 60_000,
    ...options,
  });
  return { dir, recording };
}

async function manifestOf(dir: string): Promise<RecordingManifest> {
  return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as RecordingManifest;
}

async function waitForFile(path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (
      await stat(path).then(
        () => true,
        () => false,
      )
    )
      return;
    await sleep(5);
  }
  throw new Error(`${path} never appeared`);
}

describe('Recording, mixed audio', () => {
  it('writes every kind of data and a complete manifest', async () => {
    const { dir, recording } = await recordingIn();
    // Sent before the folder exists: held, then written.
    recording.audio(audioFrame(T0, 0, 1000));
    recording.audio(audioFrame(T0 + 20, 0, 2000));
    recording.audio(audioFrame(T0 + 40, 0, 3000));
    recording.audio(audioFrame(T0 + 100, 0, 4000));
    recording.video({
      data: Buffer.from([0xff, 0xd8, 1, 0xff, 0xd9]),
      codec: Codec.JPG,
      timestamp: T0,
      userId: 5,
      userName: 'A',
    });
    recording.transcript({
      text: 'Hello <everyone>',
      userId: 5,
      userName: 'Alice',
      startTime: T0 + 1_000,
      endTime: T0 + 2_500,
      timestamp: T0 + 1_000,
      language: 9,
      attribute: undefined,
      channelId: undefined,
    });
    recording.chat({
      text: 'hi',
      userId: 5,
      userName: 'Alice',
      timestamp: T0 + 3_000,
      structured: undefined,
    });
    recording.event('participantJoin', { participants: [{ userId: 5, userName: 'Alice' }], timestamp: T0 });
    recording.event('reconnected', { scope: 'media', kinds: ['audio'], downtimeMs: 300, attempts: 2 });
    recording.setMediaParams({ audio: { sample_rate: 1, channel: 1, codec: 1 } });

    await recording.ready();
    await waitForFile(join(dir, 'manifest.json'));
    const partial = await manifestOf(dir);
    expect(partial.endedAt).toBeUndefined();
    expect(partial.run).toBe(1);

    const manifest = await recording.finalize({ reason: 'stopped', stopReason: 6 });
    expect(recording.finalize()).toBe(recording.finalize());

    const wav = await readWav(join(dir, 'audio.wav'));
    expect(wav.dataSize).toBe(4 * FRAME_BYTES + 40 * 32);
    const samples = samplesOf(wav.data);
    expect(samples[0]).toBe(1000);
    expect(samples.slice(960, 1600).every((s) => s === 0)).toBe(true);
    expect(samples[1600]).toBe(4000);

    expect(await readFile(join(dir, 'video', '000001.jpg'))).toEqual(
      Buffer.from([0xff, 0xd8, 1, 0xff, 0xd9]),
    );
    expect(await readFile(join(dir, 'transcript.vtt'), 'utf8')).toBe(
      'WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n<v Alice>Hello &lt;everyone&gt;\n',
    );
    expect(await readFile(join(dir, 'transcript.srt'), 'utf8')).toBe(
      '1\n00:00:01,000 --> 00:00:02,500\nAlice: Hello <everyone>\n',
    );
    expect(await readJsonl(join(dir, 'chat.jsonl'))).toEqual([
      { text: 'hi', userId: 5, userName: 'Alice', timestamp: T0 + 3_000 },
    ]);
    const events = await readJsonl(join(dir, 'events.jsonl'));
    expect(events.map((e) => e.kind)).toEqual(['participantJoin', 'reconnected']);
    expect(events[0]).toEqual({
      time: new Date(T0 + 60_000).toISOString(),
      kind: 'participantJoin',
      data: { participants: [{ userId: 5, userName: 'Alice' }], timestamp: T0 },
    });

    const onDisk = await manifestOf(dir);
    expect(onDisk).toEqual(manifest);
    expect(manifest).toMatchObject({
      version: 1,
      streamId: 'stream-1',
      product: 'meeting',
      instanceId: 'uuid/A+==',
      meetingId: '123',
      run: 1,
      startedAt: new Date(T0 - 5_000).toISOString(),
      endedAt: new Date(T0 + 60_000).toISOString(),
      endReason: 'stopped',
      stopReason: 6,
      stopReasonName: 'MEETING_ENDED',
      audioLayout: 'auto',
      timelineOriginMs: T0,
      transcriptOriginMs: T0,
      mediaParams: { audio: { sample_rate: 1, channel: 1, codec: 1 } },
      errors: [],
    });
    expect(manifest.counters).toEqual({
      frames: { audio: 4, video: 1, deskshare: 0, transcript: 1, chat: 1 },
      events: 2,
      written: { audio: 4, video: 1, deskshare: 0, transcript: 1, chat: 1, events: 2 },
      unwritten: { audio: 0, video: 0, deskshare: 0, transcript: 0, chat: 0, events: 0 },
      gapsFilled: 1,
      silenceMs: 40,
      overlapDropped: 0,
      overlapFrames: 0,
      emptyFrames: 0,
      dropped: 0,
      droppedBytes: 0,
      formatMismatch: 0,
      afterEnd: 0,
      lostWhenKilled: 0,
      reconnects: 1,
    });
    const byPath = new Map(manifest.files.map((f) => [f.path, f]));
    expect([...byPath.keys()].sort()).toEqual([...AUDIO_TEXT_FILES, 'video/'].sort());
    expect(byPath.get('audio.wav')).toMatchObject({
      kind: 'audio',
      userId: 0,
      codec: 'L16',
      sampleRate: 16_000,
      channels: 1,
      bytes: 44 + 4 * FRAME_BYTES + 40 * 32,
    });
    for (const file of manifest.files) {
      if (!file.path.endsWith('/')) expect(file.bytes).toBe((await stat(join(dir, file.path))).size);
    }
    expect(byPath.get('video/')).toMatchObject({ kind: 'video', bytes: 5, files: 1 });
  });

  it('ignores data after finalize and keeps the first result', async () => {
    const { dir, recording } = await recordingIn();
    recording.audio(audioFrame(T0));
    const first = await recording.finalize({ reason: 'closed' });
    recording.audio(audioFrame(T0 + 20));
    recording.event('late', {});
    const again = await recording.finalize({ reason: 'other' });
    expect(again).toBe(first);
    expect(again.endReason).toBe('closed');
    expect(again.counters.frames.audio).toBe(1);
    expect((await readWav(join(dir, 'audio.wav'))).dataSize).toBe(FRAME_BYTES);
    expect(await readdir(dir)).not.toContain('events.jsonl');
  });
});

describe('Recording, per-speaker audio', () => {
  it('lines every speaker up on the stream origin', async () => {
    const { dir, recording } = await recordingIn();
    recording.audio(audioFrame(T0, 1, 100));
    recording.audio(audioFrame(T0 + 20, 1, 100));
    recording.audio(audioFrame(T0 + 40, 1, 100));
    recording.audio(audioFrame(T0 + 100, 2, 200));
    recording.audio(audioFrame(T0 + 120, 2, 200));
    const manifest = await recording.finalize();
    expect((await readdir(dir)).filter((f) => f.endsWith('.wav')).sort()).toEqual([
      'audio-1.wav',
      'audio-2.wav',
    ]);
    const one = samplesOf((await readWav(join(dir, 'audio-1.wav'))).data);
    const two = samplesOf((await readWav(join(dir, 'audio-2.wav'))).data);
    // Speaker 1 stopped at 60 ms; the file is padded to the stream's last audio, at 140 ms.
    expect(one).toEqual([...new Array(960).fill(100), ...new Array(1280).fill(0)]);
    // 100 ms after the origin: 1,600 samples of silence, then speaker 2.
    expect(two).toHaveLength(1600 + 640);
    expect(two.slice(0, 1600).every((s) => s === 0)).toBe(true);
    expect(two.slice(1600).every((s) => s === 200)).toBe(true);
    expect(manifest.timelineOriginMs).toBe(T0);
    expect(manifest.counters).toMatchObject({ gapsFilled: 1, silenceMs: 100 });
    expect(manifest.files.find((f) => f.path === 'audio-2.wav')).toMatchObject({
      userId: 2,
      userName: 'Speaker 2',
      bytes: 44 + 2 * 1600 + 2 * FRAME_BYTES,
    });
  });

  it('per-speaker layout names user 0 too; mixed layout notes per-speaker frames', async () => {
    const a = await recordingIn({ audioLayout: 'per-speaker' });
    a.recording.audio(audioFrame(T0, 0));
    await a.recording.finalize();
    expect((await readdir(a.dir)).filter((f) => f.endsWith('.wav'))).toEqual(['audio-0.wav']);

    const b = await recordingIn({ audioLayout: 'mixed' });
    b.recording.audio(audioFrame(T0, 0));
    b.recording.audio(audioFrame(T0, 3));
    const manifest = await b.recording.finalize();
    expect((await readdir(b.dir)).filter((f) => f.endsWith('.wav')).sort()).toEqual([
      'audio-3.wav',
      'audio.wav',
    ]);
    expect(manifest.notes.some((n) => n.includes('frames came per speaker'))).toBe(true);
  });

  it('writes other codecs raw with an index and a note, and drops frames of another format', async () => {
    const { dir, recording } = await recordingIn();
    const opus = (timestamp: number, bytes: number[]): AudioFrame => ({
      ...audioFrame(timestamp, 5),
      data: Buffer.from(bytes),
      codec: Codec.OPUS,
      sampleRate: 48_000,
      channels: 2,
    });
    recording.audio(opus(T0, [1, 2, 3]));
    recording.audio(opus(T0 + 20, [4, 5]));
    recording.audio({ ...opus(T0 + 40, [6]), sampleRate: 16_000 });
    const manifest = await recording.finalize();
    expect(await readFile(join(dir, 'audio-5.opus.raw'))).toEqual(Buffer.from([1, 2, 3, 4, 5]));
    expect(await readJsonl(join(dir, 'audio-5.opus.jsonl'))).toEqual([
      { n: 1, timestamp: T0, offset: 0, bytes: 3 },
      { n: 2, timestamp: T0 + 20, offset: 3, bytes: 2 },
    ]);
    expect(manifest.counters.formatMismatch).toBe(1);
    expect(manifest.files.find((f) => f.path === 'audio-5.opus.raw')).toMatchObject({
      codec: 'opus',
      sampleRate: 48_000,
      channels: 2,
      bytes: 5,
    });
    expect(manifest.notes.some((n) => n.includes('stored as received'))).toBe(true);
  });

  it('decodes G.711 A-law into a 16-bit PCM WAV a player opens', async () => {
    const { dir, recording } = await recordingIn();
    const pcm = Buffer.alloc(320);
    for (let i = 0; i < 160; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin(i / 5)), i * 2);
    const alaw = encodeAlaw(pcm);
    const g711 = (timestamp: number): AudioFrame => ({
      ...audioFrame(timestamp, 5),
      data: alaw,
      codec: Codec.G711,
      sampleRate: 8_000,
      channels: 1,
    });
    recording.audio(g711(T0));
    recording.audio(g711(T0 + 20));
    const manifest = await recording.finalize();
    const wav = await readFile(join(dir, 'audio-5.wav'));
    expect(wav.readUInt16LE(20)).toBe(1);
    expect(wav.readUInt32LE(24)).toBe(8_000);
    expect(wav.readUInt16LE(34)).toBe(16);
    const data = wav.subarray(44);
    expect(data).toEqual(Buffer.concat([decodeAlaw(alaw), decodeAlaw(alaw)]));
    // Within A-law's quantisation step of the original samples.
    for (let i = 0; i < 160; i++)
      expect(Math.abs(data.readInt16LE(i * 2) - pcm.readInt16LE(i * 2))).toBeLessThan(512);
    expect(manifest.files.find((f) => f.path === 'audio-5.wav')).toMatchObject({
      codec: 'L16',
      decodedFrom: 'G.711 A-law',
      sampleRate: 8_000,
      durationMs: 40,
    });
    expect(manifest.files.some((f) => f.path.endsWith('.raw'))).toBe(false);
  });
});

describe('Recording, runs and failures', () => {
  it('continues a finished recording in the same folder as run 2', async () => {
    const { dir, recording } = await recordingIn();
    recording.audio(audioFrame(T0, 0, 1));
    recording.chat({ text: 'one', userId: 1, userName: 'A', timestamp: T0, structured: undefined });
    await recording.finalize({ reason: 'lost' });

    const second = new Recording({ dir, ref: REF, startedAt: T0 + 100_000 });
    second.audio(audioFrame(T0 + 100_000, 0, 2));
    second.chat({ text: 'two', userId: 1, userName: 'A', timestamp: T0 + 100_000, structured: undefined });
    const manifest = await second.finalize({ reason: 'stopped' });
    expect(manifest.run).toBe(2);
    expect(manifest.previousRuns).toHaveLength(1);
    expect(manifest.previousRuns?.[0]).toMatchObject({ run: 1, endReason: 'lost' });
    expect(samplesOf((await readWav(join(dir, 'audio.wav'))).data)).toEqual(new Array(320).fill(1));
    expect(samplesOf((await readWav(join(dir, 'audio.run2.wav'))).data)).toEqual(new Array(320).fill(2));
    expect((await readJsonl(join(dir, 'chat.jsonl'))).map((l) => l.text)).toEqual(['one', 'two']);
  });

  it('drops and counts frames held past the bound before the folder is ready', async () => {
    const { recording } = await recordingIn({ maxQueueBytes: 1_000 });
    recording.audio(audioFrame(T0));
    recording.audio(audioFrame(T0 + 20));
    const manifest = await recording.finalize();
    expect(manifest.counters).toMatchObject({ dropped: 1, droppedBytes: FRAME_BYTES });
    expect(recording.drops()).toMatchObject({ recording: 1, audio: 0 });
  });

  it('reports a folder it cannot make, and still finalizes', async () => {
    const base = await temp.make();
    await writeFile(join(base, 'file'), 'x');
    const errors: Error[] = [];
    const recording = new Recording({
      dir: join(base, 'file', 'rec'),
      ref: REF,
      startedAt: T0,
      onError: (error) => errors.push(error),
    });
    recording.audio(audioFrame(T0));
    await recording.ready();
    recording.audio(audioFrame(T0 + 20));
    const manifest = await recording.finalize();
    expect(manifest.errors.length).toBeGreaterThanOrEqual(1);
    expect(manifest.errors[0]).toMatch(/^recording folder: /);
    expect(errors.length).toBe(manifest.errors.length);
    expect(manifest.counters.dropped).toBe(2);
  });
});
