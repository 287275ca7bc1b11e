/**
 * Live outputs across a fleet of three instances on a real redis-server: instance A runs in this process
 * (so its bus can be watched), B and C are `rtmskit serve` processes, and every webhook goes to B. A's
 * bus carries the events of B's stream with B's own ids, exactly as B appended them to `rtmskit:events`;
 * a media subscription on A receives the stream's audio from B byte for byte, and B relays nothing
 * before anyone asks nor after the subscriber leaves.
 */
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { BusEvent, MediaFrameOut } from '../../src/outputs/EventBus.js';
import { Simulator } from '../../src/simulator/index.js';
import { Cleanups } from '../cleanups.js';
import { skipWithoutRedis, startRedisServer } from '../helpers/redisServer.js';
import { getText, metricValue, startInProcessService, waitFor } from '../service/helpers.js';
import {
  describeFleet,
  fleetCredentials,
  fleetStreams,
  RoundRobinProxy,
  startInstance,
} from './fleetHarness.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

type Entry = [id: string, fields: string[]];

function field(fields: readonly (string | Buffer)[], name: string): string | Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (String(fields[i]) === name) return fields[i + 1];
  return undefined;
}

describe.skipIf(skipWithoutRedis())('live outputs in a fleet', () => {
  it('a subscriber on one instance gets the events and the audio of a stream another instance holds', async () => {
    const redis = await startRedisServer();
    cleanups.add(() => redis.stop());
    const client = new Redis(redis.url, { lazyConnect: true });
    await client.connect();
    cleanups.add(() => client.quit());
    const cwd = await cleanups.tempDir('rtmskit-fleet-live-');
    const dataDir = join(cwd, 'data');
    const app = fleetCredentials();
    const children = await Promise.all(
      ['b', 'c'].map((id) =>
        startInstance({ id, redisUrl: redis.url, dataDir, cwd, app, env: { RTMSKIT_REDIS_MEDIA: 'audio' } }),
      ),
    );
    for (const child of children) cleanups.add(() => child.child.kill('SIGKILL'));
    const [b] = children as [(typeof children)[number]];
    const a = await startInProcessService(
      cleanups,
      {
        ZOOM_CLIENT_ID: app.clientId,
        ZOOM_CLIENT_SECRET: app.clientSecret,
        ZOOM_SECRET_TOKEN: app.secretToken,
        RTMSKIT_STORE_URL: redis.url,
        RTMSKIT_INSTANCE_ID: 'a',
      },
      { cwd },
    );
    const { bus } = a.service;
    expect(a.service.redisOutputs?.reader.reading).toBe(true);
    const seen: BusEvent[] = [];
    bus.subscribe({}, (event) => seen.push(event));

    const proxy = new RoundRobinProxy(() => [b.port]);
    const proxyUrl = await proxy.start();
    cleanups.add(() => proxy.close());
    const sim = await Simulator.start({ webhookUrl: `${proxyUrl}/webhook`, credentials: app });
    cleanups.add(() => sim.close());
    const { streamId } = sim.startStream({ participants: 2, durationMs: 120_000 });
    const ofStream = () => seen.filter((e) => e.streamId === streamId);

    await waitFor(
      () => ofStream().some((e) => e.type === 'participantJoin'),
      `A to see B's stream\n${describeFleet(children)}`,
      20_000,
    );
    const owner = (await fleetStreams(b)).find((s) => s.streamId === streamId)?.owner;
    expect(owner).toBe('b');
    expect(a.service.manager.get(streamId)).toBeUndefined();
    const metric = async (name: string, labels: Record<string, string>) =>
      metricValue((await getText(`${b.base}/metrics`)).body, name, labels);
    const sent = () => metric('rtmskit_fleet_media_frames_total', { direction: 'sent' });
    // Audio flows on B (into its own media key) and, without a subscriber, nothing is relayed.
    await waitFor(
      async () => ((await metric('rtmskit_redis_stream_entries_total', { kind: 'audio' })) ?? 0) > 50,
      'audio appended on B',
    );
    expect(await sent()).toBe(0);

    const frames: MediaFrameOut[] = [];
    const off = bus.subscribeMedia(streamId, new Set(['audio']), (frame) => frames.push(frame));
    await waitFor(() => frames.length >= 100, 'relayed audio on A', 10_000);
    off();
    expect(frames.every((f) => f.kind === 'audio' && f.streamId === streamId)).toBe(true);
    // The frames are B's own: each equals B's entry in rtmskit:media:<id> for its speaker and time.
    const last = frames.at(-1) as MediaFrameOut;
    let appended = new Map<string, Buffer>();
    await waitFor(
      async () => {
        const entries = (await client.xrangeBuffer(`rtmskit:media:${streamId}`, '-', '+')) as [
          Buffer,
          Buffer[],
        ][];
        appended = new Map(
          entries.map(([, f]) => [
            `${field(f, 'userId')}@${field(f, 'timestamp')}`,
            field(f, 'data') as Buffer,
          ]),
        );
        return appended.has(`${last.userId}@${last.timestamp}`);
      },
      'B’s media entries up to the last relayed frame',
      5_000,
    );
    for (const frame of frames) {
      const bytes = appended.get(`${frame.userId}@${frame.timestamp}`);
      expect(bytes?.equals(frame.data), `frame of ${frame.userId} at ${frame.timestamp}`).toBe(true);
    }

    // The subscriber left: B stops relaying at once (its PUBLISH reaches nobody) and A leaves the channel.
    await waitFor(async () => {
      const [, subscribers] = (await client.pubsub('NUMSUB', `rtmskit:live:${streamId}`)) as [string, number];
      return subscribers === 0;
    }, 'nobody on the stream’s channel');
    let before = await sent();
    await waitFor(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const now = await sent();
        const still = now === before;
        before = now;
        return still;
      },
      'B to stop relaying',
      10_000,
    );

    sim.stopStream(streamId);
    await waitFor(
      () => ofStream().some((e) => e.type === 'recordingFinished'),
      'the end of the stream on A',
      20_000,
    );
    // A's bus carried what B published, with B's ids, in B's order.
    const published = ((await client.xrange('rtmskit:events', '-', '+')) as Entry[]).filter(
      ([, f]) => field(f, 'streamId') === streamId,
    );
    expect(ofStream().map((e) => e.id)).toEqual(published.map(([, f]) => field(f, 'id')));
    expect(ofStream().every((e) => e.origin === 'b')).toBe(true);
    const types = new Set(ofStream().map((e) => e.type));
    for (const type of ['streamStarted', 'participantJoin', 'streamEnded', 'recordingFinished'] as const) {
      expect(types.has(type), type).toBe(true);
    }
  }, 60_000);
});
