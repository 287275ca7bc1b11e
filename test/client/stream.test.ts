/**
 * RtmsStream against the simulator over real loopback sockets, with compressed time: the happy path of
 * every product, handshake failures, frame modes, keep-alives, each failover scenario of
 * RTMS-PROTOCOL.md §7, loss of the window, listener errors, closing, video subscriptions and
 * `entersState`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ClosedEvent, ReconnectedEvent, ReconnectingEvent } from '../../src/client/events.js';
import type { RtmsStream } from '../../src/client/RtmsStream.js';
import { StreamManager } from '../../src/manager/StreamManager.js';
import { RTMS_ERROR_CODES, RtmsError } from '../../src/protocol/errors.js';
import type { Product } from '../../src/protocol/products.js';
import { FIRST_USER_ID } from '../../src/simulator/content/scenario.js';
import type { Simulator, SimulatorOptions, StreamOptions } from '../../src/simulator/index.js';
import {
  AudioLog,
  eventOf,
  FAST_TIMEOUTS,
  fastPolicy,
  Harness,
  nextEvent,
  reportOf,
  sleep,
  TIME_SCALE,
  WINDOW_REAL_MS,
  waitUntil,
} from './harness.js';

const harness = new Harness();

afterEach(async () => {
  await harness.cleanup();
});

/** 16 kHz mono L16, 20 ms: 320 samples of 2 bytes. */
const AUDIO_FRAME_BYTES = 640;
/** Generous bound of a recovery on a loaded CI machine. */
const MAX_DOWNTIME_MS = 5_000;

interface Run {
  sim: Simulator;
  stream: RtmsStream;
  streamId: string;
  audio: AudioLog;
  transcripts: number;
  closed: Promise<ClosedEvent>;
  reconnecting: ReconnectingEvent[];
  reconnected: ReconnectedEvent[];
}

/** Starts a simulated stream and an RtmsStream for it (not yet connected), recording what arrives. */
async function setup(
  simOptions: SimulatorOptions,
  streamOptions: StreamOptions,
  clientOptions: Parameters<Harness['stream']>[2] = {},
): Promise<Run> {
  const sim = await harness.sim(simOptions);
  const info = sim.startStream(streamOptions);
  const stream = harness.stream(sim, info, clientOptions);
  const audio = new AudioLog(true);
  const run: Run = {
    sim,
    stream,
    streamId: info.streamId,
    audio,
    transcripts: 0,
    closed: nextEvent<ClosedEvent>(stream, 'closed', 60_000),
    reconnecting: [],
    reconnected: [],
  };
  run.closed.catch(() => undefined);
  stream.on('audio', audio.onFrame);
  stream.on('transcript', () => {
    run.transcripts++;
  });
  stream.on('reconnecting', (e) => run.reconnecting.push(e));
  stream.on('reconnected', (e) => run.reconnected.push(e));
  return run;
}

/** Waits for the end of the stream and checks every frame the simulator sent was delivered once. */
async function expectAllAudioDelivered(run: Run): Promise<void> {
  const closed = await run.closed;
  expect(closed.reason).toBe('stopped');
  const sent = reportOf(run.sim, run.streamId).framesSent.audio;
  await waitUntil(() => run.audio.count >= sent, 2_000, `${sent} audio frames`).catch(() => undefined);
  expect(run.audio.outOfOrder).toEqual([]);
  expect(run.audio.count).toBe(sent);
  expect(run.stream.counters.duplicates).toBe(0);
}

describe('happy path', () => {
  const products: Product[] = ['meeting', 'webinar', 'session', 'contact_center'];
  for (const product of products) {
    it(`${product}, split mode: ready, audio and transcripts, stopped with reason 6, nothing lost`, async () => {
      const run = await setup({}, { product, participants: 2, durationMs: 16_000 });
      await run.stream.connect();
      expect(run.stream.status).toBe('ready');
      await waitUntil(() => run.audio.count > 0, 3_000, 'audio');
      const frame = run.audio.frames[0];
      expect(frame?.sampleRate).toBe(16_000);
      expect(frame?.channels).toBe(1);
      expect(frame?.codec).toBe(1);
      expect(frame?.data.length).toBe(AUDIO_FRAME_BYTES);
      const closed = await run.closed;
      expect(closed).toMatchObject({ reason: 'stopped', stopReason: 6 });
      expect(run.stream.status).toBe('closed');
      expect(run.transcripts).toBeGreaterThan(0);
      expect(reportOf(run.sim, run.streamId).endReason).toBe(6);
      await expectAllAudioDelivered(run);
    });
  }

  it('meeting, unified mode: one media socket to `all` carries audio and transcripts', async () => {
    const run = await setup(
      {},
      { product: 'meeting', participants: 2, durationMs: 16_000 },
      { mediaMode: 'unified' },
    );
    await run.stream.connect();
    expect(run.stream.status).toBe('ready');
    const closed = await run.closed;
    expect(closed).toMatchObject({ reason: 'stopped', stopReason: 6 });
    expect(run.transcripts).toBeGreaterThan(0);
    expect(run.audio.frames.every((f) => f.data.length === AUDIO_FRAME_BYTES && f.sampleRate === 16_000)).toBe(
      true,
    );
    const report = reportOf(run.sim, run.streamId);
    expect(report.handshakes.media.ok).toBe(1);
    expect(report.maxConcurrentMedia.audio).toBe(1);
    expect(report.maxConcurrentMedia.transcript).toBe(1);
    await expectAllAudioDelivered(run);
  });
});
