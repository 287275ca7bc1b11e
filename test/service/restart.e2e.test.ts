/**
 * The service as a child process (`rtmskit serve`), killed with SIGKILL in the middle of a meeting and
 * started again on the same port and data folder: the WAV left behind is playable, the restarted service
 * repairs it and resumes the stream inside Zoom's window, and a late retry of the original `rtms_started`
 * is ignored by every later process, because the delivery ledger lives in the database.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RecordingManifest, readManifest } from '../../src/media/manifest.js';
import { Simulator, type StreamReport, type WebhookNotice } from '../../src/simulator/index.js';
import { ffmpegPresent, probe } from '../helpers/ffmpeg.js';
import {
  type CliChild,
  childEnv,
  describeChild,
  freePort,
  getText,
  logLines,
  metricValue,
  postWebhook,
  readJsonl,
  readWavHeader,
  recordingFolders,
  serveChild,
  sleep,
  WAV_HEADER_BYTES,
  waitFor,
} from './helpers.js';

/** Simulated time runs 4× faster than real time. */
const TIME_SCALE = 4;
/** 40 s simulated: 10 s of real time. */
const MEETING_MS = 40_000;
/** Zoom's nominal windows (60 s signaling, 65 s media): 15 s and 16.25 s real, plenty for a restart. */
const SIGNALING_WINDOW_MS = 60_000;
const MEDIA_WINDOW_MS = 65_000;
/** The WAV header is rewritten every second of real time (media/WavWriter.ts HEADER_REWRITE_MS). */
const HEADER_REWRITE_MS = 1_000;
/** 16 kHz mono L16 arrives TIME_SCALE times faster than real time. */
const AUDIO_BYTES_PER_REAL_MS = (16_000 * 2 * TIME_SCALE) / 1000;
const STOP_REASON_MEETING_ENDED = 6;
/** With FFmpeg, the copies of both runs are checked too. */
const FFMPEG = ffmpegPresent('MP3 copies of a recording resumed after SIGKILL');

function token(): string {
  return randomBytes(12).toString('base64url');
}

const children: CliChild[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.kill('SIGKILL')));
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe('rtmskit serve across SIGKILL and restarts', () => {
  it('leaves a playable WAV, repairs it, resumes the stream, and ignores a late retry', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'rtmskit-restart-'));
    cleanups.push(() => rm(tmp, { recursive: true, force: true }));
    const dataDir = join(tmp, 'data');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const app = { clientId: `rst_${token()}`, clientSecret: token(), secretToken: token() };
    const env = childEnv({
      ZOOM_CLIENT_ID: app.clientId,
      ZOOM_CLIENT_SECRET: app.clientSecret,
      ZOOM_SECRET_TOKEN: app.secretToken,
      RTMSKIT_ALLOW_LOOPBACK: '1',
      RTMSKIT_LOG_LEVEL: 'info',
      // Copies are made once the stream ends, for the run the kill cut short too.
      ...(FFMPEG ? { RTMSKIT_ENCODE: 'mp3' } : {}),
    });

    /** `rtmskit serve` on the port, in the temp folder (no .env there), answering /healthz. */
    const serve = async (): Promise<CliChild> => {
      const child = await serveChild({ cwd: tmp, env, port, args: ['--data-dir', dataDir] });
      children.push(child);
      return child;
    };
    const streamsOf = async () =>
      JSON.parse((await getText(`${base}/api/streams`)).body) as {
        live: Record<string, unknown>[];
        recent: Record<string, unknown>[];
      };

    // ------------------------------------------------------------------------------------------------
    // Run 1: record until the WAV has grown and its header has been rewritten, then SIGKILL.
    const first = await serve();
    const sim = await Simulator.start({
      webhookUrl: `${base}/webhook`,
      credentials: app,
      timeScale: TIME_SCALE,
      participants: 3,
      durationMs: MEETING_MS,
      signalingWindowMs: SIGNALING_WINDOW_MS,
      mediaWindowMs: MEDIA_WINDOW_MS,
    });
    cleanups.push(() => sim.close());
    expect(sim.stats().urlValidation?.ok).toBe(true);
    const notices: WebhookNotice[] = [];
    sim.on('webhook', (n) => notices.push(n));
    const streamId = sim.startStream({ seed: 2024 }).streamId;
    // Zoom re-delivers the original rtms_started after the stream has stopped.
    sim.fault(streamId, 'late-retry');
    const report = (): StreamReport => {
      const r = sim.stats().streams.find((s) => s.streamId === streamId);
      if (!r) throw new Error('no report');
      return r;
    };

    const wavPath = await waitFor(
      async () => {
        const [dir] = await recordingFolders(dataDir);
        if (dir === undefined) return undefined;
        const path = join(dir, 'audio.wav');
        try {
          const h = await readWavHeader(path);
          // Header rewritten at least once, over a second of audio in the file, and audio written since
          // the last rewrite (in a pause between turns the header catches up and there is nothing to repair).
          const ahead = h.fileBytes - WAV_HEADER_BYTES - h.dataSize;
          return h.dataSize > 0 && h.fileBytes > WAV_HEADER_BYTES + 64_000 && ahead > 0 ? path : undefined;
        } catch {
          return undefined;
        }
      },
      'audio.wav to grow and its header to be rewritten',
      15_000,
      5,
    );
    const dir = join(wavPath, '..');
    expect(await first.kill('SIGKILL')).toBe('SIGKILL');

    // (a) What the killed process left is a playable WAV, its header at most about one rewrite behind.
    const left = await readWavHeader(wavPath);
    expect(left).toMatchObject({ riff: 'RIFF', wave: 'WAVE', format: 1, channels: 1, sampleRate: 16_000 });
    expect(left.dataSize).toBeGreaterThan(0);
    expect(left.dataSize % 2).toBe(0);
    expect(left.riffSize).toBe(left.dataSize + 36);
    const behind = left.fileBytes - WAV_HEADER_BYTES - left.dataSize;
    expect(behind).toBeGreaterThanOrEqual(0);
    expect(behind).toBeLessThanOrEqual(1.5 * HEADER_REWRITE_MS * AUDIO_BYTES_PER_REAL_MS);
    const unfinished = await readManifest(dir);
    expect(unfinished.status).toBe('ok');
    if (unfinished.status === 'ok') expect(unfinished.manifest.endedAt).toBeUndefined();

    // ------------------------------------------------------------------------------------------------
    // Run 2: same port and data folder. It repairs the WAV and resumes the stream inside Zoom's window.
    const second = await serve();
    const repairedHeader = await readWavHeader(wavPath);
    expect(repairedHeader.dataSize).toBe(repairedHeader.fileBytes - WAV_HEADER_BYTES);
    expect(repairedHeader.riffSize).toBe(repairedHeader.fileBytes - 8);
    expect(repairedHeader.dataSize).toBeGreaterThanOrEqual(left.dataSize);
    expect(repairedHeader.fileBytes).toBeLessThanOrEqual(left.fileBytes);
    const repairedLog = logLines(second).find((l) => l.msg === 'repaired unfinished recordings');
    if (behind > 0) {
      // Almost always: the kill came between two header rewrites.
      expect(repairedLog, describeChild(second)).toBeDefined();
      expect(repairedLog?.files).toEqual([wavPath]);
    } else {
      expect(repairedLog, describeChild(second)).toBeUndefined();
    }

    await waitFor(() => report().state === 'ended', 'the meeting to end', 30_000, 50);
    const ended = report();
    expect(ended.endReason, JSON.stringify(ended)).toBe(STOP_REASON_MEETING_ENDED);
    expect(ended.interruptions).toBeGreaterThanOrEqual(1);
    expect(ended.recoveries).toBeGreaterThanOrEqual(1);
    expect(ended.handshakes.signaling.ok).toBe(2);
    expect(ended.maxConcurrentSignaling).toBe(1);
    expect(logLines(second).some((l) => l.msg === 'resuming stream from before the restart')).toBe(true);

    // Run 2 of the recording: same folder, previous run kept in the manifest.
    const manifest = await waitFor(
      async () => {
        const read = await readManifest(dir);
        return read.status === 'ok' && read.manifest.run === 2 && typeof read.manifest.endedAt === 'string'
          ? read.manifest
          : undefined;
      },
      'the second run to be finalized',
      10_000,
    );
    expect(manifest.endReason).toBe('stopped');
    expect(manifest.stopReason).toBe(STOP_REASON_MEETING_ENDED);
    expect(manifest.files?.map((f) => f.path)).toContain('audio.run2.wav');
    expect(manifest.previousRuns).toHaveLength(1);
    const previous = manifest.previousRuns?.[0] as Partial<RecordingManifest>;
    expect(previous).toMatchObject({ run: 1, streamId, endReason: 'unfinished' });
    expect(typeof previous.repairedAt).toBe('string');
    expect(typeof previous.endedAt).toBe('string');
    const { size } = await stat(wavPath);
    expect(size).toBe(repairedHeader.fileBytes);
    expect(previous.files?.find((f) => f.path === 'audio.wav')?.bytes).toBe(size);
    const run2 = await readWavHeader(join(dir, 'audio.run2.wav'));
    expect(run2.dataSize).toBe(run2.fileBytes - WAV_HEADER_BYTES);
    expect(run2.dataSize).toBeGreaterThan(0);
    // transcript.jsonl is appended to by both runs; the subtitles rendered at the end hold every line.
    const transcriptLines = await readJsonl(join(dir, 'transcript.jsonl'));
    expect(transcriptLines.length).toBeGreaterThan(0);
    const vtt = await readFile(join(dir, 'transcript.vtt'), 'utf8');
    expect(vtt.startsWith('WEBVTT\n')).toBe(true);
    expect(vtt.match(/ --> /g)?.length).toBe(transcriptLines.length);
    // Run 2's own counters cover its lines only (run 1's manifest is as the killed process last wrote it).
    expect(transcriptLines.length).toBeGreaterThanOrEqual(manifest.counters?.frames.transcript ?? 0);
    // The stream's end makes the copies of both runs: run 1 never got to.
    if (FFMPEG) {
      const encoded = await waitFor(
        async () => {
          const read = await readManifest(dir);
          return read.status === 'ok' && read.manifest.encoding?.state === 'done' ? read.manifest : undefined;
        },
        'the copies of both runs',
        30_000,
      );
      const firstRun = encoded.previousRuns?.[0];
      for (const [run, wav, mp3] of [
        [firstRun, 'audio.wav', 'audio.mp3'],
        [encoded, 'audio.run2.wav', 'audio.run2.mp3'],
      ] as const) {
        expect(run?.encoding?.failures).toEqual([]);
        expect(run?.encoding?.outputs.map((o) => o.path)).toEqual([mp3]);
        const wavMs = run?.files?.find((f) => f.path === wav)?.durationMs ?? 0;
        expect(Math.abs(probe(join(dir, mp3)).decodedMs - wavMs), mp3).toBeLessThanOrEqual(50);
      }
    }

    // ------------------------------------------------------------------------------------------------
    // (b) The late retry of the original rtms_started reaches run 2 after the stop: ignored.
    const original = notices.find((n) => n.event === 'meeting.rtms_started' && !n.duplicate);
    if (!original) throw new Error('no rtms_started notice');
    await waitFor(
      () => {
        const started = sim.stats().webhooks.filter((w) => w.event === 'meeting.rtms_started' && w.delivered);
        return started.length >= 2;
      },
      'the late retry to be delivered',
      10_000,
    );
    expect(notices.filter((n) => n.event === 'meeting.rtms_started' && n.duplicate)).toHaveLength(1);
    const handshakes = structuredClone(report().handshakes);
    await waitFor(
      async () =>
        (metricValue(
          (await getText(`${base}/metrics`)).body,
          'rtmskit_webhook_deliveries_deduplicated_total',
        ) ?? 0) >= 1,
      'run 2 to count the late retry as a duplicate',
    );
    await sleep(500);
    expect(report().handshakes).toEqual(handshakes);
    const afterRetry = await streamsOf();
    expect(afterRetry.live).toEqual([]);
    expect(afterRetry.recent[0]).toMatchObject({ streamId, state: 'stopped', stopReason: 6 });

    // Another restart (a clean one this time), then the same body again with a fresh signature.
    expect(await Promise.race([second.kill('SIGTERM'), sleep(10_000).then(() => 'timeout')])).toBe(0);
    const third = await serve();
    const replay = await postWebhook(`${base}/webhook`, original.body, { secret: app.secretToken });
    expect(replay.status).toBe(200);
    await waitFor(
      () => logLines(third).find((l) => l.msg === 'webhook handled' && l.event === 'meeting.rtms_started'),
      'run 3 to handle the replay',
    );
    const handled = logLines(third).filter((l) => l.msg === 'webhook handled');
    expect(handled.map((l) => l.outcome)).toEqual(['duplicate']);
    await sleep(500);
    expect(report().handshakes).toEqual(handshakes);
    const metrics = (await getText(`${base}/metrics`)).body;
    expect(metricValue(metrics, 'rtmskit_webhook_deliveries_deduplicated_total')).toBe(1);
    const afterReplay = await streamsOf();
    expect(afterReplay.live).toEqual([]);
    expect(afterReplay.recent).toHaveLength(1);
    expect(afterReplay.recent[0]).toMatchObject({ streamId, state: 'stopped', stopReason: 6 });
    expect(await recordingFolders(dataDir)).toEqual([dir]);
  }, 90_000);
});
