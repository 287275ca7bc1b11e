/**
 * The service in this process, on 127.0.0.1 port 0, fed by the simulator over real HTTP webhooks and
 * WebSockets: recordings checked byte by byte against what the simulator sent, webhook intake under bad
 * and repeated deliveries, and the HTTP surface (health, readiness, metrics, stream API).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AudioFrame } from '../../src/client/events.js';
import type { StreamRef } from '../../src/manager/StreamManager.js';
import { type RecordingManifest, readManifest } from '../../src/media/manifest.js';
import { loadConfig, type ServiceConfig } from '../../src/service/config.js';
import { createLogger } from '../../src/service/logger.js';
import { RtmsService } from '../../src/service/Service.js';
import { detectTone, toneHz } from '../../src/simulator/content/audio.js';
import { Simulator, type StreamReport, type WebhookNotice } from '../../src/simulator/index.js';
import {
  AUDIO_TEXT_FILES,
  expectManifestFiles,
  FIRST_USER_ID,
  getText,
  L16_MONO_16K_HEADER,
  metricValue,
  parseWavHeader,
  postWebhook,
  readJsonl,
  recordingFolders,
  sleep,
  WAV_HEADER_BYTES,
  waitFor,
} from './helpers.js';

/** Simulated time runs this much faster than real time. */
const TIME_SCALE = 8;
const PARTICIPANTS = 3;
/** Simulated length of the recorded meeting: 2 s of real time. */
const MEETING_MS = 16_000;
/** Audio: 16 kHz mono L16, 20 ms frames (the protocol's defaults). */
const SAMPLE_RATE = 16_000;
const FRAME_MS = 20;
const BYTES_PER_MS = (SAMPLE_RATE * 2) / 1000;
const FRAME_BYTES = FRAME_MS * BYTES_PER_MS;
const STOP_REASON_MEETING_ENDED = 6;

function token(): string {
  return randomBytes(12).toString('base64url');
}

interface Running {
  service: RtmsService;
  config: ServiceConfig;
  dataDir: string;
  webhookUrl: string;
  finalized: { manifest: RecordingManifest; ref: StreamRef }[];
  audio: AudioFrame[];
}

const cleanups: (() => Promise<void>)[] = [];

async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup().catch(() => undefined);
  }
}

/** Starts the service from a fake environment (loopback servers allowed), in a fresh temp folder. */
async function startService(): Promise<Running> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rtmskit-service-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const config = loadConfig(
    { port: 0, dataDir: 'data' },
    {
      ZOOM_CLIENT_ID: `svc_${token()}`,
      ZOOM_CLIENT_SECRET: token(),
      ZOOM_SECRET_TOKEN: token(),
      RTMSKIT_ALLOW_LOOPBACK: '1',
      RTMSKIT_LOG_LEVEL: 'silent',
    },
    dataDir,
  );
  expect(config.host).toBe('127.0.0.1');
  const finalized: Running['finalized'] = [];
  const service = await RtmsService.start(config, {
    logger: createLogger({ level: 'silent', pretty: false }),
    onRecordingFinalized: (manifest, ref) => finalized.push({ manifest, ref }),
  });
  cleanups.push(() => service.shutdown());
  const audio: AudioFrame[] = [];
  service.manager.on('audio', (_ref, frame) => audio.push(frame));
  return {
    service,
    config,
    dataDir: config.dataDir,
    webhookUrl: `${service.url}${config.webhookPath}`,
    finalized,
    audio,
  };
}

async function startSim(running: Running, deliver: boolean): Promise<Simulator> {
  const sim = await Simulator.start({
    ...(deliver ? { webhookUrl: running.webhookUrl } : {}),
    credentials: running.config.app,
    timeScale: TIME_SCALE,
    participants: PARTICIPANTS,
    durationMs: MEETING_MS,
  });
  cleanups.push(() => sim.close());
  return sim;
}

function reportOf(sim: Simulator, streamId: string): StreamReport {
  const report = sim.stats().streams.find((s) => s.streamId === streamId);
  if (!report) throw new Error(`no simulator report for ${streamId}`);
  return report;
}

// ---------------------------------------------------------------------------------------------------

describe('a recorded meeting', () => {
  let running: Running;
  let sim: Simulator;
  let streamId: string;
  let report: StreamReport;
  let dir: string;
  let manifest: Partial<RecordingManifest>;
  /** /metrics while the stream was live. */
  let liveMetrics: string;

  beforeAll(async () => {
    running = await startService();
    sim = await startSim(running, true);
    expect(sim.stats().urlValidation?.ok).toBe(true);
    streamId = sim.startStream({ participants: PARTICIPANTS, durationMs: MEETING_MS, seed: 4242 }).streamId;
    await waitFor(
      () => running.service.manager.streams().find((s) => s.status === 'ready'),
      'the stream to be ready',
    );
    liveMetrics = (await getText(`${running.service.url}/metrics`)).body;
    await sim.whenIdle();
    await waitFor(() => running.finalized.length > 0, 'the recording to be finalized');
    await waitFor(() => running.service.manager.size === 0, 'the stream to be removed');
    report = reportOf(sim, streamId);
    const folders = await recordingFolders(running.dataDir);
    expect(folders).toHaveLength(1);
    dir = folders[0] as string;
    const read = await readManifest(dir);
    if (read.status !== 'ok') throw new Error(`manifest.json is ${read.status}`);
    manifest = read.manifest;
  }, 30_000);

  afterAll(runCleanups);

  it('ended the way the simulator ended it', () => {
    expect(report.endReason).toBe(STOP_REASON_MEETING_ENDED);
    expect(report.maxConcurrentSignaling).toBe(1);
    expect(report.handshakes.signaling.ok).toBe(1);
    expect(report.framesSent.audio).toBeGreaterThan(100);
    expect(report.framesSent.transcript).toBeGreaterThan(2);
    expect(report.framesSent.chat).toBe(2);
    expect(running.finalized.map((f) => f.ref.streamId)).toEqual([streamId]);
  });

  it('writes the folder under recordings/<day>/<meeting>/<streamId> with the stream in the manifest', () => {
    const parts = relative(running.dataDir, dir).split(sep);
    const instanceId = sim.stream(streamId).instanceId;
    // The meeting uuid is base64 (`/`, `+`, `=`): it becomes base64url without padding.
    const instancePart = instanceId.replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
    expect(parts).toEqual([
      'recordings',
      expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      instancePart,
      streamId,
    ]);
    expect(manifest.streamId).toBe(streamId);
    expect(manifest.instanceId).toBe(instanceId);
    expect(manifest.product).toBe('meeting');
    expect(manifest.run).toBe(1);
  });

  it('writes a canonical PCM16 16 kHz mono WAV whose sizes match the file', async () => {
    const bytes = await readFile(join(dir, 'audio.wav'));
    const h = parseWavHeader(bytes);
    expect(h).toMatchObject(L16_MONO_16K_HEADER);
    expect(h.dataSize).toBe(bytes.length - WAV_HEADER_BYTES);
    expect(h.riffSize).toBe(bytes.length - 8);
    expect(h.dataSize).toBeGreaterThan(0);
  });

  it('the WAV lasts from the stream’s start to the last audio frame’s end (gaps filled)', async () => {
    const { size } = await stat(join(dir, 'audio.wav'));
    const durationMs = (size - WAV_HEADER_BYTES) / BYTES_PER_MS;
    const frames = running.audio;
    expect(frames.length).toBe(report.framesSent.audio);
    const first = frames[0]?.timestamp ?? Number.NaN;
    const last = frames.at(-1)?.timestamp ?? Number.NaN;
    // The stream's start is Zoom's first-packet timestamp, sent before any audio.
    const events = await readJsonl<{ kind: string; data: { timestamp?: number } }>(join(dir, 'events.jsonl'));
    const start = events.find((e) => e.kind === 'firstPacket')?.data.timestamp;
    expect(start).toBeLessThanOrEqual(first);
    expect(manifest.timelineOriginMs).toBe(start);
    expect(Math.abs(durationMs - (last - (start ?? first) + FRAME_MS))).toBeLessThanOrEqual(FRAME_MS);
    // Streamed audio plus the silence the writer inserted.
    const streamedMs = report.framesSent.audio * FRAME_MS;
    expect(Math.abs(durationMs - (streamedMs + (manifest.counters?.silenceMs ?? 0)))).toBeLessThanOrEqual(
      FRAME_MS,
    );
    // The scenario has pauses between turns, so there are gaps to fill.
    expect(manifest.counters?.gapsFilled).toBeGreaterThan(0);
  });

  it('has each speaker’s tone where the transcript has them speak, silence where nobody does', async () => {
    const pcm = (await readFile(join(dir, 'audio.wav'))).subarray(WAV_HEADER_BYTES);
    const lines = await readJsonl<{ userId: number; startTime: number; endTime: number }>(
      join(dir, 'transcript.jsonl'),
    );
    const origin = manifest.timelineOriginMs;
    if (typeof origin !== 'number') throw new Error('no timelineOriginMs');
    const candidates = Array.from({ length: PARTICIPANTS }, (_, i) => toneHz(i));
    const spans = lines.map((l) => ({
      index: l.userId - FIRST_USER_ID,
      from: l.startTime - origin,
      to: l.endTime - origin,
    }));
    for (const span of spans) expect(span.index).toBeGreaterThanOrEqual(0);
    const totalFrames = Math.floor(pcm.length / FRAME_BYTES);
    /** Who the transcript says speaks in frame k (judged at its start, as the simulator mixes audio). */
    const speakersOf = (k: number) => spans.filter((s) => s.from <= k * FRAME_MS && k * FRAME_MS < s.to);
    const windowOf = (k: number) => pcm.subarray(k * FRAME_BYTES, (k + 1) * FRAME_BYTES);

    let toneChecks = 0;
    const speakersChecked = new Set<number>();
    for (const span of spans) {
      // The first, middle and last frame of the utterance where it is the only voice.
      const frames: number[] = [];
      for (let k = Math.ceil(span.from / FRAME_MS); (k + 1) * FRAME_MS <= span.to && k < totalFrames; k++) {
        if (speakersOf(k).length === 1) frames.push(k);
      }
      const picks = new Set([frames[0], frames[Math.floor(frames.length / 2)], frames.at(-1)]);
      for (const k of picks) {
        if (k === undefined) continue;
        expect(detectTone(windowOf(k), SAMPLE_RATE, candidates), `frame ${k} (${k * FRAME_MS} ms)`).toBe(
          toneHz(span.index),
        );
        toneChecks++;
        speakersChecked.add(span.index);
      }
    }
    expect(toneChecks).toBeGreaterThanOrEqual(6);
    expect(speakersChecked.size).toBeGreaterThanOrEqual(2);

    let silentChecks = 0;
    for (let k = 0; k < totalFrames; k++) {
      if (speakersOf(k).length > 0) continue;
      const window = windowOf(k);
      expect(
        window.every((b) => b === 0),
        `frame ${k} (${k * FRAME_MS} ms) should be silence`,
      ).toBe(true);
      silentChecks++;
    }
    expect(silentChecks).toBeGreaterThan(0);
  });

  it('writes WebVTT and SubRip cues: one per transcript line and per transcript sent', async () => {
    const lines = await readJsonl<{ text: string; userName: string; startTime: number; endTime: number }>(
      join(dir, 'transcript.jsonl'),
    );
    expect(lines).toHaveLength(report.framesSent.transcript);

    const vtt = await readFile(join(dir, 'transcript.vtt'), 'utf8');
    expect(vtt.startsWith('WEBVTT\n')).toBe(true);
    const vttCues = vtt
      .split(/\n\n+/)
      .slice(1)
      .filter((b) => b.trim().length > 0);
    expect(vttCues).toHaveLength(lines.length);
    const origin = manifest.transcriptOriginMs;
    if (typeof origin !== 'number') throw new Error('no transcriptOriginMs');
    const sorted = [...lines].sort((a, b) => a.startTime - b.startTime);
    // Cue times count from the origin; a start just before it (the first utterance begins inside the
    // 20 ms slot before the first audio frame) is clamped to 0.
    const vttTime = (ms: number) => new Date(Math.max(0, Math.round(ms))).toISOString().slice(11, 23);
    vttCues.forEach((cue, i) => {
      const [times, text] = cue.split('\n');
      const line = sorted[i];
      expect(times).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} --> \d{2}:\d{2}:\d{2}\.\d{3}$/);
      expect(times).toBe(`${vttTime(line!.startTime - origin)} --> ${vttTime(line!.endTime - origin)}`);
      expect(text).toBe(`<v ${line!.userName}>${line!.text}`);
    });

    const srt = await readFile(join(dir, 'transcript.srt'), 'utf8');
    const srtCues = srt
      .trim()
      .split(/\n\n+/)
      .map((b) => b.split('\n'));
    expect(srtCues).toHaveLength(lines.length);
    srtCues.forEach(([number, times, text], i) => {
      expect(number).toBe(String(i + 1));
      expect(times).toMatch(/^\d{2}:\d{2}:\d{2},\d{3} --> \d{2}:\d{2}:\d{2},\d{3}$/);
      expect(times).toBe(vttCues[i]?.split('\n')[0]?.replaceAll('.', ','));
      expect(text).toBe(`${sorted[i]!.userName}: ${sorted[i]!.text}`);
    });
  });

  it('counts in the manifest what the simulator sent, and records the stop', async () => {
    expect(manifest.counters?.frames).toMatchObject({
      audio: report.framesSent.audio,
      transcript: report.framesSent.transcript,
      chat: report.framesSent.chat,
    });
    expect(typeof manifest.endedAt).toBe('string');
    expect(Number.isNaN(Date.parse(manifest.endedAt ?? ''))).toBe(false);
    expect(manifest.endReason).toBe('stopped');
    expect(manifest.stopReason).toBe(STOP_REASON_MEETING_ENDED);
    expect(manifest.stopReasonName).toBe('MEETING_ENDED');
    expect(manifest.counters?.dropped).toBe(0);
    expect(manifest.counters?.reconnects).toBe(0);
    // The manifest on disk is the one handed to onRecordingFinalized.
    expect(running.finalized[0]?.manifest).toEqual(manifest);
    // Every file it lists exists with the size it states.
    const files = manifest.files ?? [];
    await expectManifestFiles(dir, files, AUDIO_TEXT_FILES);
    expect(files.find((f) => f.path === 'audio.wav')).toMatchObject({
      kind: 'audio',
      codec: 'L16',
      sampleRate: 16_000,
      channels: 1,
      userId: 0,
    });
    const chat = await readJsonl(join(dir, 'chat.jsonl'));
    expect(chat).toHaveLength(report.framesSent.chat);
  });

  it('answers /healthz and /readyz (sqlite store)', async () => {
    const health = await getText(`${running.service.url}/healthz`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ ok: true });
    const ready = await getText(`${running.service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ ok: true });
  });

  it('exposes webhook, media and stream metrics', async () => {
    expect(metricValue(liveMetrics, 'rtmskit_streams', { status: 'ready' })).toBe(1);
    const text = (await getText(`${running.service.url}/metrics`)).body;
    expect(metricValue(text, 'rtmskit_webhooks_total', { event: 'meeting.rtms_started' })).toBe(1);
    expect(metricValue(text, 'rtmskit_webhooks_total', { event: 'meeting.rtms_stopped' })).toBe(1);
    expect(metricValue(text, 'rtmskit_webhooks_total', { event: 'endpoint.url_validation' })).toBe(1);
    const audio = metricValue(text, 'rtmskit_media_messages_total', { kind: 'audio' });
    expect(audio).toBeGreaterThan(0);
    expect(audio).toBe(report.framesSent.audio);
    expect(metricValue(text, 'rtmskit_media_messages_total', { kind: 'transcript' })).toBe(
      report.framesSent.transcript,
    );
    expect(metricValue(text, 'rtmskit_webhook_ack_seconds_bucket', { le: '+Inf' })).toBe(3);
    expect(metricValue(text, 'rtmskit_webhook_ack_seconds_count')).toBe(3);
    expect(text).toMatch(/^# TYPE rtmskit_streams gauge$/m);
    expect(metricValue(text, 'rtmskit_handshakes', { state: 'active' })).toBe(0);
    expect(metricValue(text, 'rtmskit_handshakes', { state: 'waiting' })).toBe(0);
    // No stream is live any more.
    expect(metricValue(text, 'rtmskit_streams') ?? 0).toBe(0);
  });

  it('lists the ended stream under recent in /api/streams (open on loopback)', async () => {
    const body = await waitFor(
      async () => {
        const answer = await getText(`${running.service.url}/api/streams`);
        expect(answer.status).toBe(200);
        const parsed = JSON.parse(answer.body) as { live: unknown[]; recent: Record<string, unknown>[] };
        return parsed.recent[0]?.state === 'stopped' ? parsed : undefined;
      },
      'the registry to record the stop',
      5_000,
    );
    expect(body.live).toEqual([]);
    expect(body.recent).toHaveLength(1);
    expect(body.recent[0]).toMatchObject({
      streamId,
      product: 'meeting',
      state: 'stopped',
      stopReason: STOP_REASON_MEETING_ENDED,
    });
    expect(typeof body.recent[0]?.endedAt).toBe('number');
  });
});

// ---------------------------------------------------------------------------------------------------

describe('webhook intake over HTTP', () => {
  afterEach(runCleanups);

  /** A simulator that only announces its webhooks: the test delivers them itself. */
  async function undelivered(running: Running): Promise<{ sim: Simulator; started: WebhookNotice }> {
    const sim = await startSim(running, false);
    const notices: WebhookNotice[] = [];
    sim.on('webhook', (n) => notices.push(n));
    // Long enough that the stream cannot end during the test.
    sim.startStream({ participants: PARTICIPANTS, durationMs: 600_000, seed: 7 });
    const started = await waitFor(
      () => notices.find((n) => n.event === 'meeting.rtms_started'),
      'rtms_started',
    );
    return { sim, started };
  }

  async function expectNothingChanged(running: Running, sim: Simulator, streamId: string): Promise<void> {
    // Give a wrongly accepted event time to act before looking.
    await sleep(300);
    expect(running.service.manager.size).toBe(0);
    expect(await running.service.store.listStreams()).toEqual([]);
    expect(await running.service.store.getStream(streamId)).toBeUndefined();
    expect(await recordingFolders(running.dataDir)).toEqual([]);
    const report = reportOf(sim, streamId);
    expect(report.handshakes.signaling).toEqual({ ok: 0, rejected: {} });
  }

  it('rejects forged, stale, non-JSON, oversize bodies (401/401/400/413); nothing changes', async () => {
    const running = await startService();
    const { sim, started } = await undelivered(running);
    const secret = running.config.app.secretToken;
    const url = running.webhookUrl;
    const streamId = started.streamId ?? '';

    const forged = await postWebhook(url, started.body, { secret: `${secret}-not` });
    expect(forged.status).toBe(401);
    expect(JSON.parse(forged.body)).toMatchObject({ error: 'WEBHOOK_BAD_SIGNATURE' });

    const stale = await postWebhook(url, started.body, {
      secret,
      tsSeconds: Math.floor(Date.now() / 1000) - 600,
    });
    expect(stale.status).toBe(401);
    expect(JSON.parse(stale.body)).toMatchObject({ error: 'WEBHOOK_STALE_TIMESTAMP' });

    const notJson = await postWebhook(url, `${started.body.toString('utf8')}}{`, { secret });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body)).toMatchObject({ error: 'WEBHOOK_INVALID_BODY' });

    const padding = ' '.repeat(300 * 1024);
    const big = Buffer.from(`${started.body.toString('utf8').slice(0, -1)},"pad":"${padding}"}`);
    expect(big.length).toBeGreaterThan(300 * 1024);
    const oversize = await postWebhook(url, big, { secret });
    expect(oversize.status).toBe(413);
    expect(JSON.parse(oversize.body)).toMatchObject({ error: 'WEBHOOK_TOO_LARGE' });

    await expectNothingChanged(running, sim, streamId);
    const metrics = (await getText(`${running.service.url}/metrics`)).body;
    expect(metricValue(metrics, 'rtmskit_webhooks_total', { result: 'rejected-401' })).toBe(2);
    expect(metricValue(metrics, 'rtmskit_webhooks_total', { result: 'rejected-400' })).toBe(1);
    expect(metricValue(metrics, 'rtmskit_webhooks_total', { result: 'rejected-413' })).toBe(1);
    expect(metricValue(metrics, 'rtmskit_webhook_deliveries_deduplicated_total')).toBe(0);

    // The rejected requests claimed nothing: the genuine delivery of the same body still opens the stream.
    const genuine = await postWebhook(url, started.body, { secret });
    expect(genuine.status).toBe(200);
    await waitFor(() => reportOf(sim, streamId).handshakes.signaling.ok === 1, 'the stream to connect');
    expect(running.service.manager.size).toBe(1);
  });

  it('a replayed rtms_started (same body, fresh signature) opens no second stream', async () => {
    const running = await startService();
    const { sim, started } = await undelivered(running);
    const secret = running.config.app.secretToken;
    const streamId = started.streamId ?? '';

    const first = await postWebhook(running.webhookUrl, started.body, { secret });
    expect(first.status).toBe(200);
    await waitFor(
      () => running.service.manager.streams().find((s) => s.status === 'ready'),
      'the stream to be ready',
    );
    // The same bytes again, as Zoom's retry sends them: new timestamp, new signature.
    const again = await postWebhook(running.webhookUrl, started.body, {
      secret,
      tsSeconds: Math.floor(Date.now() / 1000) + 1,
    });
    expect(again.status).toBe(200);
    const metrics = await waitFor(async () => {
      const text = (await getText(`${running.service.url}/metrics`)).body;
      return (metricValue(text, 'rtmskit_webhook_deliveries_deduplicated_total') ?? 0) >= 1
        ? text
        : undefined;
    }, 'the duplicate to be counted');
    expect(metricValue(metrics, 'rtmskit_webhook_deliveries_deduplicated_total')).toBe(1);
    await sleep(300);
    const report = reportOf(sim, streamId);
    expect(report.maxConcurrentSignaling).toBe(1);
    expect(report.handshakes.signaling).toEqual({ ok: 1, rejected: {} });
    expect(running.service.manager.size).toBe(1);
    expect((await running.service.store.listStreams()).map((s) => s.streamId)).toEqual([streamId]);
  });
});
