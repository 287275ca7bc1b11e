/**
 * A fleet of three `rtmskit serve` processes on a real redis-server, behind a round-robin proxy that the
 * simulator posts webhooks to: exactly one connection per stream at any moment, every delivery acted on
 * once wherever it lands, a killed owner's streams taken over inside Zoom's window with their recordings
 * continued, a paused owner that drops its streams when it wakes, and a Redis outage that loses nothing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listRecordingFolders } from '../../src/media/folders.js';
import { StopReason } from '../../src/protocol/enums.js';
import { Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { Cleanups } from '../cleanups.js';
import { type RedisServer, skipWithoutRedis, startRedisServer } from '../helpers/redisServer.js';
import { waitFor } from '../service/helpers.js';
import {
  describeFleet,
  type FleetInstance,
  fleetCredentials,
  fleetStreams,
  RoundRobinProxy,
  startInstance,
} from './fleetHarness.js';

/** A dead owner's streams have media again within this of the kill (Zoom's window is 60 s). */
const TAKEOVER_GOAL_MS = 15_000;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

interface Fleet {
  redis: RedisServer;
  instances: FleetInstance[];
  dataDir: string;
  sim: Simulator;
  /** Instances the proxy sends to. */
  alive: Set<number>;
}

async function startFleet(simOptions: SimulatorOptions = {}): Promise<Fleet> {
  const redis = await startRedisServer();
  cleanups.add(() => redis.stop());
  const cwd = await mkdtemp(join(tmpdir(), 'rtmskit-fleet-'));
  cleanups.add(() => rm(cwd, { recursive: true, force: true }));
  const dataDir = join(cwd, 'data');
  const app = fleetCredentials();
  const instances = await Promise.all(
    ['a', 'b', 'c'].map((id) => startInstance({ id, redisUrl: redis.url, dataDir, cwd, app })),
  );
  for (const instance of instances) cleanups.add(() => instance.child.kill('SIGKILL'));
  const alive = new Set(instances.map((i) => i.port));
  const proxy = new RoundRobinProxy(() => [...alive]);
  const proxyUrl = await proxy.start();
  cleanups.add(() => proxy.close());
  const sim = await Simulator.start({ webhookUrl: `${proxyUrl}/webhook`, credentials: app, ...simOptions });
  cleanups.add(() => sim.close());
  return { redis, instances, dataDir, sim, alive };
}

/** {@link waitFor} with the description first, polling every 100 ms. */
async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  await waitFor(check, what, timeoutMs, 100);
}

/** Waits until every stream has an owner; resolves the owners by stream. */
async function owners(fleet: Fleet, streamIds: readonly string[]): Promise<Map<string, string>> {
  let held = new Map<string, string>();
  await until(
    'every stream to have an owner',
    async () => {
      const rows = await fleetStreams(fleet.instances[0] as FleetInstance).catch(() => []);
      held = new Map(rows.filter((r) => r.owner !== null).map((r) => [r.streamId, r.owner as string]));
      return streamIds.every((id) => held.has(id));
    },
    20_000,
  );
  return held;
}

function audioSent(sim: Simulator, streamId: string): number {
  return sim.stats().streams.find((s) => s.streamId === streamId)?.framesSent.audio ?? 0;
}

/** Per stream, ms from `since` until audio flows again (it moves by more than a few frames). */
async function timesToMedia(sim: Simulator, streamIds: readonly string[], since: number): Promise<number[]> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  const stalled = new Map(streamIds.map((id) => [id, audioSent(sim, id)]));
  const back = new Map<string, number>();
  await until(
    'media to flow again on every stream',
    () => {
      for (const id of streamIds) {
        if (!back.has(id) && audioSent(sim, id) > (stalled.get(id) ?? 0) + 5)
          back.set(id, Date.now() - since);
      }
      return back.size === streamIds.length;
    },
    40_000,
  );
  return streamIds.map((id) => back.get(id) as number);
}

function expectOneConnectionAtATime(sim: Simulator): void {
  for (const s of sim.stats().streams) {
    expect(s.maxConcurrentSignaling, `stream ${s.streamId}: signaling connections at once`).toBe(1);
  }
}

function expectAllEnded(sim: Simulator, fleet: Fleet): void {
  for (const s of sim.stats().streams) {
    expect(s.endReason, `stream ${s.streamId} ended\n${describeFleet(fleet.instances)}`).toBe(
      StopReason.MEETING_ENDED,
    );
  }
}

describe.skipIf(skipWithoutRedis())('a fleet of three instances on Redis', () => {
  it('holds one connection per stream and acts on every delivery once, through duplicates, failovers and drops', async () => {
    const fleet = await startFleet();
    const { sim } = fleet;
    const faultsOf = [
      [{ atMs: 3_000, fault: { type: 'duplicate-webhook' } }],
      [{ atMs: 4_000, fault: { type: 'failover' } }],
      [{ atMs: 4_000, fault: { type: 'drop-signaling' } }],
      [{ atMs: 5_000, fault: { type: 'drop-media', kind: 'audio' } }],
      [
        { atMs: 5_000, fault: { type: 'failover' } },
        { atMs: 6_000, fault: { type: 'duplicate-webhook' } },
      ],
      [],
    ] as const;
    for (const faults of faultsOf) {
      sim.startStream({ participants: 2, durationMs: 14_000, faults: faults.map((f) => ({ ...f })) });
    }
    await sim.whenIdle();
    expectAllEnded(sim, fleet);
    expectOneConnectionAtATime(sim);

    // Every delivery: exactly one instance acted on it (or routed it once to the owner, which acted).
    const handled = fleet.instances.flatMap((i) => i.said('webhook handled'));
    const acted = new Map<string, number>();
    for (const line of handled) {
      if (line.outcome === 'duplicate') continue;
      const key = String(line.delivery);
      acted.set(key, (acted.get(key) ?? 0) + 1);
    }
    const deliveries = new Set(handled.map((line) => String(line.delivery)));
    for (const key of deliveries) expect(acted.get(key), `delivery ${key} acted on`).toBe(1);
    const routed = handled.filter((line) => line.outcome === 'routed').length;
    const routedHandled = () => fleet.instances.flatMap((i) => i.said('routed webhook handled')).length;
    await until('every routed event to be handled by its holder', () => routedHandled() >= routed, 5_000);
    expect(routedHandled()).toBe(routed);
    // Retries of the duplicate-webhook faults did land somewhere and were told apart.
    expect(handled.filter((line) => line.outcome === 'duplicate').length).toBeGreaterThanOrEqual(2);
    const metrics = await (await fetch(`${(fleet.instances[0] as FleetInstance).base}/metrics`)).text();
    expect(metrics).toContain('rtmskit_instance_info{instance="a",fleet="yes"} 1');
    expect(metrics).toMatch(/^rtmskit_fleet_leases_held \d+$/m);
    expect(metrics).toContain('# TYPE rtmskit_fleet_routed_events_total counter');
  }, 90_000);

  it('takes over a killed owner’s streams inside Zoom’s window, one connection at a time, recordings continued', async () => {
    const fleet = await startFleet();
    const { sim } = fleet;
    const streamIds = Array.from(
      { length: 6 },
      () => sim.startStream({ participants: 2, durationMs: 40_000 }).streamId,
    );
    const held = await owners(fleet, streamIds);
    const counts = new Map<string, number>();
    for (const owner of held.values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
    const victimId = [...counts.entries()].sort((x, y) => y[1] - x[1])[0]?.[0] as string;
    const victim = fleet.instances.find((i) => i.id === victimId) as FleetInstance;
    const victimStreams = streamIds.filter((id) => held.get(id) === victimId);
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    fleet.alive.delete(victim.port);
    const killedAt = Date.now();
    await victim.child.kill('SIGKILL');
    const times = await timesToMedia(sim, victimStreams, killedAt);
    console.log(
      `killed ${victimId} (held ${victimStreams.length} of ${streamIds.length} streams); ms to media per stream: ${times.join(', ')}`,
    );
    for (const ms of times) expect(ms).toBeLessThan(TAKEOVER_GOAL_MS);

    await sim.whenIdle();
    expectAllEnded(sim, fleet);
    expectOneConnectionAtATime(sim);
    const takers = fleet.instances.filter((i) => i !== victim);
    const takeovers = takers.flatMap((i) => i.said('took over a stream nobody held'));
    expect(takeovers.map((line) => line.stream).sort()).toEqual([...victimStreams].sort());

    // Each taken-over recording goes on in its folder: a second run by the taker after the victim's.
    await until(
      'the recordings to be finalized',
      async () => {
        const folders = await listRecordingFolders(fleet.dataDir);
        return folders.length >= streamIds.length;
      },
      10_000,
    );
    for (const folder of await listRecordingFolders(fleet.dataDir)) {
      if (!victimStreams.includes(folder.stream)) continue;
      await until(
        `the manifest of ${folder.stream} to be final`,
        async () =>
          JSON.parse(await readFile(join(folder.dir, 'manifest.json'), 'utf8')).endedAt !== undefined,
        10_000,
      );
      const manifest = JSON.parse(await readFile(join(folder.dir, 'manifest.json'), 'utf8'));
      expect(manifest.run).toBe(2);
      expect(takers.map((i) => i.id)).toContain(manifest.writer);
      expect(manifest.previousRuns.map((run: { writer: string }) => run.writer)).toEqual([victimId]);
      expect(manifest.files.map((f: { path: string }) => f.path)).toContain('audio.run2.wav');
    }
  }, 120_000);

  it('an owner paused past its lease drops its streams when it wakes, and does not reconnect them', async () => {
    // Zoom notices an unanswering client after three 2 s keep-alives, then tells the app by webhook.
    const fleet = await startFleet({ keepAliveIntervalMs: 2_000 });
    const { sim } = fleet;
    const streamIds = Array.from(
      { length: 4 },
      () => sim.startStream({ participants: 2, durationMs: 40_000 }).streamId,
    );
    const held = await owners(fleet, streamIds);
    const pausedId = [...held.values()][0] as string;
    const paused = fleet.instances.find((i) => i.id === pausedId) as FleetInstance;
    const pausedStreams = streamIds.filter((id) => held.get(id) === pausedId);
    fleet.alive.delete(paused.port);

    paused.child.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    // The paused process's sockets stay open (the kernel still takes frames for it): the others wait for
    // its lease to run out and for Zoom to drop it, then take its streams.
    const others = fleet.instances.filter((i) => i !== paused);
    const taken = () => others.flatMap((i) => i.said('took over a stream nobody held')).map((l) => l.stream);
    await until(
      'the other instances to take the paused one’s streams',
      () => pausedStreams.every((id) => taken().includes(id)),
      40_000,
    );
    console.log(
      `paused ${pausedId} (${pausedStreams.length} streams); taken over after ${Date.now() - stoppedAt} ms`,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    paused.child.child.kill('SIGCONT');
    await until(
      'the woken instance to let its streams go',
      () => paused.said('lease lost: closing the stream here').length >= pausedStreams.length,
      10_000,
    );
    const losses = paused.said('lease lost: closing the stream here');
    expect(losses.map((line) => line.stream).sort()).toEqual([...pausedStreams].sort());
    expect(new Set(losses.map((line) => line.cause))).toEqual(new Set(['unrenewed']));

    await sim.whenIdle();
    expectAllEnded(sim, fleet);
    expectOneConnectionAtATime(sim);
    // Woken, it never connected those streams again.
    const woke = paused.logs().findIndex((line) => line.msg === 'lease lost: closing the stream here');
    const after = paused.logs().slice(woke);
    expect(after.filter((line) => line.msg === 'reconnected')).toEqual([]);
  }, 120_000);

  it('a Redis outage and a Redis restart mid-meeting lose no stream and open no second connection', async () => {
    const fleet = await startFleet();
    const { sim, redis } = fleet;
    const streamIds = Array.from(
      { length: 4 },
      () => sim.startStream({ participants: 2, durationMs: 30_000 }).streamId,
    );
    await owners(fleet, streamIds);
    const probe = fleet.instances[1] as FleetInstance;

    // A few seconds away: not ready meanwhile, ready again after, without a restart of rtmskit.
    await redis.kill();
    await until(
      '/readyz to say not ready',
      async () => (await fetch(`${probe.base}/readyz`)).status === 503,
      5_000,
    );
    // A server failover while Redis is away: its rtms_started is answered at once and waits for Redis.
    const moved = streamIds[0] as string;
    sim.fault(moved, 'failover');
    await until(
      'a webhook to wait for the store',
      () =>
        fleet.instances.some((i) => i.said('store unreachable: the webhook event waits for it').length > 0),
      5_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await redis.restart();
    await until(
      '/readyz to say ready',
      async () => (await fetch(`${probe.base}/readyz`)).status === 200,
      10_000,
    );
    // Acted on once Redis was back: the stream's holder moved it to the new server (or, if the event
    // came first, the instance that got it took the stream, whose old connection the failover had closed).
    await until(
      'the failover to be acted on',
      () =>
        fleet.instances
          .flatMap((inst) => [...inst.said('webhook handled'), ...inst.said('routed webhook handled')])
          .some(
            (line) =>
              line.stream === moved && ['failover', 'routed', 'connecting'].includes(String(line.outcome)),
          ),
      15_000,
    );

    // Redis came back empty: the owners wrote their leases and records again.
    await owners(fleet, streamIds);
    await sim.whenIdle();
    expectAllEnded(sim, fleet);
    expectOneConnectionAtATime(sim);
    for (const instance of fleet.instances) {
      // The moved stream may have changed hands (see above): its old holder then closes its side, as
      // it must. Every other stream stays where it was.
      const lost = instance.said('lease lost: closing the stream here');
      expect(
        lost.filter((line) => line.stream !== moved || line.cause !== 'taken'),
        instance.id,
      ).toEqual([]);
      expect(instance.said('webhook event not acted on'), instance.id).toEqual([]);
    }
  }, 120_000);
});
