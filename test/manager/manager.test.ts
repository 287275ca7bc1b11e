/**
 * StreamManager fed with the webhooks the simulator sends (parsed from the exact body bytes), over real
 * loopback sockets: the lifecycle table of DESIGN.md (new stream, retry, failover, interrupted, stopped,
 * late retry), one connection per stream, re-emitted events, snapshots, credentials per product, and
 * fifty streams at once.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AudioFrame, StateChange } from '../../src/client/events.js';
import type { Credentials } from '../../src/client/options.js';
import { RtmsStream } from '../../src/client/RtmsStream.js';
import type { RemovedEvent, StreamStart } from '../../src/manager/StreamManager.js';
import {
  type ManagerOutcome,
  StreamManager,
  type StreamManagerOptions,
  type StreamRef,
} from '../../src/manager/StreamManager.js';
import type { Product } from '../../src/protocol/products.js';
import { FIRST_USER_ID } from '../../src/simulator/content/scenario.js';
import type { Simulator, WebhookNotice } from '../../src/simulator/index.js';
import { WebhookReceiver } from '../../src/webhook/receiver.js';
import {
  credentialsFor,
  eventOf,
  FAST_TIMEOUTS,
  Harness,
  MANAGED_DEFAULTS,
  nextEvent,
  reportOf,
  sleep,
  waitUntil,
} from '../client/harness.js';

const harness = new Harness();
const managers: StreamManager[] = [];

afterEach(async () => {
  await Promise.allSettled(managers.splice(0).map((m) => m.close()));
  await harness.cleanup();
});

/** Simulated length of a stream that must not end during a test: 30 s real. */
const LONG_MS = 600_000;

/** A manager that is fed by hand; every webhook of `sim` is kept in `notices`. */
function manual(sim: Simulator, options: Partial<StreamManagerOptions> = {}) {
  const manager = new StreamManager({
    credentials: (product) => credentialsFor(sim, product),
    stream: MANAGED_DEFAULTS,
    ...options,
  });
  managers.push(manager);
  const notices: WebhookNotice[] = [];
  sim.on('webhook', (notice) => notices.push(notice));
  return { manager, notices };
}

/** The first notice of a lifecycle kind for a stream. */
function noticeOf(notices: WebhookNotice[], kind: string, streamId: string): WebhookNotice {
  const notice = notices.find((n) => n.event.endsWith(`_${kind}`) && n.streamId === streamId);
  if (!notice) throw new Error(`no ${kind} webhook for ${streamId}`);
  return notice;
}

function outcomesOf(outcomes: Array<{ outcome: ManagerOutcome }>): ManagerOutcome[] {
  return outcomes.map((o) => o.outcome);
}

describe('lifecycle', () => {
  it("a new stream is 'connecting' with one RtmsStream; the same delivery again is 'duplicate'", async () => {
    const sim = await harness.sim();
    const created: RtmsStream[] = [];
    const { manager, notices } = manual(sim, {
      createStream: (options) => {
        const stream = new RtmsStream(options);
        created.push(stream);
        return stream;
      },
    });
    const info = sim.startStream({ participants: 2, durationMs: LONG_MS });
    const started = noticeOf(notices, 'started', info.streamId);
    // Parsed the way a service does: through the receiver, from the exact bytes.
    const received = new WebhookReceiver({ secretToken: 'x', insecureSkipVerify: true }).receive(
      started.body,
      {},
    );
    expect(received.event?.kind).toBe('started');
    if (!received.event) throw new Error('no event');

    expect(await manager.handleWebhook(received.event)).toBe('connecting');
    expect(created).toHaveLength(1);
    expect(manager.size).toBe(1);
    const stream = manager.get(info.streamId);
    expect(stream).toBe(created[0]);
    await stream?.entersState('ready', 5_000);

    expect(await manager.handleWebhook(eventOf(started))).toBe('duplicate');
    expect(created).toHaveLength(1);
    expect(manager.get(info.streamId)).toBe(stream);
    await sleep(100);
    const report = reportOf(sim, info.streamId);
    expect(report.maxConcurrentSignaling).toBe(1);
    expect(report.handshakes.signaling.ok).toBe(1);
  });

  it("the same delivery 5× at once: one 'connecting', four 'duplicate', one connection", async () => {
    const sim = await harness.sim();
    const { manager, notices } = manual(sim);
    const info = sim.startStream({ participants: 2, durationMs: LONG_MS });
    const started = noticeOf(notices, 'started', info.streamId);
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () => manager.handleWebhook(eventOf(started))),
    );
    expect(outcomes.filter((o) => o === 'connecting')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(4);
    await manager.get(info.streamId)?.entersState('ready', 5_000);
    await sleep(200);
    const report = reportOf(sim, info.streamId);
    expect(report.maxConcurrentSignaling).toBe(1);
    expect(report.handshakes.signaling.ok).toBe(1);
    expect(report.handshakes.signaling.rejected).toEqual({});
    expect(report.maxConcurrentMedia.audio).toBe(1);
  });

  it("the duplicate-webhook fault is recognised as 'duplicate'", async () => {
    const sim = await harness.sim();
    const { manager, outcomes, pending } = harness.manager(sim);
    const info = sim.startStream({ participants: 2, durationMs: LONG_MS });
    await waitUntil(() => manager.get(info.streamId)?.status === 'ready', 5_000, 'ready');
    sim.fault(info.streamId, 'duplicate-webhook');
    await waitUntil(() => outcomes.length === 2, 2_000, 'two outcomes');
    await Promise.all(pending);
    expect(outcomesOf(outcomes)).toEqual(['connecting', 'duplicate']);
    await sleep(100);
    expect(reportOf(sim, info.streamId).handshakes.signaling.ok).toBe(1);
    expect(manager.size).toBe(1);
  });

  it("a late retry after the stream stopped is 'duplicate' and opens nothing", async () => {
    const sim = await harness.sim();
    const { manager, outcomes, pending } = harness.manager(sim);
    const removed = nextEvent<StreamRef>(manager, 'streamRemoved', 10_000);
    const info = sim.startStream({
      participants: 2,
      durationMs: 8_000,
      faults: [{ atMs: 0, fault: { type: 'late-retry' } }],
    });
    await removed;
    await waitUntil(() => outcomes.length === 3, 3_000, 'three outcomes');
    await Promise.all(pending);
    expect(outcomesOf(outcomes)).toEqual(['connecting', 'stopped', 'duplicate']);
    const late = outcomes[2];
    expect(late?.event).toBe('meeting.rtms_started');
    await sleep(200);
    expect(manager.size).toBe(0);
    expect(manager.get(info.streamId)).toBeUndefined();
    const report = reportOf(sim, info.streamId);
    expect(report.maxConcurrentSignaling).toBe(1);
    expect(report.handshakes.signaling.ok).toBe(1);
    expect(Object.keys(report.handshakes.signaling.rejected)).toEqual([]);
  });

  it("rtms_interrupted is 'reconnecting' and the stream comes back", async () => {
    const sim = await harness.sim();
    const { manager, outcomes, pending } = harness.manager(sim);
    const info = sim.startStream({ participants: 2, durationMs: LONG_MS });
    await waitUntil(() => manager.get(info.streamId)?.status === 'ready', 5_000, 'ready');
    const reconnected = nextEvent<StreamRef>(manager, 'reconnected', 5_000);
    sim.fault(info.streamId, 'drop-signaling');
    const ref = await reconnected;
    expect(ref.streamId).toBe(info.streamId);
    await waitUntil(() => outcomes.length === 2, 3_000, 'two outcomes');
    await Promise.all(pending);
    expect(outcomesOf(outcomes)).toEqual(['connecting', 'reconnecting']);
    expect(outcomes[1]?.event).toBe('meeting.rtms_interrupted');
    await waitUntil(() => manager.get(info.streamId)?.status === 'ready', 3_000, 'ready again');
    expect(reportOf(sim, info.streamId).maxConcurrentSignaling).toBe(1);
  });

  it("rtms_stopped is 'stopped': the stream closes with the stop reason and is removed", async () => {
    const sim = await harness.sim();
    const { manager, outcomes, pending } = harness.manager(sim);
    const removedEvents: Array<[StreamRef, RemovedEvent]> = [];
    manager.on('streamRemoved', (ref, closed) => removedEvents.push([ref, closed]));
    const info = sim.startStream({ participants: 2, durationMs: LONG_MS });
    await waitUntil(() => manager.get(info.streamId)?.status === 'ready', 5_000, 'ready');
    const stream = manager.get(info.streamId);
    sim.stopStream(info.streamId, 1);
    await waitUntil(() => removedEvents.length === 1, 3_000, 'streamRemoved');
    await Promise.all(pending);
    expect(outcomesOf(outcomes)).toEqual(['connecting', 'stopped']);
    const [ref, closed] = removedEvents[0] ?? [];
    expect(ref?.streamId).toBe(info.streamId);
    expect(closed).toMatchObject({ reason: 'stopped', stopReason: 1 });
    expect(stream?.status).toBe('closed');
    expect(manager.size).toBe(0);
    expect(manager.get(info.streamId)).toBeUndefined();
    expect(manager.streams()).toEqual([]);
  });
});

describe('events and snapshots', () => {
  it('re-emits stream events with the StreamRef first, one ref object per stream', async () => {
    const sim = await harness.sim();
    const { manager } = harness.manager(sim);
    const refs = new Set<StreamRef>();
    const audio: Array<[StreamRef, AudioFrame]> = [];
    const changes: Array<[StreamRef, StateChange]> = [];
    let transcripts = 0;
    let joins = 0;
    manager.on('audio', (ref, frame) => {
      refs.add(ref);
      audio.push([ref, frame]);
    });
    manager.on('stateChange', (ref, change) => {
      refs.add(ref);
      changes.push([ref, change]);
    });
    manager.on('transcript', (ref) => {
      refs.add(ref);
      transcripts++;
    });
    manager.on('participantJoin', (ref) => {
      refs.add(ref);
      joins++;
    });
    const added = nextEvent<StreamRef>(manager, 'streamAdded', 5_000);
    const info = sim.startStream({ product: 'webinar', participants: 2, durationMs: LONG_MS });
    const addedRef = await added;
    await waitUntil(() => audio.length > 0 && transcripts > 0 && joins > 0, 5_000, 'audio and transcript');
    expect([...refs]).toEqual([addedRef]);
    expect(addedRef).toMatchObject({
      streamId: info.streamId,
      product: 'webinar',
      instanceId: info.instanceId,
      meetingId: info.meetingId,
    });
    expect(changes.map(([, c]) => c.to)).toEqual(['connecting', 'ready']);
    expect(audio[0]?.[1].data.length).toBe(640);
  });

  it('streams(): status, participants from join events, audio counters and keep-alive delay', async () => {
    const sim = await harness.sim();
    const { manager } = harness.manager(sim);
    const info = sim.startStream({ participants: 2, durationMs: LONG_MS });
    await waitUntil(
      () => {
        const snap = manager.streams()[0];
        return (
          snap !== undefined &&
          snap.participants.length === 2 &&
          snap.counters.frames.audio > 0 &&
          snap.counters.keepAliveDelayMs !== undefined
        );
      },
      5_000,
      'a full snapshot',
    );
    const [snap, ...others] = manager.streams();
    expect(others).toEqual([]);
    expect(snap).toMatchObject({
      streamId: info.streamId,
      product: 'meeting',
      instanceId: info.instanceId,
      status: 'ready',
    });
    expect(snap?.participants.map((p) => p.userId).sort()).toEqual([FIRST_USER_ID, FIRST_USER_ID + 1]);
    expect(snap?.participants.every((p) => typeof p.userName === 'string')).toBe(true);
    expect(snap?.counters.frames.audio).toBeGreaterThan(0);
    expect(snap?.counters.keepAlivesAnswered).toBeGreaterThan(0);
    expect(Math.abs(snap?.counters.keepAliveDelayMs ?? Number.NaN)).toBeLessThan(1_000);
    // A snapshot is a copy.
    const frames = snap?.counters.frames.audio ?? 0;
    await sleep(100);
    expect(snap?.counters.frames.audio).toBe(frames);
    expect(manager.streams()[0]?.counters.frames.audio).toBeGreaterThan(frames);
  });

  it("calls the credentials resolver with 'session' for a Video SDK stream and uses it", async () => {
    const sim = await harness.sim({
      credentials: {
        clientId: 'general-id',
        clientSecret: 'general-secret',
        videoSdkKey: 'sdk-key',
        videoSdkSecret: 'sdk-secret',
      },
    });
    const resolver = vi.fn(
      (product: Product, _start: StreamStart): Credentials =>
        product === 'session'
          ? { clientId: 'sdk-key', clientSecret: 'sdk-secret' }
          : { clientId: 'general-id', clientSecret: 'general-secret' },
    );
    const { manager } = harness.manager(sim, { credentials: resolver });
    const session = sim.startStream({ product: 'session', participants: 2, durationMs: LONG_MS });
    const meeting = sim.startStream({ product: 'meeting', participants: 2, durationMs: LONG_MS });
    await waitUntil(
      () => manager.streams().filter((s) => s.status === 'ready').length === 2,
      5_000,
      'both streams ready',
    );
    expect(resolver.mock.calls.map(([product]) => product).sort()).toEqual(['meeting', 'session']);
    const sessionCall = resolver.mock.calls.find(([product]) => product === 'session');
    expect(sessionCall?.[1]).toMatchObject({ streamId: session.streamId, product: 'session' });
    expect(reportOf(sim, session.streamId).handshakes.signaling.ok).toBe(1);
    expect(reportOf(sim, meeting.streamId).handshakes.signaling.ok).toBe(1);
  });
});

/** When each stream of a manager first became ready (performance.now()). */
function firstReadyTimes(manager: StreamManager): Map<string, number> {
  const readyAt = new Map<string, number>();
  manager.on('stateChange', (ref, { to }) => {
    if (to === 'ready' && !readyAt.has(ref.streamId)) readyAt.set(ref.streamId, performance.now());
  });
  return readyAt;
}

/** Stream options for streams whose handshake answers come late: the watchdog must outlast them. */
const SLOW_HANDSHAKE_TIMEOUTS = { ...FAST_TIMEOUTS, handshakeMs: 5_000, deadSocketMs: 3_000 };

describe('many streams', () => {
  it('streams of different meetings do not wait on each other: a slow handshake delays nobody', async () => {
    const sim = await harness.sim();
    const { manager } = harness.manager(sim, {
      stream: { ...MANAGED_DEFAULTS, timeouts: SLOW_HANDSHAKE_TIMEOUTS },
    });
    const readyAt = firstReadyTimes(manager);
    const HANDSHAKE_DELAY_MS = 1_500;
    const startedAt = performance.now();
    const slow = sim.startStream({ participants: 2, durationMs: LONG_MS });
    // Before any socket can open: every handshake answer of this stream comes 1.5 s late.
    sim.fault(slow.streamId, { type: 'delay-handshake', ms: HANDSHAKE_DELAY_MS });
    const fast = [0, 1, 2].map(() => sim.startStream({ participants: 2, durationMs: LONG_MS }));
    await waitUntil(() => fast.every((s) => readyAt.has(s.streamId)), 5_000, 'the fast streams ready');
    expect(readyAt.has(slow.streamId)).toBe(false);
    for (const s of fast) expect((readyAt.get(s.streamId) ?? 0) - startedAt).toBeLessThan(HANDSHAKE_DELAY_MS);
    await waitUntil(() => readyAt.has(slow.streamId), 8_000, 'the slow stream ready');
    // Signaling, then media: two delayed answers in a row.
    expect((readyAt.get(slow.streamId) ?? 0) - startedAt).toBeGreaterThanOrEqual(2 * HANDSHAKE_DELAY_MS);
    expect(reportOf(sim, slow.streamId).maxConcurrentSignaling).toBe(1);
  });

  it('maxConcurrentHandshakes bounds handshakes across streams; every stream still gets ready', async () => {
    const sim = await harness.sim();
    const { manager } = harness.manager(sim, {
      maxConcurrentHandshakes: 1,
      stream: {
        ...MANAGED_DEFAULTS,
        media: ['audio'],
        timeouts: SLOW_HANDSHAKE_TIMEOUTS,
      },
    });
    const readyAt = firstReadyTimes(manager);
    const DELAY_MS = 250;
    const startedAt = performance.now();
    const streams = [0, 1, 2].map(() => {
      const s = sim.startStream({ participants: 2, durationMs: LONG_MS });
      sim.fault(s.streamId, { type: 'delay-handshake', ms: DELAY_MS });
      return s;
    });
    const seen = { active: 0, waiting: 0 };
    const sampler = setInterval(() => {
      const now = manager.handshakes();
      seen.active = Math.max(seen.active, now.active);
      seen.waiting = Math.max(seen.waiting, now.waiting);
    }, 10);
    await waitUntil(() => streams.every((s) => readyAt.has(s.streamId)), 10_000, 'every stream ready');
    clearInterval(sampler);
    expect(seen.active).toBe(1);
    expect(seen.waiting).toBeGreaterThanOrEqual(1);
    expect(manager.handshakes()).toEqual({ active: 0, waiting: 0 });
    // Six handshakes (signaling and audio of three streams), each answered 250 ms late, one at a time.
    const last = Math.max(...readyAt.values()) - startedAt;
    expect(last).toBeGreaterThanOrEqual(6 * DELAY_MS);
    for (const s of streams) expect(reportOf(sim, s.streamId).maxConcurrentSignaling).toBe(1);
    expect(
      () => new StreamManager({ credentials: credentialsFor(sim, 'meeting'), maxConcurrentHandshakes: 0 }),
    ).toThrow(/maxConcurrentHandshakes/);
  });

  it('50 streams at once connect and get audio, one signaling connection each; close() drains', async () => {
    const sim = await harness.sim({
      timeScale: 10,
      keepAliveIntervalMs: 2_000,
      signalingWindowMs: 30_000,
      mediaWindowMs: 30_000,
    });
    const manager = new StreamManager({
      credentials: (product) => credentialsFor(sim, product),
      stream: {
        ...MANAGED_DEFAULTS,
        media: ['audio'],
        // Generous for a loaded machine: fifty streams share one event loop with their simulator.
        timeouts: { ...FAST_TIMEOUTS, deadSocketMs: 3_000, handshakeMs: 5_000, connectMs: 5_000 },
      },
    });
    managers.push(manager);
    const audio = new Map<string, number>();
    const removed: string[] = [];
    manager.on('audio', (ref) => audio.set(ref.streamId, (audio.get(ref.streamId) ?? 0) + 1));
    manager.on('streamRemoved', (ref) => removed.push(ref.streamId));
    const outcomes: Promise<ManagerOutcome>[] = [];
    sim.on('webhook', (notice) => {
      if (notice.event.endsWith('_started')) outcomes.push(manager.handleWebhook(eventOf(notice)));
    });

    const ids = Array.from(
      { length: 50 },
      () => sim.startStream({ participants: 2, durationMs: 60_000 }).streamId,
    );
    expect(await Promise.all(outcomes)).toEqual(Array<ManagerOutcome>(50).fill('connecting'));
    expect(manager.size).toBe(50);
    await waitUntil(() => manager.streams().every((s) => s.status === 'ready'), 10_000, 'every stream ready');
    await waitUntil(() => ids.every((id) => (audio.get(id) ?? 0) > 0), 5_000, 'audio on every stream');
    for (const id of ids) {
      const report = reportOf(sim, id);
      expect(report.maxConcurrentSignaling, id).toBe(1);
      expect(report.handshakes.signaling.ok, id).toBe(1);
      expect(report.maxConcurrentMedia.audio, id).toBe(1);
    }

    await manager.close();
    expect(manager.size).toBe(0);
    expect(manager.streams()).toEqual([]);
    expect(removed.sort()).toEqual([...ids].sort());
    // Closed for good: the simulator sees no further connection.
    await sleep(200);
    for (const id of ids) expect(reportOf(sim, id).handshakes.signaling.ok, id).toBe(1);
  });
});
