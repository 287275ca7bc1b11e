/**
 * A recording's books, cause by cause: every item it is given is in a file or in a counter of the
 * manifest, exactly. Overlapping, empty and mismatched audio frames, pictures of an unknown codec, events
 * JSON cannot hold, items held past the bound while an earlier run of the stream is still finalizing,
 * and items given after finalize(); and the recorder handing items of a removed stream to its recording.
 */
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManagerEvents, StreamRef } from '../../src/manager/StreamManager.js';
import type { ItemCounts, RecordingCounters } from '../../src/media/manifest.js';
import { attachRecorder } from '../../src/media/Recorder.js';
import { Recording } from '../../src/media/Recording.js';
import { WAV_HEADER_BYTES } from '../../src/media/WavWriter.js';
import { Codec } from '../../src/protocol/enums.js';
import { audioFrame, FRAME_BYTES, readJsonl, readWav, samplesOf, TempDirs } from './helpers.js';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

const T0 = 1_700_000_000_000;
const REF = { streamId: 'stream-b', product: 'meeting' as const, instanceId: 'mtg-b', meetingId: '9' };

/** frames[kind] == written[kind] + unwritten[kind], and the causes add up to every unwritten item. */
function expectBooks(c: RecordingCounters): void {
  const given: ItemCounts = { ...c.frames, events: c.events };
  for (const kind of Object.keys(given) as (keyof ItemCounts)[]) {
    expect(c.written[kind] + c.unwritten[kind], kind).toBe(given[kind]);
  }
  const unwritten = Object.values(c.unwritten).reduce((a, b) => a + b, 0);
  expect(unwritten).toBe(c.dropped + c.formatMismatch + c.overlapFrames + c.emptyFrames + c.lostWhenKilled);
}

describe('a recording counts every item it does not write', () => {
  it('overlaps, empty frames, format mismatches, unknown codecs, unserializable events', async () => {
    const dir = join(await temp.make(), 'rec');
    const recording = new Recording({ dir, ref: REF, startedAt: T0, now: () => T0 });
    recording.audio(audioFrame(T0, 0, 10));
    recording.audio(audioFrame(T0 + 20, 0, 20));
    // Entirely on audio already written: nothing of it can be placed.
    recording.audio(audioFrame(T0, 0, 30));
    // Half a sample: nothing to write.
    recording.audio({ ...audioFrame(T0 + 40, 0, 40), data: Buffer.alloc(1) });
    // Another format on the same track.
    recording.audio({ ...audioFrame(T0 + 40, 0, 50), sampleRate: 8_000 });
    recording.audio(audioFrame(T0 + 40, 0, 60));
    recording.video({ data: Buffer.from([1, 2, 3]), userId: 1, userName: 'A', timestamp: T0, codec: 99 });
    recording.video({
      data: Buffer.from([0xff, 0xd8, 1]),
      userId: 1,
      userName: 'A',
      timestamp: T0,
      codec: Codec.JPG,
    });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    recording.event('weird', circular);
    recording.event('fine', { n: 1 });
    const manifest = await recording.finalize();
    const c = manifest.counters;
    expect(c.frames).toEqual({ audio: 6, video: 2, deskshare: 0, transcript: 0, chat: 0 });
    expect(c.events).toBe(2);
    expect(c.written).toEqual({ audio: 3, video: 1, deskshare: 0, transcript: 0, chat: 0, events: 1 });
    expect(c.unwritten).toEqual({ audio: 3, video: 1, deskshare: 0, transcript: 0, chat: 0, events: 1 });
    expect(c).toMatchObject({
      overlapFrames: 1,
      overlapDropped: FRAME_BYTES,
      emptyFrames: 1,
      formatMismatch: 1,
      dropped: 2,
    });
    expectBooks(c);
    // The three frames written are the three in the file.
    expect(samplesOf((await readWav(join(dir, 'audio.wav'))).data)).toEqual([
      ...new Array(320).fill(10),
      ...new Array(320).fill(20),
      ...new Array(320).fill(60),
    ]);
    expect((await readJsonl(join(dir, 'events.jsonl'))).map((e) => e.kind)).toEqual(['fine']);
  });

  it('items held while an earlier run finalizes: written after it, or dropped past the bound', async () => {
    const dir = join(await temp.make(), 'rec');
    let release!: () => void;
    const earlier = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Three frames fit in the bound (with the WAV header, queued first once the file opens); the
    // fourth, and the transcript after it, do not.
    const recording = new Recording({
      dir,
      ref: REF,
      startedAt: T0,
      after: earlier,
      maxQueueBytes: 3 * FRAME_BYTES + WAV_HEADER_BYTES,
    });
    for (let i = 0; i < 4; i++) recording.audio(audioFrame(T0 + i * 20, 0, 100 + i));
    recording.transcript({
      text: 'held',
      userId: 1,
      userName: 'A',
      startTime: T0,
      endTime: T0 + 500,
      timestamp: T0,
      language: undefined,
      attribute: undefined,
      channelId: undefined,
    });
    const finalized = recording.finalize();
    // Given after finalize(): counted apart, never written.
    recording.audio(audioFrame(T0 + 80, 0, 200));
    recording.chat({ text: 'late', userId: 1, userName: 'A', timestamp: T0, structured: undefined });
    release();
    const c = (await finalized).counters;
    expect(c.frames).toEqual({ audio: 4, video: 0, deskshare: 0, transcript: 1, chat: 0 });
    expect(c.written).toMatchObject({ audio: 3, transcript: 0 });
    expect(c.unwritten).toMatchObject({ audio: 1, transcript: 1 });
    expect(c).toMatchObject({ dropped: 2, afterEnd: 2 });
    expectBooks(c);
    expect((await readWav(join(dir, 'audio.wav'))).dataSize).toBe(3 * FRAME_BYTES);
    expect(recording.drops()).toMatchObject({ recording: 2 });
  });
});

describe('the recorder and a removed stream', () => {
  it('hands items that come after streamRemoved to the recording being finalized, which counts them', async () => {
    const dataDir = await temp.make();
    const manager = new EventEmitter<ManagerEvents>();
    const ref: StreamRef = { ...REF };
    const recorder = attachRecorder(manager, { dataDir, now: () => T0 });
    manager.emit('streamAdded', ref);
    const dir = recorder.recordings()[0]?.dir as string;
    manager.emit('audio', ref, audioFrame(T0));
    manager.emit('streamRemoved', ref, { reason: 'stopped', stopReason: 6, error: undefined });
    manager.emit('audio', ref, audioFrame(T0 + 20));
    manager.emit('participantLeave', ref, { participants: [], timestamp: T0 });
    await recorder.close();
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
      counters: RecordingCounters;
    };
    expect(manifest.counters).toMatchObject({ frames: { audio: 1 }, written: { audio: 1 }, afterEnd: 2 });
    expectBooks(manifest.counters);
  });
});
