/**
 * RtmsStream against the simulator over real loopback sockets, with compressed time: the happy path of
 * every product, handshake failures, frame modes, keep-alives, each failover scenario of
 * RTMS-PROTOCOL.md §7, loss of the window, listener errors, closing, video subscriptions and
 * `entersState`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ClosedEvent, ReconnectedEvent, ReconnectingEvent } from '../../src/client/events.js';
import type { RtmsStream } from '../../src/client/RtmsStream.js';
import { RTMS_ERROR_CODES, RtmsError } from '../../src/protocol/errors.js';
import type { Product } from '../../src/protocol/products.js';
import { FIRST_USER_ID } from '../../src/simulator/content/scenario.js';
import type { Fault } from '../../src/simulator/faults.js';
import type {
  ScheduledFault,
  Simulator,
  SimulatorOptions,
  StreamOptions,
} from '../../src/simulator/index.js';
import {
  AudioLog,
  DEAD_SOCKET_REAL_MS,
  Harness,
  KEEP_ALIVE_REAL_MS,
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

/** Simulated length of most test streams: 0.8 s real. */
const DURATION_MS = 16_000;
/**
 * Media stops this long (simulated) before the end, so that frame counts compare what crossed the
 * connections; the end of a stream with media in flight has a test of its own.
 */
const QUIET_END_MS = 1_000;

function quietEnd(durationMs: number): ScheduledFault[] {
  return [{ atMs: durationMs - QUIET_END_MS, fault: { type: 'stop-media' } }];
}

describe('happy path', () => {
  const products: Product[] = ['meeting', 'webinar', 'session', 'contact_center'];
  for (const product of products) {
    it(`${product}, split: ready, audio and transcripts, stopped with reason 6, nothing lost`, async () => {
      const run = await setup(
        {},
        { product, participants: 2, durationMs: DURATION_MS, faults: quietEnd(DURATION_MS) },
      );
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
      const report = reportOf(run.sim, run.streamId);
      expect(report.endReason).toBe(6);
      expect(report.handshakes.media.ok).toBe(2);
      expect(report.maxConcurrentSignaling).toBe(1);
      await expectAllAudioDelivered(run);
    });
  }

  it('meeting, unified mode: one media socket to `all` carries audio and transcripts', async () => {
    const run = await setup(
      {},
      { product: 'meeting', participants: 2, durationMs: DURATION_MS, faults: quietEnd(DURATION_MS) },
      { mediaMode: 'unified' },
    );
    await run.stream.connect();
    expect(run.stream.status).toBe('ready');
    const closed = await run.closed;
    expect(closed).toMatchObject({ reason: 'stopped', stopReason: 6 });
    expect(run.transcripts).toBeGreaterThan(0);
    expect(run.audio.count).toBeGreaterThan(0);
    expect(
      run.audio.frames.every((f) => f.data.length === AUDIO_FRAME_BYTES && f.sampleRate === 16_000),
    ).toBe(true);
    const report = reportOf(run.sim, run.streamId);
    expect(report.handshakes.media.ok).toBe(1);
    expect(report.maxConcurrentMedia.audio).toBe(1);
    expect(report.maxConcurrentMedia.transcript).toBe(1);
    await expectAllAudioDelivered(run);
  });

  it('wss:// with the simulator certificate as CA: ready, every audio frame delivered once', async () => {
    const sim = await harness.sim({ tls: true });
    const info = sim.startStream({ participants: 2, durationMs: DURATION_MS, faults: quietEnd(DURATION_MS) });
    expect(info.serverUrls[0]).toMatch(/^wss:\/\//);
    const stream = harness.stream(sim, info, { ca: sim.certificate ?? '' });
    const audio = new AudioLog(true);
    stream.on('audio', audio.onFrame);
    const closed = nextEvent<ClosedEvent>(stream, 'closed', 60_000);
    await stream.connect();
    expect(stream.status).toBe('ready');
    expect(await closed).toMatchObject({ reason: 'stopped', stopReason: 6 });
    const report = reportOf(sim, info.streamId);
    expect(audio.count).toBeGreaterThan(0);
    expect(audio.count).toBe(report.framesSent.audio);
    expect(audio.outOfOrder).toEqual([]);
  });

  for (const frames of ['binary', 'mixed'] as const) {
    it(`${frames} frames: the same stream, the same counts`, async () => {
      const run = await setup(
        { frames },
        { participants: 2, durationMs: DURATION_MS, faults: quietEnd(DURATION_MS) },
      );
      await run.stream.connect();
      expect(run.stream.status).toBe('ready');
      const closed = await run.closed;
      expect(closed).toMatchObject({ reason: 'stopped', stopReason: 6 });
      expect(run.transcripts).toBeGreaterThan(0);
      expect(run.audio.frames[0]?.data.length).toBe(AUDIO_FRAME_BYTES);
      expect(run.stream.counters.decodeErrors).toBe(0);
      await expectAllAudioDelivered(run);
    });
  }

  it('end of stream: media sent before TERMINATED is still delivered', async () => {
    // At 200× the simulator's last pump tick before the end carries a full batch of 200 audio frames,
    // written to the media socket just before TERMINATED goes out on signaling. Media and signaling
    // are separate connections with no order between them: the client must drain media until the
    // server closes it. Six streams ending in different ticks, so one lucky ordering cannot hide a loss.
    const sim = await harness.sim({
      timeScale: 200,
      keepAliveIntervalMs: 20_000,
      signalingWindowMs: 300_000,
      mediaWindowMs: 300_000,
    });
    const runs = [0, 1, 2, 3, 4, 5].map((i) => {
      const info = sim.startStream({ participants: 2, durationMs: 40_000 + i * 8_000 });
      const stream = harness.stream(sim, info);
      const audio = new AudioLog();
      stream.on('audio', audio.onFrame);
      return { info, stream, audio, closed: nextEvent<ClosedEvent>(stream, 'closed', 10_000) };
    });
    await Promise.all(runs.map((r) => r.stream.connect()));
    for (const run of runs) expect((await run.closed).reason).toBe('stopped');
    await sleep(200);
    const delivered = runs.map((r) => r.audio.count);
    const sent = runs.map((r) => reportOf(sim, r.info.streamId).framesSent.audio);
    expect(Math.min(...sent)).toBeGreaterThan(0);
    expect(delivered).toEqual(sent);
  });
});

describe('handshake rejected', () => {
  it('a wrong client secret fails once with status 3 and a fix, and is not retried', async () => {
    const sim = await harness.sim();
    const info = sim.startStream({ durationMs: 600_000 });
    const stream = harness.stream(sim, info, {
      credentials: { clientId: sim.credentials.clientId, clientSecret: 'not-the-secret' },
    });
    const errors: RtmsError[] = [];
    stream.on('error', (e) => errors.push(e));
    const closed = nextEvent<ClosedEvent>(stream, 'closed', 5_000);
    const error = await stream.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RtmsError);
    const rtmsError = error as RtmsError;
    expect(rtmsError.code).toBe(RTMS_ERROR_CODES.HANDSHAKE_REJECTED);
    expect(rtmsError.statusCode).toBe(3);
    expect(rtmsError.fix).toContain('ZOOM_CLIENT_SECRET');
    expect(stream.status).toBe('failed');
    expect(await closed).toMatchObject({ reason: 'failed', error: { code: 'HANDSHAKE_REJECTED' } });
    expect(errors.map((e) => e.code)).toEqual([RTMS_ERROR_CODES.HANDSHAKE_REJECTED]);
    // Long enough for several retries of the 20 ms policy, had there been any.
    await sleep(300);
    const report = reportOf(sim, info.streamId);
    expect(report.handshakes.signaling.rejected).toEqual({ 3: 1 });
    expect(report.handshakes.signaling.ok).toBe(0);
    expect(report.handshakes.media.ok + Object.keys(report.handshakes.media.rejected).length).toBe(0);
  });
});

describe('keep-alive', () => {
  it('answers every keep-alive on signaling and media during a long idle stretch', async () => {
    // No media at all: keep-alives are all that keeps the media sockets from looking dead.
    const run = await setup(
      {},
      { participants: 2, durationMs: 600_000, faults: [{ atMs: 0, fault: { type: 'stop-media' } }] },
    );
    await run.stream.connect();
    // Eight keep-alive intervals on each of three sockets, far past deadSocketMs.
    await sleep(8 * KEEP_ALIVE_REAL_MS);
    await waitUntil(
      () => {
        const ka = reportOf(run.sim, run.streamId).keepAlives;
        return ka.answered === ka.sent;
      },
      2_000,
      'every keep-alive answered',
    );
    const ka = reportOf(run.sim, run.streamId).keepAlives;
    expect(ka.sent).toBeGreaterThanOrEqual(3 * 6);
    expect(ka.missed).toBe(0);
    const counters = run.stream.snapshotCounters();
    expect(counters.keepAlivesAnswered).toBeGreaterThanOrEqual(ka.answered);
    expect(counters.keepAliveDelayMs).toBeDefined();
    expect(run.stream.status).toBe('ready');
    expect(run.reconnecting).toEqual([]);
    expect(run.audio.count).toBe(0);
    expect(reportOf(run.sim, run.streamId).interruptions).toBe(0);
  });
});

describe('failover scenarios (RTMS-PROTOCOL.md §7)', () => {
  /** Simulated time of the fault: 0.2 s real into the stream. */
  const FAULT_AT_MS = 4_000;
  /** 1.2 s real: room for a slow recovery before the stream ends. */
  const FAILOVER_DURATION_MS = 24_000;

  /** Audio frames delivered when the first `reconnected` fired; later frames came on new sockets. */
  function countAtRecovery(stream: RtmsStream, audio: AudioLog): { at: number | undefined } {
    const out: { at: number | undefined } = { at: undefined };
    stream.once('reconnected', () => {
      out.at = audio.count;
    });
    return out;
  }

  /** The first recovery had the scope, was quick enough, and audio flowed again after it. */
  async function expectRecovered(run: Run, scope: 'all' | 'media', recovered: { at: number | undefined }) {
    await waitUntil(() => run.reconnected.length > 0, 5_000, 'reconnected');
    const first = run.reconnected[0];
    expect(first?.scope).toBe(scope);
    expect(first?.downtimeMs).toBeLessThan(MAX_DOWNTIME_MS);
    const at = recovered.at ?? Number.POSITIVE_INFINITY;
    await waitUntil(() => run.audio.count > at, 3_000, 'audio after the recovery');
  }

  /** A stream behind a manager with one fault at FAULT_AT_MS; collects its audio and recoveries. */
  async function managedRun(fault: Fault) {
    const sim = await harness.sim();
    const { manager, outcomes, pending } = harness.manager(sim);
    const audio = new AudioLog(true);
    const reconnected: ReconnectedEvent[] = [];
    const reconnecting: ReconnectingEvent[] = [];
    let recovered: number | undefined;
    manager.on('audio', (_ref, frame) => audio.onFrame(frame));
    manager.on('reconnecting', (_ref, e) => reconnecting.push(e));
    manager.on('reconnected', (_ref, e) => {
      reconnected.push(e);
      recovered ??= audio.count;
    });
    const removed = nextEvent<unknown>(manager, 'streamRemoved', 10_000);
    const info = sim.startStream({
      participants: 2,
      durationMs: FAILOVER_DURATION_MS,
      faults: [{ atMs: FAULT_AT_MS, fault }, ...quietEnd(FAILOVER_DURATION_MS)],
    });
    /** The audio count when the first recovery completed. */
    const recoveredAt = () => recovered;
    return { sim, info, outcomes, pending, audio, reconnecting, reconnected, removed, recoveredAt };
  }

  it('one failover is one recovery: one first attempt, one reconnected, attempts counted on', async () => {
    const { outcomes, pending, reconnecting, reconnected, removed, sim, info } = await managedRun({
      type: 'failover',
    });
    await waitUntil(() => outcomes.some((o) => o.outcome === 'failover'), 5_000, "outcome 'failover'");
    await removed;
    await Promise.all(pending);
    // The sockets dropped first (a signaling loss), then the new rtms_started: one recovery, not two.
    expect(
      reconnecting.filter((e) => e.attempt === 1),
      JSON.stringify(reconnecting),
    ).toHaveLength(1);
    const attempts = reconnecting.map((e) => e.attempt);
    expect(attempts).toEqual([...attempts].sort((a, b) => a - b));
    expect(new Set(attempts).size).toBe(attempts.length);
    expect(reconnected).toHaveLength(1);
    expect(reconnected[0]?.scope).toBe('all');
    const report = reportOf(sim, info.streamId);
    expect(report.maxConcurrentSignaling).toBe(1);
    expect(report.handshakes.signaling.ok).toBe(2);
  });

  it('server failover: the new rtms_started goes through the manager and moves the stream', async () => {
    const { sim, info, outcomes, pending, audio, reconnected, removed, recoveredAt } = await managedRun({
      type: 'failover',
    });
    await waitUntil(() => outcomes.some((o) => o.outcome === 'failover'), 5_000, "outcome 'failover'");
    await waitUntil(() => reconnected.length > 0, 5_000, 'reconnected');
    expect(reconnected[0]?.scope).toBe('all');
    expect(reconnected[0]?.downtimeMs).toBeLessThan(MAX_DOWNTIME_MS);
    const at = recoveredAt() ?? Number.POSITIVE_INFINITY;
    await waitUntil(() => audio.count > at, 3_000, 'audio after the failover');
    await removed;
    await Promise.all(pending);
    expect(outcomes.map((o) => o.outcome)).toEqual(['connecting', 'failover', 'stopped']);
    const report = reportOf(sim, info.streamId);
    expect(report.endReason).toBe(6);
    expect(report.handshakes.signaling.ok).toBe(2);
    expect(report.maxConcurrentSignaling).toBe(1);
    expect(audio.outOfOrder).toEqual([]);
    expect(audio.count).toBe(report.framesSent.audio);
  });

  it('drop-signaling: rtms_interrupted reaches the manager, signaling and media reconnect', async () => {
    const { sim, info, outcomes, pending, audio, reconnected, removed, recoveredAt } = await managedRun({
      type: 'drop-signaling',
    });
    await waitUntil(() => reconnected.length > 0, 5_000, 'reconnected');
    expect(reconnected[0]?.scope).toBe('all');
    expect(reconnected[0]?.downtimeMs).toBeLessThan(MAX_DOWNTIME_MS);
    const at = recoveredAt() ?? Number.POSITIVE_INFINITY;
    await waitUntil(() => audio.count > at, 3_000, 'audio after the reconnect');
    await removed;
    await Promise.all(pending);
    expect(outcomes.map((o) => o.outcome)).toEqual(['connecting', 'reconnecting', 'stopped']);
    const report = reportOf(sim, info.streamId);
    expect(report.endReason).toBe(6);
    expect(report.interruptions).toBeGreaterThanOrEqual(1);
    expect(report.recoveries).toBeGreaterThanOrEqual(1);
    expect(report.maxConcurrentSignaling).toBe(1);
    expect(audio.outOfOrder).toEqual([]);
    expect(audio.count).toBe(report.framesSent.audio);
  });

  it('drop-media:audio: event 7, only the audio socket reconnects', async () => {
    const run = await setup(
      {},
      {
        participants: 2,
        durationMs: FAILOVER_DURATION_MS,
        faults: [
          { atMs: FAULT_AT_MS, fault: { type: 'drop-media', kind: 'audio' } },
          ...quietEnd(FAILOVER_DURATION_MS),
        ],
      },
    );
    const event7: number[] = [];
    run.stream.on('event', (e) => {
      if (e.eventType === 7) event7.push(e.eventType);
    });
    const recovered = countAtRecovery(run.stream, run.audio);
    await run.stream.connect();
    await expectRecovered(run, 'media', recovered);
    expect(event7.length).toBe(1);
    expect(run.reconnecting.length).toBeGreaterThan(0);
    for (const e of run.reconnecting) expect(e).toMatchObject({ scope: 'media', kinds: ['audio'] });
    expect(run.reconnected.every((e) => e.scope === 'media' && e.kinds.join() === 'audio')).toBe(true);
    await expectAllAudioDelivered(run);
    const report = reportOf(run.sim, run.streamId);
    expect(report.handshakes.signaling.ok).toBe(1);
    // audio, transcript, then audio again.
    expect(report.handshakes.media.ok).toBe(3);
    expect(report.maxConcurrentMedia.audio).toBe(1);
  });

  it('reset (ECONNRESET) of signaling: everything reconnects', async () => {
    const run = await setup(
      {},
      {
        participants: 2,
        durationMs: FAILOVER_DURATION_MS,
        faults: [
          { atMs: FAULT_AT_MS, fault: { type: 'reset', target: 'signaling' } },
          ...quietEnd(FAILOVER_DURATION_MS),
        ],
      },
    );
    const recovered = countAtRecovery(run.stream, run.audio);
    await run.stream.connect();
    await expectRecovered(run, 'all', recovered);
    await expectAllAudioDelivered(run);
    const report = reportOf(run.sim, run.streamId);
    expect(report.handshakes.signaling.ok).toBe(2);
    expect(report.maxConcurrentSignaling).toBe(1);
  });

  it('reset: the reconnect reason names ECONNRESET (SocketCloseInfo.error)', async () => {
    const run = await setup(
      {},
      {
        participants: 2,
        durationMs: 600_000,
        faults: [{ atMs: FAULT_AT_MS, fault: { type: 'reset', target: 'signaling' } }],
      },
    );
    await run.stream.connect();
    await waitUntil(() => run.reconnecting.length > 0, 5_000, 'reconnecting');
    expect(run.reconnecting[0]?.reason).toContain('ECONNRESET');
  });

  it('close 1000 on signaling before the end: reconnects, it is not the end of the stream', async () => {
    const run = await setup(
      {},
      {
        participants: 2,
        durationMs: FAILOVER_DURATION_MS,
        faults: [
          { atMs: FAULT_AT_MS, fault: { type: 'close', code: 1000 } },
          ...quietEnd(FAILOVER_DURATION_MS),
        ],
      },
    );
    const recovered = countAtRecovery(run.stream, run.audio);
    await run.stream.connect();
    await expectRecovered(run, 'all', recovered);
    expect(run.reconnecting[0]?.reason).toContain('close 1000');
    await expectAllAudioDelivered(run);
    const report = reportOf(run.sim, run.streamId);
    expect(report.handshakes.signaling.ok).toBe(2);
    expect(report.endReason).toBe(6);
  });

  it('silent sockets: no keep-alive and no media past deadSocketMs, the watchdog reconnects', async () => {
    // Longer than the others: the watchdog needs deadSocketMs after the fault, then a reconnect.
    const durationMs = 30_000;
    const run = await setup(
      {},
      {
        participants: 2,
        durationMs,
        faults: [
          { atMs: FAULT_AT_MS, fault: { type: 'stop-keepalive' } },
          { atMs: FAULT_AT_MS, fault: { type: 'stop-media' } },
        ],
      },
    );
    let watchdogAt: number | undefined;
    run.stream.on('reconnecting', (e) => {
      if (e.reason.includes('silent socket (watchdog)')) watchdogAt ??= Date.now();
    });
    await run.stream.connect();
    await waitUntil(() => run.reconnected.length > 0, 5_000, 'reconnected');
    expect(watchdogAt).toBeDefined();
    // Not before a socket had been silent for deadSocketMs: silence starts at the faults, or up to
    // one keep-alive interval earlier on a socket that had nothing else to carry.
    const startedAt = reportOf(run.sim, run.streamId).startedAt;
    const silentFrom = FAULT_AT_MS / TIME_SCALE - KEEP_ALIVE_REAL_MS;
    expect((watchdogAt ?? 0) - startedAt).toBeGreaterThanOrEqual(silentFrom + DEAD_SOCKET_REAL_MS - 20);
    // Every silent media socket is found in turn, audio and transcript alike.
    const silentKinds = () =>
      new Set(
        run.reconnecting
          .filter((e) => e.scope === 'media' && e.reason.includes('silent socket'))
          .flatMap((e) => e.kinds),
      );
    await waitUntil(() => silentKinds().size === 2, 3_000, 'both media sockets found silent');
    expect([...silentKinds()].sort()).toEqual(['audio', 'transcript']);
    expect(run.reconnected[0]?.downtimeMs).toBeLessThan(MAX_DOWNTIME_MS);
    await expectAllAudioDelivered(run);
    expect(reportOf(run.sim, run.streamId).maxConcurrentSignaling).toBe(1);
  });
});

describe('window spent', () => {
  it("servers gone: 'lost' after the signaling window, with CONNECTION_LOST", async () => {
    const run = await setup({}, { participants: 2, durationMs: 600_000 });
    await run.stream.connect();
    const errors: RtmsError[] = [];
    run.stream.on('error', (e) => errors.push(e));
    const goneAt = Date.now();
    await run.sim.close();
    const closed = await run.closed;
    const elapsed = Date.now() - goneAt;
    expect(run.stream.status).toBe('lost');
    expect(closed.reason).toBe('lost');
    expect(closed.error?.code).toBe(RTMS_ERROR_CODES.CONNECTION_LOST);
    expect(errors.map((e) => e.code)).toEqual([RTMS_ERROR_CODES.CONNECTION_LOST]);
    expect(elapsed).toBeGreaterThanOrEqual(WINDOW_REAL_MS - 100);
    expect(elapsed).toBeLessThan(WINDOW_REAL_MS + 3_000);
    // Media sockets may notice first; signaling's reconnect then takes over and runs out of window.
    expect(run.reconnecting.filter((e) => e.scope === 'all').length).toBeGreaterThan(1);
    expect(closed.error?.message).toContain('signaling could not be recovered');
  });
});

describe('listeners and controls', () => {
  it("a throwing 'audio' listener does not break the stream: frames go on, HANDLER_FAILED", async () => {
    const sim = await harness.sim();
    const info = sim.startStream({ participants: 2, durationMs: 600_000 });
    const stream = harness.stream(sim, info);
    const errors: RtmsError[] = [];
    stream.on('error', (e) => errors.push(e));
    let calls = 0;
    stream.on('audio', () => {
      calls++;
      throw new Error('listener bug');
    });
    await stream.connect();
    await waitUntil(() => calls >= 50, 3_000, '50 audio frames');
    expect(stream.status).toBe('ready');
    expect(calls).toBe(stream.counters.frames.audio);
    expect(errors.length).toBe(calls);
    expect(errors.every((e) => e.code === RTMS_ERROR_CODES.HANDLER_FAILED)).toBe(true);
    expect(errors[0]?.cause).toMatchObject({ message: 'listener bug' });
    expect(reportOf(sim, info.streamId).interruptions).toBe(0);
  });

  it("a throwing 'audio' listener does not starve the listeners registered after it", async () => {
    const sim = await harness.sim();
    const info = sim.startStream({ participants: 2, durationMs: 600_000 });
    const stream = harness.stream(sim, info);
    stream.on('error', () => undefined);
    let calls = 0;
    stream.on('audio', () => {
      calls++;
      throw new Error('listener bug');
    });
    const audio = new AudioLog();
    stream.on('audio', audio.onFrame);
    await stream.connect();
    await waitUntil(() => calls >= 50, 3_000, '50 audio frames');
    expect(audio.count).toBe(calls);
  });

  it("close({ graceful: true }): STREAM_CLOSE_REQ, stop reason 20, 'closed', then silence", async () => {
    const sim = await harness.sim();
    const info = sim.startStream({ participants: 2, durationMs: 600_000 });
    const stream = harness.stream(sim, info);
    const audio = new AudioLog();
    stream.on('audio', audio.onFrame);
    await stream.connect();
    await waitUntil(() => audio.count > 0, 3_000, 'audio');
    const closed = nextEvent<ClosedEvent>(stream, 'closed', 5_000);
    await stream.close({ graceful: true });
    expect(await closed).toMatchObject({ reason: 'closed', stopReason: 20 });
    expect(stream.status).toBe('closed');
    const report = reportOf(sim, info.streamId);
    expect(report.state).toBe('ended');
    expect(report.endReason).toBe(20);
    const after: string[] = [];
    const names = [
      'audio',
      'transcript',
      'event',
      'stateChange',
      'streamState',
      'sessionState',
      'participantLeave',
      'reconnecting',
      'closed',
      'error',
    ] as const;
    for (const name of names) stream.on(name, () => after.push(name));
    await sleep(300);
    expect(after).toEqual([]);
    await stream.close();
    expect(after).toEqual([]);
  });

  it('subscribeVideo: data_opt 4 gets status 0 and that video; data_opt 3 is refused with 29', async () => {
    const sim = await harness.sim();
    const one = sim.startStream({ participants: 2, durationMs: 600_000 });
    const individual = harness.stream(sim, one, {
      media: ['audio', 'video'],
      mediaParams: { video: { data_opt: 4 } },
    });
    const videoUsers = new Set<number>();
    individual.on('video', (frame) => videoUsers.add(frame.userId));
    await individual.connect();
    const response = await individual.subscribeVideo(FIRST_USER_ID);
    expect(response.status_code).toBe(0);
    await waitUntil(() => videoUsers.size > 0, 3_000, 'subscribed video');
    expect([...videoUsers]).toEqual([FIRST_USER_ID]);

    const two = sim.startStream({ participants: 2, durationMs: 600_000 });
    const active = harness.stream(sim, two, {
      media: ['audio', 'video'],
      mediaParams: { video: { data_opt: 3 } },
    });
    await active.connect();
    const error = await active.subscribeVideo(FIRST_USER_ID).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RtmsError);
    expect(error).toMatchObject({ code: RTMS_ERROR_CODES.REQUEST_REJECTED, statusCode: 29 });
    expect(active.status).toBe('ready');
  });

  it("entersState('ready') resolves on connect; on an idle stream 1 ms rejects with TIMEOUT", async () => {
    const sim = await harness.sim();
    const info = sim.startStream({ participants: 2, durationMs: 600_000 });
    const idle = harness.stream(sim, info);
    const error = await idle.entersState('ready', 1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: RTMS_ERROR_CODES.TIMEOUT });
    expect(idle.status).toBe('idle');

    const ready = idle.entersState('ready', 5_000);
    void idle.connect();
    await expect(ready).resolves.toBeUndefined();
    expect(idle.status).toBe('ready');
    // Already there: resolves at once.
    await expect(idle.entersState('ready', 1)).resolves.toBeUndefined();
  });
});
