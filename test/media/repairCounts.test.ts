/**
 * repairRecordings after a kill: the manifest on disk is the one written when the first file appeared,
 * the files went on growing, the WAV headers are stale, the JSON lines files end in a cut line. The
 * repaired manifest must describe the files as the recording's own final manifest would have: the same
 * files, sizes and counters. And a run resumed into the folder keeps that repaired manifest.
 */
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManifestFile, RecordingManifest } from '../../src/media/manifest.js';
import { Recording } from '../../src/media/Recording.js';
import { REPAIRED_NOTE, repairRecordings, UNFINISHED_REASON } from '../../src/media/repair.js';
import { wavHeader } from '../../src/media/WavWriter.js';
import { Codec } from '../../src/protocol/enums.js';
import { audioFrame, sleep, TempDirs } from './helpers.js';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

const T0 = 1_700_000_000_000;
const REF = { streamId: 'stream-r', product: 'meeting' as const, instanceId: 'mtg-r', meetingId: '7' };

async function manifestAt(dir: string): Promise<RecordingManifest> {
  return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as RecordingManifest;
}

/** Gives a recording every kind of data: per-speaker WAVs with gaps, raw G.722, pictures, H.264, text. */
function feed(recording: Recording): void {
  for (let t = 20; t <= 200; t += 20) recording.audio(audioFrame(T0 + t, 1, 11));
  for (let t = 300; t <= 400; t += 20) recording.audio(audioFrame(T0 + t, 1, 12));
  for (let t = 100; t < 200; t += 20) recording.audio(audioFrame(T0 + t, 2, 21));
  for (let t = 0; t < 100; t += 20) {
    recording.audio({ ...audioFrame(T0 + t, 3, 31), codec: Codec.G722, data: Buffer.alloc(160, t + 1) });
  }
  for (let i = 1; i <= 3; i++) {
    const jpg = Buffer.from([0xff, 0xd8, i, 0xff, 0xd9]);
    recording.video({ data: jpg, userId: 1, userName: 'A', timestamp: T0 + i * 40, codec: Codec.JPG });
    const nal = Buffer.from([0, 0, 0, 1, 0x65, i, i, i]);
    recording.deskshare({ data: nal, userId: 2, userName: 'B', timestamp: T0 + i * 40, codec: Codec.H264 });
  }
  for (const [i, text] of ['hello', 'world'].entries()) {
    recording.transcript({
      text,
      userId: 1,
      userName: 'A',
      startTime: T0 + i * 1_000,
      endTime: T0 + i * 1_000 + 500,
      timestamp: T0 + i * 1_000,
      language: undefined,
      attribute: undefined,
      channelId: undefined,
    });
    recording.chat({ text, userId: 2, userName: 'B', timestamp: T0 + i, structured: undefined });
  }
  recording.event('participantJoin', { participants: [{ userId: 1 }], timestamp: T0 });
  recording.event('reconnected', { scope: 'media', kinds: ['audio'], downtimeMs: 50, attempts: 1 });
  recording.event('reconnected', { scope: 'all', kinds: ['audio'], downtimeMs: 80, attempts: 2 });
}

/** What a kill leaves: the early manifest, WAV headers never rewritten, no subtitles, cut last lines. */
async function killed(dir: string, early: RecordingManifest, final: RecordingManifest): Promise<void> {
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(early));
  for (const file of final.files) {
    if (file.path.endsWith('.wav')) {
      const handle = await open(join(dir, file.path), 'r+');
      await handle.write(wavHeader(file.sampleRate ?? 0, file.channels ?? 1, 0), 0, 44, 0);
      await handle.close();
    }
  }
  await rm(join(dir, 'transcript.vtt'));
  await rm(join(dir, 'transcript.srt'));
  await writeFile(join(dir, 'transcript.jsonl'), '{"text":"cut sh', { flag: 'a' });
  await writeFile(join(dir, 'events.jsonl'), '{"time":"x","kind":"reconnected"', { flag: 'a' });
}

function byPath(files: ManifestFile[]): Map<string, ManifestFile> {
  return new Map(files.map((f) => [f.path, f]));
}

describe('repairRecordings recounts an unfinished run from its files', () => {
  it('gives the files, sizes and counters the finished recording would have had', async () => {
    const dataDir = await temp.make();
    const dir = join(dataDir, 'recordings', '2025-05-06', 'mtg-r', 'stream-r');
    const recording = new Recording({ dir, ref: REF, startedAt: T0, now: () => T0 + 60_000 });
    recording.audio(audioFrame(T0, 1, 10));
    await recording.ready();
    // The manifest written when audio-1.wav appeared: what a kill soon after would leave.
    let early: RecordingManifest | undefined;
    for (let i = 0; i < 200 && early?.files.length !== 1; i++) {
      await sleep(5);
      early = await manifestAt(dir).catch(() => undefined);
    }
    if (!early) throw new Error('no early manifest');
    feed(recording);
    const final = await recording.finalize({ reason: 'stopped' });
    expect(early.counters.frames.audio).toBeLessThan(final.counters.frames.audio);
    await killed(dir, early, final);

    const repaired = await repairRecordings(dataDir, { now: () => T0 + 120_000 });
    expect(repaired.sort()).toEqual([join(dir, 'audio-1.wav'), join(dir, 'audio-2.wav')]);
    const manifest = await manifestAt(dir);
    expect(manifest).toMatchObject({
      endReason: UNFINISHED_REASON,
      repairedAt: new Date(T0 + 120_000).toISOString(),
    });
    expect(manifest.notes).toContain(REPAIRED_NOTE);

    // The cut lines are gone (the next run's first line would glue onto them); the subtitles are back.
    for (const file of ['transcript.jsonl', 'events.jsonl']) {
      const text = await readFile(join(dir, file), 'utf8');
      expect(text.endsWith('}\n'), file).toBe(true);
      for (const line of text.trim().split('\n')) expect(() => JSON.parse(line), file).not.toThrow();
    }
    const finalFiles = byPath(final.files);
    const repairedFiles = byPath(manifest.files);
    expect([...repairedFiles.keys()].sort()).toEqual([...finalFiles.keys()].sort());
    for (const [path, file] of finalFiles) {
      const got = repairedFiles.get(path) as ManifestFile;
      expect(got.bytes, path).toBe(file.bytes);
      expect(got.kind, path).toBe(file.kind);
      if (path.endsWith('.wav')) {
        expect(got, path).toMatchObject({
          durationMs: file.durationMs,
          frameBytes: file.frameBytes,
          userId: file.userId,
        });
        const { bytes, frames, gapsFilled, silenceMs } = file.counters ?? {};
        expect(got.counters, path).toMatchObject({ bytes, frames, gapsFilled, silenceMs });
      } else if (path.endsWith('.raw')) {
        expect(got.counters, path).toMatchObject({
          frames: file.counters?.frames,
          bytes: file.counters?.bytes,
        });
      } else if (file.kind === 'video' || file.kind === 'deskshare') {
        expect(got.files, path).toBe(file.files);
        const { frames, pictures, h264Frames, bytes } = file.counters ?? {};
        expect(got.counters, path).toMatchObject({ frames, pictures, h264Frames, bytes });
      } else if (path.endsWith('.jsonl')) {
        expect(got.offset, path).toBe(0);
        expect(got.counters, path).toMatchObject({
          lines: file.counters?.lines,
          bytes: file.counters?.bytes,
        });
      }
    }
    const { frames, events, written, unwritten, gapsFilled, silenceMs, reconnects } = final.counters;
    expect(manifest.counters).toMatchObject({
      frames,
      events,
      written,
      unwritten,
      gapsFilled,
      silenceMs,
      reconnects,
    });
    expect(manifest.counters.written).toEqual({
      audio: 27,
      video: 3,
      deskshare: 3,
      transcript: 2,
      chat: 2,
      events: 3,
    });
    expect(manifest.counters.lostWhenKilled).toBe(0);
    expect(await repairRecordings(dataDir)).toEqual([]);

    // Run 2 keeps the repaired manifest as it is on disk, and its own lines start after run 1's.
    const second = new Recording({ dir, ref: REF, startedAt: T0 + 200_000 });
    second.chat({ text: 'again', userId: 2, userName: 'B', timestamp: T0, structured: undefined });
    const run2 = await second.finalize({ reason: 'stopped' });
    expect(run2.previousRuns).toEqual([manifest]);
    expect(run2.files.find((f) => f.path === 'chat.jsonl')).toMatchObject({
      offset: repairedFiles.get('chat.jsonl')?.bytes,
      counters: { lines: 1 },
    });
  });

  it('counts as lost in the kill what the last manifest had as given and the files do not hold', async () => {
    const dataDir = await temp.make();
    const dir = join(dataDir, 'recordings', '2025-05-06', 'mtg-r', 'stream-r');
    const recording = new Recording({ dir, ref: REF, startedAt: T0 });
    for (let t = 0; t < 200; t += 20) recording.audio(audioFrame(T0 + t, 0, 5));
    const final = await recording.finalize();
    // The process counted 15 frames, but only 10 reached the disk before it died.
    const early = {
      ...final,
      counters: { ...final.counters, frames: { ...final.counters.frames, audio: 15 } },
    };
    delete (early as Partial<RecordingManifest>).endedAt;
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(early));
    await repairRecordings(dataDir);
    const manifest = await manifestAt(dir);
    expect(manifest.counters).toMatchObject({
      frames: { audio: 15 },
      written: { audio: 10 },
      unwritten: { audio: 5 },
      lostWhenKilled: 5,
    });
  });
});
