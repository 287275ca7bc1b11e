/**
 * attachRecorder fed by an emitter shaped like the StreamManager, and repairRecordings on recordings a
 * killed process left unfinished.
 */
import { EventEmitter } from 'node:events';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManagerEvents, StreamRef } from '../../src/manager/StreamManager.js';
import { type RecordingManifest, writeManifest } from '../../src/media/manifest.js';
import { recordingDir } from '../../src/media/paths.js';
import { attachRecorder, type RecorderSource, repairRecordings } from '../../src/media/Recorder.js';
import { wavHeader } from '../../src/media/WavWriter.js';
import { EventType, StreamState } from '../../src/protocol/enums.js';
import type { MediaParams } from '../../src/protocol/messages.js';
import { audioFrame, FRAME_BYTES, readJsonl, readWav, samplesOf, TempDirs } from './helpers.js';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

const NOW = Date.UTC(2025, 4, 6, 10, 0, 0);
const T0 = 1_700_000_000_000;

const REF_A: StreamRef = { streamId: 'stream-a', product: 'meeting', instanceId: 'mtg/A+==', meetingId: '1' };
const REF_B: StreamRef = {
  streamId: 'stream-b',
  product: 'session',
  instanceId: 'sess-b',
  meetingId: undefined,
};

const PARAMS: MediaParams = { audio: { sample_rate: 1, channel: 1, codec: 1, data_opt: 2 } };

class FakeManager extends EventEmitter<ManagerEvents> implements RecorderSource {
  get(streamId: string): { mediaParams: MediaParams } | undefined {
    return streamId === REF_A.streamId ? { mediaParams: PARAMS } : undefined;
  }
}

function dirOf(dataDir: string, ref: StreamRef): string {
  return recordingDir(dataDir, new Date(NOW), ref.instanceId, ref.streamId);
}

async function manifestAt(dir: string): Promise<RecordingManifest> {
  return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as RecordingManifest;
}

describe('attachRecorder', () => {
  it('records each stream into its own folder and finalizes on streamRemoved and close', async () => {
    const dataDir = await temp.make();
    const manager = new FakeManager();
    const finalized: string[] = [];
    const recorder = attachRecorder(manager, {
      dataDir,
      now: () => NOW,
      onFinalized: (manifest) => finalized.push(`${manifest.streamId}:${manifest.endReason}`),
    });

    manager.emit('streamAdded', REF_A);
    manager.emit('streamAdded', REF_B);
    expect(recorder.recordings().map((r) => r.ref.streamId)).toEqual(['stream-a', 'stream-b']);
    manager.emit('stateChange', REF_A, { from: 'connecting', to: 'ready' });
    manager.emit('audio', REF_A, audioFrame(T0, 1, 11));
    manager.emit('audio', REF_A, audioFrame(T0 + 20, 1, 11));
    manager.emit('audio', REF_A, audioFrame(T0 + 40, 2, 22));
    manager.emit('audio', REF_B, audioFrame(T0, 0, 33));
    manager.emit('participantJoin', REF_A, { participants: [{ userId: 1, userName: 'One' }], timestamp: T0 });
    // Typed already (participantJoin): not logged twice. Event 7 has no typed event: logged.
    manager.emit('event', REF_A, {
      eventType: EventType.PARTICIPANT_JOIN,
      event: { event_type: 3 },
      typed: true,
    });
    manager.emit('event', REF_A, {
      eventType: EventType.MEDIA_CONNECTION_INTERRUPTED,
      event: { event_type: 7 },
      typed: false,
    });
    manager.emit('reconnected', REF_A, { scope: 'media', kinds: ['audio'], downtimeMs: 120, attempts: 1 });
    manager.emit('streamState', REF_A, { state: StreamState.TERMINATED, reason: 6, timestamp: T0 + 60 });
    manager.emit('transcript', REF_A, {
      text: 'hello',
      userId: 1,
      userName: 'One',
      startTime: T0 + 500,
      endTime: T0 + 1_500,
      timestamp: T0 + 500,
      language: 9,
      attribute: undefined,
      channelId: undefined,
    });
    manager.emit('closed', REF_A, { reason: 'stopped', stopReason: 6, error: undefined });
    manager.emit('streamRemoved', REF_A, { reason: 'stopped', stopReason: 6, error: undefined });
    expect(recorder.recordings().map((r) => r.ref.streamId)).toEqual(['stream-b']);
    // A frame of a removed stream is not written: its recording, being finalized, counts it.
    manager.emit('audio', REF_A, audioFrame(T0 + 60, 1, 99));

    await recorder.close();
    expect(manager.listenerCount('audio')).toBe(0);
    expect(manager.listenerCount('streamAdded')).toBe(0);
    expect(finalized.sort()).toEqual(['stream-a:stopped', 'stream-b:recorder-closed']);

    const dirA = dirOf(dataDir, REF_A);
    expect(dirA).toBe(join(dataDir, 'recordings', '2025-05-06', 'mtg_A-', 'stream-a'));
    const a = await manifestAt(dirA);
    expect(a).toMatchObject({
      streamId: 'stream-a',
      product: 'meeting',
      endReason: 'stopped',
      stopReason: 6,
      stopReasonName: 'MEETING_ENDED',
      mediaParams: PARAMS,
      timelineOriginMs: T0,
    });
    expect(a.counters).toMatchObject({ reconnects: 1, events: 6, frames: { audio: 3, transcript: 1 } });
    expect(a.counters).toMatchObject({ written: { audio: 3, transcript: 1, events: 6 }, afterEnd: 1 });
    // Speaker 1 stopped at 40 ms; the file is padded to the stream's last audio, at 60 ms.
    expect(samplesOf((await readWav(join(dirA, 'audio-1.wav'))).data)).toEqual([
      ...new Array(640).fill(11),
      ...new Array(320).fill(0),
    ]);
    const two = samplesOf((await readWav(join(dirA, 'audio-2.wav'))).data);
    expect(two.slice(0, 640).every((s) => s === 0)).toBe(true);
    expect(two.slice(640)).toEqual(new Array(320).fill(22));
    const events = await readJsonl(join(dirA, 'events.jsonl'));
    expect(events.map((e) => e.kind)).toEqual([
      'stateChange',
      'participantJoin',
      'event',
      'reconnected',
      'streamState',
      'closed',
    ]);
    expect(events[2]).toMatchObject({ kind: 'event', data: { eventType: 7 } });
    expect(await readFile(join(dirA, 'transcript.vtt'), 'utf8')).toBe(
      'WEBVTT\n\n00:00:00.500 --> 00:00:01.500\n<v One>hello\n',
    );

    const dirB = dirOf(dataDir, REF_B);
    const b = await manifestAt(dirB);
    expect(b).toMatchObject({
      streamId: 'stream-b',
      endReason: 'recorder-closed',
      stopReason: null,
      mediaParams: null,
    });
    const wavB = await readWav(join(dirB, 'audio.wav'));
    expect(wavB.dataSize).toBe(FRAME_BYTES);
    expect(samplesOf(wavB.data)).toEqual(new Array(320).fill(33));
    expect(recorder.drops()).toEqual({
      audio: 0,
      video: 0,
      deskshare: 0,
      transcript: 0,
      chat: 0,
      events: 0,
      recording: 0,
    });
    await recorder.close();
  });

  it('counts drops of finished recordings in drops()', async () => {
    const dataDir = await temp.make();
    const manager = new FakeManager();
    const recorder = attachRecorder(manager, { dataDir, now: () => NOW, maxQueueBytes: 1_000 });
    manager.emit('streamAdded', REF_B);
    manager.emit('audio', REF_B, audioFrame(T0));
    manager.emit('audio', REF_B, audioFrame(T0 + 20));
    expect(recorder.drops().recording).toBe(1);
    manager.emit('streamRemoved', REF_B, { reason: 'closed', stopReason: undefined, error: undefined });
    await recorder.close();
    expect(recorder.drops().recording).toBe(1);
  });
});

describe('repairRecordings', () => {
  it('repairs the WAV files and subtitles of an unfinished recording, and marks it', async () => {
    const dataDir = await temp.make();
    const dir = dirOf(dataDir, REF_A);
    const finished = dirOf(dataDir, REF_B);
    await mkdir(dir, { recursive: true });
    await mkdir(finished, { recursive: true });
    await writeManifest(dir, {
      version: 1,
      streamId: REF_A.streamId,
      product: 'meeting',
      instanceId: REF_A.instanceId,
      run: 1,
      startedAt: new Date(NOW).toISOString(),
      timelineOriginMs: T0,
      transcriptOriginMs: T0,
      files: [{ path: 'audio.wav', kind: 'audio', bytes: 44 }],
    });
    // Killed before the first header rewrite (placeholder sizes, odd byte), and ~1 s behind.
    await writeFile(join(dir, 'audio.wav'), Buffer.concat([wavHeader(16_000, 1, 0), Buffer.alloc(641, 1)]));
    await writeFile(
      join(dir, 'audio-7.wav'),
      Buffer.concat([wavHeader(16_000, 1, 100), Buffer.alloc(640, 2)]),
    );
    await writeFile(
      join(dir, 'transcript.jsonl'),
      `${JSON.stringify({ text: 'kept', userName: 'Ann', startTime: T0 + 2_000, endTime: T0 + 3_000 })}\n` +
        '{"text":"cut sh',
    );
    // A finished recording is left alone, even with a header that looks wrong.
    await writeManifest(finished, {
      version: 1,
      streamId: REF_B.streamId,
      endedAt: new Date(NOW).toISOString(),
    });
    const untouched = Buffer.concat([wavHeader(16_000, 1, 0), Buffer.alloc(64)]);
    await writeFile(join(finished, 'audio.wav'), untouched);

    const repaired = await repairRecordings(dataDir, { now: () => NOW + 1_000 });
    expect(repaired.sort()).toEqual([join(dir, 'audio-7.wav'), join(dir, 'audio.wav')]);
    const wav = await readWav(join(dir, 'audio.wav'));
    expect([wav.dataSize, wav.riffSize, wav.fileBytes]).toEqual([640, 676, 684]);
    expect((await readWav(join(dir, 'audio-7.wav'))).dataSize).toBe(640);
    expect(await readFile(join(dir, 'transcript.vtt'), 'utf8')).toBe(
      'WEBVTT\n\n00:00:02.000 --> 00:00:03.000\n<v Ann>kept\n',
    );
    const manifest = await manifestAt(dir);
    expect(manifest).toMatchObject({
      endReason: 'unfinished',
      repairedAt: new Date(NOW + 1_000).toISOString(),
    });
    expect(typeof manifest.endedAt).toBe('string');
    // The files and counters are those on disk, not the stale ones: audio-7.wav and the transcript had
    // appeared after the manifest was written, and each WAV holds one 20 ms frame of audio.
    const wavCounters = { bytes: 640, frames: 1, gapsFilled: 0, silenceMs: 0 };
    expect(manifest.files).toEqual([
      {
        path: 'audio.wav',
        kind: 'audio',
        bytes: 684,
        sampleRate: 16_000,
        channels: 1,
        durationMs: 20,
        frameBytes: 640,
        counters: wavCounters,
      },
      {
        path: 'audio-7.wav',
        kind: 'audio',
        codec: 'L16',
        userId: 7,
        bytes: 684,
        sampleRate: 16_000,
        channels: 1,
        durationMs: 20,
        frameBytes: 640,
        counters: wavCounters,
      },
      // The line cut short by the kill is gone: run 2's first line must not glue onto it.
      {
        path: 'transcript.jsonl',
        kind: 'transcript',
        bytes: 83,
        offset: 0,
        counters: { lines: 1, bytes: 83 },
      },
      { path: 'transcript.vtt', kind: 'transcript', bytes: 50 },
      { path: 'transcript.srt', kind: 'transcript', bytes: 42 },
    ]);
    expect(await readFile(join(dir, 'transcript.jsonl'), 'utf8')).toBe(
      `${JSON.stringify({ text: 'kept', userName: 'Ann', startTime: T0 + 2_000, endTime: T0 + 3_000 })}\n`,
    );
    expect(manifest.counters).toMatchObject({
      frames: { audio: 2, transcript: 1 },
      written: { audio: 2, transcript: 1, events: 0 },
      unwritten: { audio: 0, transcript: 0 },
      lostWhenKilled: 0,
    });
    for (const file of manifest.files) expect((await stat(join(dir, file.path))).size).toBe(file.bytes);
    expect(await readFile(join(finished, 'audio.wav'))).toEqual(untouched);

    expect(await repairRecordings(dataDir)).toEqual([]);
  });

  it('returns nothing when there are no recordings', async () => {
    expect(await repairRecordings(await temp.make())).toEqual([]);
  });
});
