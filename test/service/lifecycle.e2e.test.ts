/**
 * The data lifecycle of the service, on a real data folder and SQLite store: stream records and
 * recordings past the retention period are deleted (never a live stream's), and a stream Zoom revokes
 * has every run of its recording deleted at once, leaving a tombstone with no content.
 */
import { mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listRecordingFolders } from '../../src/media/folders.js';
import { recordingDir } from '../../src/media/paths.js';
import { Simulator } from '../../src/simulator/index.js';
import { SqliteStore } from '../../src/store/SqliteStore.js';
import type { StreamRecord } from '../../src/store/Store.js';
import { Cleanups } from '../cleanups.js';
import { meetingStopped, serialize } from '../webhook/helpers.js';
import {
  getText,
  type InProcessService,
  metricValue,
  postWebhook,
  startInProcessService,
  waitFor,
} from './helpers.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const TIME_SCALE = 8;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

/** Writes a finished (or, without `endedAt`, unfinished) recording of `streamId` as a past run left it. */
async function plantRecording(
  dataDir: string,
  at: { startedAt: number; endedAt?: number; streamId: string; instanceId: string },
): Promise<string> {
  const dir = recordingDir(dataDir, new Date(at.startedAt), at.instanceId, at.streamId);
  await mkdir(join(dir, 'video'), { recursive: true });
  await writeFile(join(dir, 'audio.wav'), Buffer.alloc(4_000, 1));
  await writeFile(join(dir, 'transcript.jsonl'), '{"text":"hello there"}\n');
  await writeFile(join(dir, 'video', '000001.jpg'), Buffer.alloc(500, 2));
  await writeFile(
    join(dir, 'manifest.json'),
    JSON.stringify({
      version: 1,
      streamId: at.streamId,
      instanceId: at.instanceId,
      startedAt: new Date(at.startedAt).toISOString(),
      ...(at.endedAt === undefined ? {} : { endedAt: new Date(at.endedAt).toISOString() }),
    }),
  );
  // The files of a past run are as old as the run.
  const mtime = new Date(at.endedAt ?? at.startedAt);
  for (const file of ['audio.wav', 'transcript.jsonl', 'video/000001.jpg', 'manifest.json']) {
    await utimes(join(dir, file), mtime, mtime);
  }
  return dir;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function record(streamId: string, fields: Partial<StreamRecord>): StreamRecord {
  return {
    streamId,
    product: 'meeting',
    instanceId: `inst-${streamId}`,
    serverUrls: ['wss://rtms.zoom.us'],
    state: 'stopped',
    startedAt: Date.now() - DAY_MS,
    updatedAt: Date.now() - DAY_MS,
    lastStartedEventTs: 1,
    ...fields,
  };
}

async function startSim(
  running: InProcessService,
  options: { participants?: number; durationMs?: number } = {},
) {
  const sim = await Simulator.start({
    webhookUrl: `${running.base}${running.config.webhookPath}`,
    credentials: running.app,
    timeScale: TIME_SCALE,
    participants: options.participants ?? 2,
    durationMs: options.durationMs ?? 600_000,
  });
  cleanups.add(() => sim.close());
  return sim;
}

/** Waits until the service holds `streamId` and its recording has audio on disk. */
async function recordingOf(running: InProcessService, streamId: string): Promise<string> {
  return waitFor(
    async () => {
      const folder = (await listRecordingFolders(running.config.dataDir)).find((f) =>
        f.dir.endsWith(streamId),
      );
      if (folder === undefined) return undefined;
      const files = await readdir(folder.dir);
      return files.includes('audio.wav') ? folder.dir : undefined;
    },
    `a recording of ${streamId} with audio`,
    15_000,
  );
}

describe('retention', () => {
  it('at start deletes ended stream records and recordings older than the retention, and keeps the rest', async () => {
    const cwd = await cleanups.tempDir('rtmskit-retention-');
    const dataDir = join(cwd, 'data');
    const now = Date.now();
    const old = await plantRecording(dataDir, {
      streamId: 'oldStream',
      instanceId: 'oldMeeting==',
      startedAt: now - 40 * DAY_MS,
      endedAt: now - 40 * DAY_MS + 3_600_000,
    });
    const recent = await plantRecording(dataDir, {
      streamId: 'recentStream',
      instanceId: 'recentMeeting==',
      startedAt: now - 10 * DAY_MS,
      endedAt: now - 10 * DAY_MS,
    });
    // A killed process left it without endedAt; nobody wrote to it for 35 days.
    const abandoned = await plantRecording(dataDir, {
      streamId: 'abandonedStream',
      instanceId: 'oldMeeting==',
      startedAt: now - 35 * DAY_MS,
    });
    // Not in the layout: never touched.
    await mkdir(join(dataDir, 'recordings', 'notes'), { recursive: true });
    await writeFile(join(dataDir, 'recordings', 'notes', 'keep.txt'), 'mine');

    const store = SqliteStore.open(join(dataDir, 'rtmskit.db'), { pruneIntervalMs: 0 });
    await store.putStream(record('oldStream', { endedAt: now - 40 * DAY_MS, updatedAt: now - 40 * DAY_MS }));
    await store.putStream(
      record('recentStream', { endedAt: now - 10 * DAY_MS, updatedAt: now - 10 * DAY_MS }),
    );
    await store.putStream(record('failedLongAgo', { state: 'failed', endedAt: now - 31 * DAY_MS }));
    await store.close();

    const running = await startInProcessService(cleanups, {}, { cwd });
    expect(running.config.retention.streamsMs).toBe(30 * DAY_MS);

    expect(await exists(old)).toBe(false);
    expect(await exists(abandoned)).toBe(false);
    expect(await exists(recent)).toBe(true);
    expect(await exists(join(dataDir, 'recordings', 'notes', 'keep.txt'))).toBe(true);
    // The emptied day folders went with them.
    const days = await readdir(join(dataDir, 'recordings'));
    expect(days.sort()).toEqual([new Date(now - 10 * DAY_MS).toISOString().slice(0, 10), 'notes'].sort());
    const left = (await running.service.store.listStreams()).map((r) => r.streamId);
    expect(left).toEqual(['recentStream']);

    const deleted = running.logs().filter((l) => l.msg === 'retention: recording deleted');
    expect(deleted.map((l) => l.stream).sort()).toEqual(['abandonedStream', 'oldStream']);
    for (const line of deleted) {
      expect(line).toMatchObject({ files: 4, bytes: expect.any(Number) });
      expect(String(line.path)).toMatch(/^recordings[/\\]/);
    }
    expect(running.logs().find((l) => String(l.msg).startsWith('retention sweep deleted'))).toMatchObject({
      streamRecords: 2,
      recordings: 2,
    });
    const metrics = (await getText(`${running.base}/metrics`)).body;
    expect(metricValue(metrics, 'rtmskit_retention_deleted_total', { what: 'recordings' })).toBe(2);
    expect(metricValue(metrics, 'rtmskit_retention_deleted_total', { what: 'stream_records' })).toBe(2);
  });

  it('never deletes the recording of a live stream, however old its files look', async () => {
    const running = await startInProcessService(cleanups, { RTMSKIT_RECORDING_RETENTION_DAYS: '1' });
    const sim = await startSim(running);
    const live = sim.startStream();
    const dir = await recordingOf(running, live.streamId);
    const ended = await plantRecording(running.config.dataDir, {
      streamId: 'endedStream',
      instanceId: live.instanceId,
      startedAt: Date.now() - 3 * DAY_MS,
      endedAt: Date.now() - 3 * DAY_MS,
    });
    // Make the live recording look three days stale.
    const longAgo = new Date(Date.now() - 3 * DAY_MS);
    for (const file of await readdir(dir)) await utimes(join(dir, file), longAgo, longAgo);

    const swept = await running.service.housekeeping.sweep();
    expect(swept.recordings.map((r) => r.streamId)).toEqual(['endedStream']);
    expect(await exists(ended)).toBe(false);
    expect(await exists(join(dir, 'audio.wav'))).toBe(true);
  });

  it('RTMSKIT_RETENTION_DAYS=0 keeps everything', async () => {
    const cwd = await cleanups.tempDir('rtmskit-retention-');
    const old = await plantRecording(join(cwd, 'data'), {
      streamId: 'ancient',
      instanceId: 'm==',
      startedAt: Date.now() - 400 * DAY_MS,
      endedAt: Date.now() - 400 * DAY_MS,
    });
    const running = await startInProcessService(cleanups, { RTMSKIT_RETENTION_DAYS: '0' }, { cwd });
    expect(running.config.retention).toEqual({ streamsMs: undefined, recordingsMs: undefined });
    expect(await exists(old)).toBe(true);
  });
});

describe('a revoked stream', () => {
  it('loses every run of its recording at once, and leaves a tombstone with no content', async () => {
    const running = await startInProcessService(cleanups);
    const sim = await startSim(running);
    const revoked = sim.startStream();
    const other = sim.startStream();
    const liveDir = await recordingOf(running, revoked.streamId);
    const otherDir = await recordingOf(running, other.streamId);
    // An earlier run of the same stream, on the day before (a restart across midnight).
    const earlierRun = await plantRecording(running.config.dataDir, {
      streamId: revoked.streamId,
      instanceId: revoked.instanceId,
      startedAt: Date.now() - DAY_MS,
      endedAt: Date.now() - DAY_MS + 60_000,
    });

    sim.fault(revoked.streamId, 'revoke');
    const tombstone = await waitFor(
      () => running.service.store.getTombstone(revoked.streamId),
      'the tombstone of the revoked stream',
    );

    expect(await exists(liveDir)).toBe(false);
    expect(await exists(earlierRun)).toBe(false);
    const folders = await listRecordingFolders(running.config.dataDir);
    expect(folders.map((f) => f.dir)).toEqual([otherDir]);

    expect(tombstone).toMatchObject({
      streamId: revoked.streamId,
      product: 'meeting',
      instanceId: revoked.instanceId,
    });
    expect(Math.abs(tombstone.revokedAt - Date.now())).toBeLessThan(30_000);
    expect(tombstone.deleted).toHaveLength(2);
    for (const deleted of tombstone.deleted) {
      expect(deleted.files).toBeGreaterThan(0);
      expect(deleted.bytes).toBeGreaterThan(0);
    }
    // Ids, times, paths and sizes only.
    const keys = ['deleted', 'instanceId', 'product', 'revokedAt', 'streamId'];
    expect(
      Object.keys(tombstone)
        .filter((k) => k !== 'meetingId')
        .sort(),
    ).toEqual(keys.sort());

    const line = running.logs().find((l) => l.msg === 'stream revoked by Zoom: its recordings were deleted');
    expect(line).toMatchObject({ stream: revoked.streamId, level: 40 });
    expect(line?.deleted).toHaveLength(2);
    // Nothing said in the meeting reaches the log line.
    expect(JSON.stringify(line)).not.toMatch(/hello there|Participant|userName/i);
    expect(
      running.logs().filter((l) => l.msg === 'stream revoked by Zoom: its recordings were deleted'),
    ).toHaveLength(1);

    const registry = await running.service.store.getStream(revoked.streamId);
    expect(registry).toMatchObject({ state: 'stopped', stopReason: 8 });
    const metrics = (await getText(`${running.base}/metrics`)).body;
    expect(metricValue(metrics, 'rtmskit_streams_revoked_total')).toBe(1);
    expect(metricValue(metrics, 'rtmskit_revoked_files_deleted_total')).toBe(
      tombstone.deleted.reduce((n, d) => n + d.files, 0),
    );
    const api = JSON.parse((await getText(`${running.base}/api/revocations`)).body) as {
      revocations: unknown[];
    };
    expect(api.revocations).toEqual([tombstone]);
  });

  it('is deleted when only the rtms_stopped webhook says so (a stream this process does not hold)', async () => {
    const running = await startInProcessService(cleanups);
    const streamId = '7d2f0c1a9b8e4d3c2b1a0f9e8d7c6b5a';
    const instanceId = 'f3nq/Fu+Qs6fX1x9lCmb2g==';
    const dir = await plantRecording(running.config.dataDir, {
      streamId,
      instanceId,
      startedAt: Date.now() - 2 * 3_600_000,
      endedAt: Date.now() - 3_600_000,
    });
    const body = serialize(
      meetingStopped({ rtms_stream_id: streamId, meeting_uuid: instanceId, stop_reason: 8 }, Date.now()),
    );
    const answer = await postWebhook(`${running.base}/webhook`, body, { secret: running.app.secretToken });
    expect(answer.status).toBe(200);
    const tombstone = await waitFor(() => running.service.store.getTombstone(streamId), 'the tombstone');
    expect(await exists(dir)).toBe(false);
    expect(tombstone.deleted.map((d) => d.files)).toEqual([4]);
    // The same delivery again changes nothing.
    await postWebhook(`${running.base}/webhook`, body, { secret: running.app.secretToken });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await running.service.store.getTombstone(streamId)).toEqual(tombstone);
  });
});
