/**
 * The Redis Streams output of a service on a real redis-server, fed by the simulator: plain ioredis
 * clients read `rtmskit:events` (XREAD, and a consumer group whose two consumers share the entries), the
 * `MAXLEN ~` bounds hold, opted-in audio lands in `rtmskit:media:<id>` byte for byte, and a Redis outage
 * mid-stream drops appends with a count and a log line instead of crashing, then appending resumes.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusEvent, MediaFrameOut } from '../../src/outputs/EventBus.js';
import { MEDIA_KEY_TTL_MS } from '../../src/outputs/RedisStreamsOutput.js';
import { Simulator } from '../../src/simulator/index.js';
import { Cleanups } from '../cleanups.js';
import { type RedisServer, skipWithoutRedis, startRedisServer } from '../helpers/redisServer.js';
import { type InProcessService, metricValue, startInProcessService, waitFor } from '../service/helpers.js';

const TIME_SCALE = 8;
const EVENTS_KEY = 'rtmskit:events';
/** `MAXLEN ~` trims whole nodes of a stream: up to this many entries (Redis's default node size) over. */
const NODE_ENTRIES = 100;

type Entry = [id: string, fields: string[]];

function fieldsOf(fields: readonly (string | Buffer)[]): Map<string, string | Buffer> {
  const out = new Map<string, string | Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2) out.set(String(fields[i]), fields[i + 1] as string | Buffer);
  return out;
}

async function readAll(client: Redis, key: string): Promise<Entry[]> {
  return (await client.xrange(key, '-', '+')) as Entry[];
}

interface Running {
  redis: RedisServer;
  client: Redis;
  running: InProcessService;
  sim: Simulator;
}

async function startAll(cleanups: Cleanups, env: Record<string, string>): Promise<Running> {
  const redis = await startRedisServer();
  cleanups.add(() => redis.stop());
  const client = new Redis(redis.url, { lazyConnect: true });
  // The outage test stops the server under it: its reconnect errors are expected.
  client.on('error', () => undefined);
  await client.connect();
  // The outage test disconnects it first.
  cleanups.add(() => client.quit().catch(() => client.disconnect()));
  const running = await startInProcessService(cleanups, {
    RTMSKIT_STORE_URL: redis.url,
    RTMSKIT_INSTANCE_ID: 'solo',
    ...env,
  });
  const sim = await Simulator.start({
    webhookUrl: `${running.base}${running.config.webhookPath}`,
    credentials: running.app,
    timeScale: TIME_SCALE,
    participants: 2,
  });
  cleanups.add(() => sim.close());
  return { redis, client, running, sim };
}

describe.skipIf(skipWithoutRedis())('Redis Streams output', () => {
  describe('one stream, start to end', () => {
    const cleanups = new Cleanups();
    let all: Running;
    let streamId: string;
    /** What this instance's bus carried for the stream, and the audio frames it received. */
    const events: BusEvent[] = [];
    const audio: MediaFrameOut[] = [];
    let transcriptsSent = 0;

    beforeAll(async () => {
      all = await startAll(cleanups, { RTMSKIT_REDIS_MEDIA: 'audio' });
      const { bus } = all.running.service;
      bus.subscribe({}, (event) => {
        events.push(event);
        if (event.type === 'streamStarted') {
          bus.subscribeMedia(event.streamId, new Set(['audio']), (frame) => audio.push(frame));
        }
      });
      const ended = new Promise<void>((resolve) =>
        bus.subscribe({ types: new Set(['recordingFinished']) }, () => resolve()),
      );
      streamId = all.sim.startStream({ durationMs: 40_000 }).streamId;
      await all.sim.whenIdle();
      await ended;
      transcriptsSent =
        all.sim.stats().streams.find((s) => s.streamId === streamId)?.framesSent.transcript ?? 0;
      // Every event published here is in Redis once its entry for the last one is.
      const lastId = events.at(-1)?.id;
      await waitFor(async () => {
        const [last] = (await all.client.xrevrange(EVENTS_KEY, '+', '-', 'COUNT', 1)) as Entry[];
        return last !== undefined && fieldsOf(last[1]).get('id') === lastId;
      }, 'the last event in rtmskit:events');
    }, 60_000);
    afterAll(() => cleanups.run());

    it('XREAD gets every transcript segment the simulator sent, in order, with the documented fields', async () => {
      expect(transcriptsSent).toBeGreaterThan(3);
      const reply = (await all.client.xread('COUNT', 100_000, 'STREAMS', EVENTS_KEY, '0-0')) as
        | [string, Entry[]][]
        | null;
      const entries = (reply?.[0]?.[1] ?? []).map(([, fields]) => fieldsOf(fields));
      const ofStream = entries.filter((e) => e.get('streamId') === streamId);
      const transcripts = ofStream.filter((e) => e.get('type') === 'transcript');
      expect(transcripts).toHaveLength(transcriptsSent);
      const published = events.filter((e) => e.streamId === streamId);
      expect(ofStream.map((e) => e.get('id'))).toEqual(published.map((e) => e.id));
      expect(transcripts.map((e) => JSON.parse(String(e.get('data'))))).toEqual(
        published
          .filter((e) => e.type === 'transcript')
          .map((e) => JSON.parse(JSON.stringify(e.data)) as unknown),
      );
      expect(ofStream[0]?.get('type')).toBe('streamStarted');
      expect(ofStream.map((e) => e.get('type'))).toContain('streamEnded');
      expect(ofStream.at(-1)?.get('type')).toBe('recordingFinished');
      const event = published.find((e) => e.type === 'transcript') as BusEvent;
      const first = transcripts[0] as Map<string, string | Buffer>;
      expect([...first.keys()]).toEqual([
        'id',
        'type',
        'streamId',
        'product',
        'instanceId',
        ...(event.meetingId === undefined ? [] : ['meetingId']),
        'at',
        'origin',
        'data',
      ]);
      expect(first.get('product')).toBe('meeting');
      expect(first.get('instanceId')).toBe(event.instanceId);
      expect(first.get('origin')).toBe('solo');
      expect(Number(first.get('at'))).toBe(event.at);
    });

    it('two consumers of one consumer group share the entries without overlap', async () => {
      const group = 'workers';
      await all.client.xgroup('CREATE', EVENTS_KEY, group, '0');
      const consumers = ['w1', 'w2'];
      const got = new Map<string, string[]>(consumers.map((c) => [c, []]));
      for (let idle = 0; idle < consumers.length; ) {
        idle = 0;
        for (const consumer of consumers) {
          const reply = (await all.client.xreadgroup(
            'GROUP',
            group,
            consumer,
            'COUNT',
            7,
            'STREAMS',
            EVENTS_KEY,
            '>',
          )) as [string, Entry[]][] | null;
          const entries = reply?.[0]?.[1] ?? [];
          if (entries.length === 0) idle++;
          got.get(consumer)?.push(...entries.map(([id]) => id));
          if (entries.length > 0) await all.client.xack(EVENTS_KEY, group, ...entries.map(([id]) => id));
        }
      }
      const [a, b] = consumers.map((c) => got.get(c) ?? []) as [string[], string[]];
      const all_ = (await readAll(all.client, EVENTS_KEY)).map(([id]) => id);
      expect(a.length).toBeGreaterThan(0);
      expect(b.length).toBeGreaterThan(0);
      expect(a.filter((id) => b.includes(id))).toEqual([]);
      expect([...a, ...b].sort()).toEqual([...all_].sort());
    });

    it('opted-in audio lands in rtmskit:media:<id> with the bytes the stream received', async () => {
      const key = `rtmskit:media:${streamId}`;
      const entries = (await all.client.xrangeBuffer(key, '-', '+')) as [Buffer, Buffer[]][];
      expect(audio.length).toBeGreaterThan(100);
      expect(entries).toHaveLength(audio.length);
      entries.forEach(([, raw], i) => {
        const fields = fieldsOf(raw);
        const frame = audio[i] as MediaFrameOut;
        expect(String(fields.get('kind'))).toBe('audio');
        expect(Number(fields.get('userId'))).toBe(frame.userId);
        expect(Number(fields.get('timestamp'))).toBe(frame.timestamp);
        expect(Number(fields.get('codec'))).toBe(frame.codec);
        expect(Number(fields.get('sampleRate'))).toBe(frame.sampleRate);
        expect(Number(fields.get('channels'))).toBe(frame.channels);
        expect((fields.get('data') as Buffer).equals(frame.data)).toBe(true);
      });
      const ttl = await all.client.pttl(key);
      expect(ttl).toBeGreaterThan(MEDIA_KEY_TTL_MS - 60_000);
      expect(ttl).toBeLessThanOrEqual(MEDIA_KEY_TTL_MS);
      const metrics = await (await fetch(`${all.running.base}/metrics`)).text();
      const appended = { kind: 'audio', outcome: 'appended' };
      expect(metricValue(metrics, 'rtmskit_redis_stream_entries_total', appended)).toBe(audio.length);
    });
  });

  describe('bounds', () => {
    const cleanups = new Cleanups();
    afterAll(() => cleanups.run());

    it('MAXLEN ~ keeps rtmskit:events and each media key near their settings, the newest entries kept', async () => {
      const eventsMaxLen = 200;
      const mediaMaxLen = 150;
      const all = await startAll(cleanups, {
        RTMSKIT_REDIS_EVENTS_MAXLEN: String(eventsMaxLen),
        RTMSKIT_REDIS_MEDIA: 'audio',
        RTMSKIT_REDIS_MEDIA_MAXLEN: String(mediaMaxLen),
      });
      const { bus } = all.running.service;
      let frames = 0;
      const ended = new Promise<void>((resolve) =>
        bus.subscribe({ types: new Set(['streamStarted', 'streamEnded']) }, (event) => {
          if (event.type === 'streamEnded') resolve();
          else bus.subscribeMedia(event.streamId, new Set(['audio']), () => frames++);
        }),
      );
      const { streamId } = all.sim.startStream({ durationMs: 40_000 });
      // Many more events than the bound, over several event-loop turns.
      const ref = {
        streamId: 'bound-check',
        product: 'meeting' as const,
        instanceId: 'inst',
        meetingId: undefined,
      };
      const ids: string[] = [];
      for (let turn = 0; turn < 20; turn++) {
        for (let i = 0; i < 100; i++) ids.push(bus.publish(ref, 'chat', { text: `line ${turn}-${i}` }).id);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await waitFor(async () => {
        const entries = await readAll(all.client, EVENTS_KEY);
        return entries.some(([, f]) => fieldsOf(f).get('id') === ids.at(-1));
      }, 'the last published event in Redis');
      const kept = (await readAll(all.client, EVENTS_KEY))
        .map(([, f]) => fieldsOf(f))
        .filter((f) => f.get('streamId') === 'bound-check')
        .map((f) => String(f.get('id')));
      expect(await all.client.xlen(EVENTS_KEY)).toBeLessThanOrEqual(eventsMaxLen + NODE_ENTRIES);
      expect(kept.length).toBeGreaterThanOrEqual(eventsMaxLen - NODE_ENTRIES);
      expect(kept).toEqual(ids.slice(-kept.length));

      await ended;
      expect(frames).toBeGreaterThan(3 * mediaMaxLen);
      await waitFor(
        () => all.running.service.redisOutputs?.counters.appended.audio === frames,
        'every audio frame appended',
      );
      expect(await all.client.xlen(`rtmskit:media:${streamId}`)).toBeLessThanOrEqual(
        mediaMaxLen + NODE_ENTRIES,
      );
      expect(await all.client.xlen(`rtmskit:media:${streamId}`)).toBeGreaterThanOrEqual(mediaMaxLen);
    }, 60_000);
  });

  describe('Redis away mid-stream', () => {
    const cleanups = new Cleanups();
    afterAll(() => cleanups.run());

    it('drops appends with a count and one log line, keeps the stream, and appends again once Redis is back', async () => {
      const all = await startAll(cleanups, { RTMSKIT_REDIS_MEDIA: 'audio' });
      const { service } = all.running;
      const outputs = service.redisOutputs;
      if (outputs === undefined) throw new Error('no Redis outputs on a Redis store');
      const { streamId } = all.sim.startStream({ durationMs: 600_000 });
      await waitFor(async () => (await all.client.xlen(`rtmskit:media:${streamId}`)) > 20, 'audio in Redis');
      all.client.disconnect();

      await all.redis.stop();
      const droppedBefore = outputs.counters.dropped.audio;
      await waitFor(
        () => outputs.counters.dropped.audio > droppedBefore + 50,
        'audio appends dropped',
        5_000,
      );
      expect(service.manager.get(streamId)).toBeDefined();
      expect((await fetch(`${all.running.base}/healthz`)).status).toBe(200);
      const outage = all.running
        .logs()
        .filter((line) => String(line.msg).startsWith('Redis unreachable: live output appends are dropped'));
      expect(outage).toHaveLength(1);

      await all.redis.restart();
      const client = new Redis(all.redis.url, { lazyConnect: true });
      await client.connect();
      cleanups.add(() => client.quit());
      const appendedBefore = outputs.counters.appended.audio;
      await waitFor(
        async () => (await client.xlen(`rtmskit:media:${streamId}`)) > 20,
        'audio in Redis again',
        10_000,
      );
      expect(outputs.counters.appended.audio).toBeGreaterThan(appendedBefore);
      await waitFor(
        () => all.running.logs().some((line) => line.msg === 'Redis is back: live outputs append again'),
        'the line saying appends resumed',
      );
      const back = all.running.logs().find((line) => line.msg === 'Redis is back: live outputs append again');
      expect(Number(back?.dropped)).toBeGreaterThan(50);
      expect(service.manager.get(streamId)).toBeDefined();
      // Events too: the stream's transcripts are appended again.
      await waitFor(async () => (await client.xlen(EVENTS_KEY)) > 0, 'events in Redis again', 10_000);
    }, 60_000);
  });
});
