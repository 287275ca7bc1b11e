/**
 * Every frame the stream client delivers ends in a file or in a drop counter, over real sockets: the
 * simulator, a StreamManager and a recorder in this process. For each run of each stream the books are
 * checked exactly: the client's counters, the frames the manager emitted, the manifest's `frames`,
 * `written` and `unwritten`, and the frames found byte for byte in the files. The streams end in every
 * way they can while frames are in flight: stopped by Zoom, closed by the app, the manager closed, and a
 * stream resumed into its folder while its previous recording was still being finalized.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AudioFrame } from '../../src/client/events.js';
import type { StreamCounters } from '../../src/client/RtmsStream.js';
import type { StreamManager, StreamRef } from '../../src/manager/StreamManager.js';
import type { ItemCounts, RecordingManifest } from '../../src/media/manifest.js';
import { attachRecorder, type RecorderHandle } from '../../src/media/Recorder.js';
import { WAV_HEADER_BYTES } from '../../src/media/WavWriter.js';
import { DataOption, StopReason } from '../../src/protocol/enums.js';
import type { Simulator } from '../../src/simulator/index.js';
import { Harness, MANAGED_DEFAULTS, waitUntil } from '../client/harness.js';
import { readJsonl } from './helpers.js';

const harness = new Harness();
const folders: string[] = [];
afterEach(async () => {
  await harness.cleanup();
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Long enough that no stream ends on its own during a test (30 s real at the harness's time scale). */
const LONG_MS = 600_000;
const MEDIA = ['audio', 'transcript', 'chat'] as const;
const KINDS = ['audio', 'video', 'deskshare', 'transcript', 'chat', 'events'] as const;

/** What the manager emitted for one run of a stream (streamAdded to streamRemoved). */
interface Run {
  audio: AudioFrame[];
  transcript: number;
  chat: number;
  /** The stream's own counters when it closed. */
  counters?: StreamCounters | undefined;
  /** The run before this one had not been finalized yet when this one began. */
  earlierStillFinalizing?: boolean;
  manifest?: RecordingManifest;
}

/** Listens to a manager as the recorder does, and keeps per run what it was given. */
class Ledger {
  readonly runs = new Map<string, Run[]>();

  constructor(manager: StreamManager) {
    const current = (ref: StreamRef): Run => {
      const run = this.runs.get(ref.streamId)?.at(-1);
      if (!run) throw new Error(`a frame of ${ref.streamId} outside a run`);
      return run;
    };
    manager.on('streamAdded', (ref) => {
      const runs = this.runs.get(ref.streamId) ?? [];
      const earlier = runs.at(-1);
      runs.push({
        audio: [],
        transcript: 0,
        chat: 0,
        ...(earlier === undefined ? {} : { earlierStillFinalizing: earlier.manifest === undefined }),
      });
      this.runs.set(ref.streamId, runs);
    });
    manager.on('audio', (ref, frame) => current(ref).audio.push(frame));
    manager.on('transcript', (ref) => current(ref).transcript++);
    manager.on('chat', (ref) => current(ref).chat++);
    // Forwarded before the manager forgets the stream: its counters are still there.
    manager.on('closed', (ref) => {
      current(ref).counters = manager.snapshot(ref.streamId)?.counters;
    });
  }

  /** The recorder's onFinalized: runs of a stream are finalized in order. */
  readonly onFinalized = (manifest: RecordingManifest): void => {
    const run = this.runs.get(manifest.streamId)?.find((r) => r.manifest === undefined);
    if (run) run.manifest = manifest;
  };

  finalized(streamId: string, runs: number): boolean {
    const list = this.runs.get(streamId) ?? [];
    return list.length >= runs && list.slice(0, runs).every((r) => r.manifest !== undefined);
  }
}

function sum(counts: ItemCounts): number {
  return KINDS.reduce((total, kind) => total + counts[kind], 0);
}

/**
 * The books of one run: what the client counted = what the manager emitted = what the manifest says it
 * was given = written + unwritten; and the audio written is in the WAV files, frame by frame, at its
 * timestamp; the text lines in this run's part of the JSON lines files.
 */
async function expectBalanced(dir: string, run: Run, label: string): Promise<void> {
  const m = run.manifest;
  if (!m) throw new Error(`${label}: not finalized`);
  const c = m.counters;
  expect(run.counters, label).toBeDefined();
  expect(run.counters?.frames.audio, `${label}: client vs manager`).toBe(run.audio.length);
  expect(c.frames.audio, `${label}: manifest frames`).toBe(run.audio.length);
  expect(run.counters?.frames.transcript, label).toBe(run.transcript);
  expect(c.frames.transcript, label).toBe(run.transcript);
  expect(run.counters?.frames.chat, label).toBe(run.chat);
  expect(c.frames.chat, label).toBe(run.chat);
  const given: ItemCounts = { ...c.frames, events: c.events };
  for (const kind of KINDS) {
    expect(c.written[kind] + c.unwritten[kind], `${label}: ${kind} books`).toBe(given[kind]);
  }
  expect(sum(c.unwritten), `${label}: causes`).toBe(
    c.dropped + c.formatMismatch + c.overlapFrames + c.emptyFrames + c.lostWhenKilled,
  );
  // Nothing here overloads a queue: every frame must be in a file.
  expect(c.unwritten, label).toEqual({ audio: 0, video: 0, deskshare: 0, transcript: 0, chat: 0, events: 0 });
  expect(c.afterEnd, label).toBe(0);

  // Audio: each frame's bytes at its place on the timeline of its speaker's file.
  const origin = m.timelineOriginMs;
  const suffix = m.run > 1 ? `.run${m.run}` : '';
  let found = 0;
  const byUser = new Map<number, AudioFrame[]>();
  for (const frame of run.audio) byUser.set(frame.userId, [...(byUser.get(frame.userId) ?? []), frame]);
  for (const [userId, frames] of byUser) {
    const name = `audio${userId === 0 ? '' : `-${userId}`}${suffix}.wav`;
    const wav = await readFile(join(dir, name));
    if (origin === null) throw new Error(`${label}: no origin`);
    for (const frame of frames) {
      const at = WAV_HEADER_BYTES + Math.round(((frame.timestamp - origin) * frame.sampleRate) / 1000) * 2;
      if (wav.subarray(at, at + frame.data.length).equals(frame.data)) found++;
    }
    const last = frames.at(-1) as AudioFrame;
    // The file ends with its last frame, or later: every WAV is padded to the end of the stream.
    const lastEnd = Math.round(((last.timestamp - origin) * last.sampleRate) / 1000) * 2 + last.data.length;
    const streamEnd =
      m.timelineEndMs === undefined
        ? 0
        : Math.round(((m.timelineEndMs - origin) * last.sampleRate) / 1000) * 2;
    const end = Math.max(lastEnd, streamEnd);
    expect(wav.length - WAV_HEADER_BYTES, `${label}: ${name} length`).toBe(end);
  }
  expect(found, `${label}: frames found in the WAV files`).toBe(c.written.audio);

  // Text: this run's lines, from the offset it started at.
  for (const [file, kind] of [
    ['transcript.jsonl', 'transcript'],
    ['chat.jsonl', 'chat'],
    ['events.jsonl', 'events'],
  ] as const) {
    const entry = m.files.find((f) => f.path === file);
    if (c.written[kind] === 0) continue;
    const bytes = await readFile(join(dir, file));
    // The file's size when the run ended closes its part; the next run appends after it.
    const part = bytes.subarray(entry?.offset ?? 0, entry?.bytes).toString('utf8');
    expect(part.split('\n').filter(Boolean), `${label}: ${file}`).toHaveLength(c.written[kind]);
  }
}

async function setUp(options: { multi?: boolean } = {}): Promise<{
  sim: Simulator;
  manager: StreamManager;
  recorder: RecorderHandle;
  ledger: Ledger;
  dataDir: string;
  folder: (streamId: string) => string;
}> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rtmskit-books-'));
  folders.push(dataDir);
  const sim = await harness.sim({ participants: 3 });
  const { manager } = harness.manager(sim, {
    stream: {
      ...MANAGED_DEFAULTS,
      media: MEDIA,
      ...(options.multi ? { mediaParams: { audio: { data_opt: DataOption.AUDIO_MULTI_STREAMS } } } : {}),
    },
  });
  const ledger = new Ledger(manager);
  const dirs = new Map<string, string>();
  const recorder = attachRecorder(manager, { dataDir, onFinalized: ledger.onFinalized });
  manager.on('streamAdded', (ref) => {
    const dir = recorder.recordings().find((r) => r.ref.streamId === ref.streamId)?.dir;
    if (dir) dirs.set(ref.streamId, dir);
  });
  return {
    sim,
    manager,
    recorder,
    ledger,
    dataDir,
    folder: (streamId) => {
      const dir = dirs.get(streamId);
      if (!dir) throw new Error(`no folder for ${streamId}`);
      return dir;
    },
  };
}

/** Until the stream's current run has delivered `n` audio frames. */
function audioAtLeast(ledger: Ledger, streamId: string, n: number): () => boolean {
  return () => (ledger.runs.get(streamId)?.at(-1)?.audio.length ?? 0) >= n;
}

describe('every delivered frame is written or counted', () => {
  it('streams stopped by Zoom and closed by the app while frames are in flight', async () => {
    const { sim, manager, recorder, ledger, folder } = await setUp();
    const byZoom = sim.startStream({ durationMs: LONG_MS, seed: 1 }).streamId;
    const byApp = sim.startStream({ durationMs: LONG_MS, seed: 2 }).streamId;
    const perSpeaker = sim.startStream({ durationMs: LONG_MS, seed: 3 }).streamId;
    for (const id of [byZoom, byApp, perSpeaker])
      await waitUntil(audioAtLeast(ledger, id, 150), 10_000, 'audio');
    sim.stopStream(byZoom, StopReason.MEETING_ENDED);
    await manager.get(byApp)?.close({ graceful: true });
    sim.stopStream(perSpeaker, StopReason.HOST_TRIGGERED);
    for (const id of [byZoom, byApp, perSpeaker])
      await waitUntil(() => ledger.finalized(id, 1), 10_000, 'final');
    for (const id of [byZoom, byApp, perSpeaker]) {
      const [run] = ledger.runs.get(id) ?? [];
      await expectBalanced(folder(id), run as Run, id);
    }
    expect(ledger.runs.get(byApp)?.[0]?.manifest?.endReason).toBe('closed');
    expect(ledger.runs.get(byZoom)?.[0]?.manifest?.stopReason).toBe(StopReason.MEETING_ENDED);
    await recorder.close();
  });

  it('per-speaker audio of streams whose manager is closed mid-stream', async () => {
    const { sim, manager, recorder, ledger, folder } = await setUp({ multi: true });
    const ids = [4, 5].map((seed) => sim.startStream({ durationMs: LONG_MS, seed }).streamId);
    for (const id of ids) await waitUntil(audioAtLeast(ledger, id, 150), 10_000, 'audio');
    await manager.close();
    await recorder.close();
    for (const id of ids) {
      const runs = ledger.runs.get(id) ?? [];
      expect(runs).toHaveLength(1);
      expect(runs[0]?.manifest?.endReason).toBe('closed');
      expect(new Set(runs[0]?.audio.map((f) => f.userId)).size).toBeGreaterThan(1);
      await expectBalanced(folder(id), runs[0] as Run, id);
    }
  });

  it('a stream resumed into its folder while its first recording is still being finalized', async () => {
    const { sim, manager, recorder, ledger, folder } = await setUp();
    const info = sim.startStream({ durationMs: LONG_MS, seed: 6 });
    const id = info.streamId;
    await waitUntil(audioAtLeast(ledger, id, 150), 10_000, 'audio of run 1');
    // The sockets go (Zoom keeps the stream for its window); the same stream comes straight back.
    await manager.get(id)?.close({ graceful: false });
    const resumed = manager.resume({
      streamId: id,
      instanceId: info.instanceId,
      product: info.product,
      serverUrls: info.serverUrls,
    });
    // The second recording exists before the first one's manifest is final: it waits for it.
    await resumed;
    expect(ledger.runs.get(id)).toHaveLength(2);
    expect(recorder.recordings().map((r) => r.ref.streamId)).toEqual([id]);
    await waitUntil(audioAtLeast(ledger, id, 150), 10_000, 'audio of run 2');
    sim.stopStream(id, StopReason.MEETING_ENDED);
    await waitUntil(() => ledger.finalized(id, 2), 10_000, 'both runs final');
    const [first, second] = ledger.runs.get(id) as [Run, Run];
    expect(second.earlierStillFinalizing).toBe(true);
    const one = first.manifest as RecordingManifest;
    const two = second.manifest as RecordingManifest;
    expect([one.run, two.run]).toEqual([1, 2]);
    await expectBalanced(folder(id), first, `${id} run 1`);
    await expectBalanced(folder(id), second, `${id} run 2`);
    // Run 2 keeps run 1's final manifest as it was, and appended to run 1's text files.
    const { previousRuns, ...run1 } = one;
    expect(previousRuns).toBeUndefined();
    expect(two.previousRuns).toEqual([run1]);
    const events = await readJsonl(join(folder(id), 'events.jsonl'));
    expect(events).toHaveLength(one.counters.written.events + two.counters.written.events);
    await recorder.close();
  });
});
