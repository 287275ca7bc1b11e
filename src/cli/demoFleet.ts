/**
 * `rtmskit demo --fleet <n>`: a fleet on this machine. Redis (a redis-server it starts, or
 * RTMSKIT_STORE_URL), `n` `rtmskit serve` processes sharing it and one data folder, a round-robin proxy in
 * front of them for Zoom's webhooks, and the simulator. Mid-meeting it kills the instance holding the
 * most streams (`kill -9`) and shows the others take them over: who held what, the time from the kill
 * to media on each stream, and how many connections each stream had at once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { StopReason } from '../protocol/enums.js';
import { Simulator } from '../simulator/Simulator.js';
import { RoundRobinProxy } from './roundRobinProxy.js';
import { CliError } from './util.js';

/** Fleets of this size make the demo's point; more only crowd two cores. */
const FLEET_SIZES = { min: 2, max: 9 } as const;
/** The goal for a dead owner's streams: media again within this of the kill. */
const TAKEOVER_GOAL_MS = 15_000;
/** How long each child may take to answer /healthz, and Redis to answer PING. */
const START_TIMEOUT_MS = 30_000;
/** A meeting must outlast a takeover comfortably. */
const MIN_FLEET_DURATION_MS = 30_000;
/** Audio frames that must go out after the kill for a stream to count as flowing again. */
const FLOWING_FRAMES = 5;

export interface FleetDemoOptions {
  size: number;
  streams: number;
  participants: number;
  durationMs: number;
  dataDir: string;
  out: (line: string) => void;
}

interface Child {
  id: string;
  port: number;
  process: ChildProcess;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? done(address.port) : fail(new Error('no port')),
      );
    });
  });
}

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new CliError(`rtmskit demo --fleet: timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** Parses `--fleet`: the number of instances. */
export function fleetSizeOf(text: string): number {
  const size = Number(text);
  if (!Number.isInteger(size) || size < FLEET_SIZES.min || size > FLEET_SIZES.max) {
    throw CliError.badValue('--fleet', text, `a whole number from ${FLEET_SIZES.min} to ${FLEET_SIZES.max}`);
  }
  return size;
}

async function startRedis(cleanup: (() => Promise<void>)[]): Promise<string> {
  const given = process.env.RTMSKIT_STORE_URL;
  if (given?.startsWith('redis://') || given?.startsWith('rediss://')) return given;
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'rtmskit-demo-redis-'));
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
  const failed = new Promise<never>((_, fail) =>
    redis.once('error', () =>
      fail(
        new CliError(
          'rtmskit demo --fleet needs redis-server: install it (apt-get install redis-server), or set RTMSKIT_STORE_URL=redis://host:port',
        ),
      ),
    ),
  );
  cleanup.push(async () => {
    redis.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });
  const answers = async () => {
    const { Redis } = await import('ioredis');
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  };
  await Promise.race([until('redis-server to answer', answers, START_TIMEOUT_MS), failed]);
  return `redis://127.0.0.1:${port}`;
}

async function startInstance(
  id: string,
  redisUrl: string,
  dataDir: string,
  app: { clientId: string; clientSecret: string; secretToken: string },
): Promise<Child> {
  const port = await freePort();
  const env = {
    ...process.env,
    ZOOM_CLIENT_ID: app.clientId,
    ZOOM_CLIENT_SECRET: app.clientSecret,
    ZOOM_SECRET_TOKEN: app.secretToken,
    RTMSKIT_STORE_URL: redisUrl,
    RTMSKIT_INSTANCE_ID: id,
    RTMSKIT_ALLOW_LOOPBACK: 'true',
    RTMSKIT_LOG_LEVEL: 'error',
  };
  // The same command this process runs (`node dist/cli/main.js`, or under tsx), as `serve`.
  const args = [
    ...process.execArgv,
    process.argv[1] as string,
    'serve',
    '--port',
    String(port),
    '--data-dir',
    dataDir,
  ];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  await until(
    `instance ${id} to answer /healthz`,
    async () => {
      if (child.exitCode !== null) throw new CliError(`instance ${id} exited with ${child.exitCode}`);
      return fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status === 200,
        () => false,
      );
    },
    START_TIMEOUT_MS,
  );
  return { id, port, process: child };
}

async function owners(child: Child): Promise<Map<string, string>> {
  const response = await fetch(`http://127.0.0.1:${child.port}/api/streams`);
  const body = (await response.json()) as { recent: { streamId: string; owner: string | null }[] };
  return new Map(body.recent.filter((r) => r.owner !== null).map((r) => [r.streamId, r.owner as string]));
}

function table(held: Map<string, string>, ids: readonly string[]): string[] {
  return ids.map((id) => `    stream ${id}: ${held.get(id) ?? '(nobody)'}`);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Runs the fleet demo; resolves the exit code (0: every stream ended normally, taken over in time). */
export async function runFleetDemo(o: FleetDemoOptions): Promise<number> {
  if (o.durationMs < MIN_FLEET_DURATION_MS) {
    throw CliError.badValue(
      '--duration',
      `${o.durationMs} ms`,
      'at least 30s with --fleet: a takeover takes about 10 s',
    );
  }
  const cleanup: (() => Promise<void>)[] = [];
  const children: Child[] = [];
  try {
    const redisUrl = await startRedis(cleanup);
    const dataDir = resolve(o.dataDir);
    const app = {
      clientId: `demo_fleet_${process.pid}`,
      clientSecret: crypto.randomUUID(),
      secretToken: crypto.randomUUID(),
    };
    for (let i = 0; i < o.size; i++) {
      const child = await startInstance(`instance-${String.fromCharCode(97 + i)}`, redisUrl, dataDir, app);
      children.push(child);
      cleanup.push(async () => {
        child.process.kill('SIGTERM');
      });
    }
    const alive = new Set(children.map((c) => c.port));
    const proxy = new RoundRobinProxy(() => [...alive]);
    const proxyUrl = await proxy.start();
    cleanup.push(() => proxy.close());
    const sim = await Simulator.start({ webhookUrl: `${proxyUrl}/webhook`, credentials: app });
    cleanup.push(() => sim.close());
    o.out(
      `rtmskit demo --fleet ${o.size}: Redis ${redisUrl}, instances ${children.map((c) => `${c.id} :${c.port}`).join(', ')}`,
    );
    o.out(`  webhooks go through a round-robin proxy at ${proxyUrl}; recordings in ${dataDir}`);
    const ids = Array.from(
      { length: o.streams },
      () => sim.startStream({ participants: o.participants, durationMs: o.durationMs }).streamId,
    );
    let held = new Map<string, string>();
    const first = children[0] as Child;
    await until(
      'every stream to have an owner',
      async () => {
        held = await owners(first);
        return ids.every((id) => held.has(id));
      },
      START_TIMEOUT_MS,
    );
    o.out('  who holds what:');
    for (const line of table(held, ids)) o.out(line);

    await new Promise((done) => setTimeout(done, o.durationMs / 4));
    const counts = new Map<string, number>();
    for (const owner of held.values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
    const victimId = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] as string;
    const victim = children.find((c) => c.id === victimId) as Child;
    const orphaned = ids.filter((id) => held.get(id) === victimId);
    const audio = (id: string) => sim.stats().streams.find((s) => s.streamId === id)?.framesSent.audio ?? 0;
    alive.delete(victim.port);
    const killedAt = Date.now();
    victim.process.kill('SIGKILL');
    o.out(
      `  kill -9 ${victimId} (pid ${victim.process.pid}), which held ${orphaned.length} of ${ids.length} streams`,
    );
    await new Promise((done) => setTimeout(done, 300));
    const stalled = new Map(orphaned.map((id) => [id, audio(id)]));
    const back = new Map<string, number>();
    await until(
      'media again on every stream of the killed instance',
      () => {
        for (const id of orphaned)
          if (!back.has(id) && audio(id) > (stalled.get(id) ?? 0) + FLOWING_FRAMES)
            back.set(id, Date.now() - killedAt);
        return back.size === orphaned.length;
      },
      60_000,
    );
    held = await owners(children.find((c) => c !== victim) as Child);
    o.out('  who holds what after the takeover (time from the kill to media again):');
    for (const id of ids) {
      const ms = back.get(id);
      o.out(
        `    stream ${id}: ${held.get(id) ?? '(nobody)'}${ms === undefined ? '' : `  ${(ms / 1000).toFixed(1)} s`}`,
      );
    }

    await sim.whenIdle();
    const report = sim.stats().streams;
    const times = [...back.values()].sort((a, b) => a - b);
    const most = Math.max(...report.map((s) => s.maxConcurrentSignaling));
    const ended = report.filter((s) => s.endReason === StopReason.MEETING_ENDED).length;
    o.out(
      `  takeover, kill to media: min ${(times[0] as number) / 1000} s / median ${percentile(times, 50) / 1000} s / ` +
        `p99 ${percentile(times, 99) / 1000} s / max ${(times.at(-1) as number) / 1000} s (goal < ${TAKEOVER_GOAL_MS / 1000} s)`,
    );
    o.out(
      `  signaling connections per stream at once, at most: ${most} (1: never two connections to one stream)`,
    );
    o.out(`  meetings that ended normally (MEETING_ENDED): ${ended} of ${report.length}`);
    const ok = most === 1 && ended === report.length && (times.at(-1) as number) < TAKEOVER_GOAL_MS;
    return ok ? 0 : 1;
  } finally {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  }
}
