/**
 * Units of the client that need no simulator: the default reconnect policy (alone, and driving a stream
 * on a fake clock), the server URL allow-list, local refusal of invalid options, the delivery ledger and
 * tracker, and the socket watchdog against a silent local server.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { DeliveryTracker } from '../../src/client/dispatch.js';
import type { ClosedEvent, ReconnectingEvent } from '../../src/client/events.js';
import { DEAD_SOCKET_MS, type RtmsStreamOptions, resolveStreamOptions } from '../../src/client/options.js';
import { RtmsSocket, type SocketCloseInfo } from '../../src/client/RtmsSocket.js';
import { RtmsStream } from '../../src/client/RtmsStream.js';
import {
  defaultReconnectPolicy,
  RECONNECT_BASE_MS,
  RECONNECT_MAX_DELAY_MS,
  RECONNECT_MIN_DELAY_MS,
  type ReconnectContext,
} from '../../src/client/reconnectPolicy.js';
import { checkServerUrl } from '../../src/client/serverUrls.js';
import { MemoryDeliveryLedger } from '../../src/manager/DeliveryLedger.js';
import { RTMS_ERROR_CODES, RtmsError } from '../../src/protocol/errors.js';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function context(attempt: number, elapsedMs = 0, windowMs = 60_000): ReconnectContext {
  return { attempt, elapsedMs, windowMs, scope: 'all', reason: 'test' };
}

/** The error `fn` throws, or fails the test. */
function thrownBy(fn: () => unknown): RtmsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RtmsError);
    return err as RtmsError;
  }
  throw new Error('expected an RtmsError, nothing was thrown');
}

describe('defaultReconnectPolicy', () => {
  it('first delay is 250 ms ± 20 %', () => {
    const delays = Array.from({ length: 500 }, () => defaultReconnectPolicy(context(1)));
    for (const delay of delays) {
      expect(delay).not.toBeNull();
      expect(delay).toBeGreaterThanOrEqual(RECONNECT_BASE_MS * 0.8);
      expect(delay).toBeLessThanOrEqual(RECONNECT_BASE_MS * 1.2);
    }
    // Jittered, not constant.
    expect(new Set(delays).size).toBeGreaterThan(10);
  });

  it('jitter reaches both ends of ±20 %', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect(defaultReconnectPolicy(context(1))).toBe(200);
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
    expect(defaultReconnectPolicy(context(1))).toBe(300);
  });

  it('doubles per attempt up to 5 s', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const delays = [1, 2, 3, 4, 5, 6, 7, 20, 1_000].map((a) => defaultReconnectPolicy(context(a)));
    expect(delays).toEqual([250, 500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000, 5_000]);
  });

  it('never waits longer than 5 s, jitter included (RECONNECT_MAX_DELAY_MS)', () => {
    for (const random of [0, 0.5, 0.75, 0.999_999]) {
      vi.spyOn(Math, 'random').mockReturnValue(random);
      for (const attempt of [5, 6, 7, 30]) {
        expect(defaultReconnectPolicy(context(attempt))).toBeLessThanOrEqual(RECONNECT_MAX_DELAY_MS);
      }
    }
  });

  it('never waits less than 50 ms, whatever the attempt or jitter', () => {
    for (const random of [0, 0.25, 0.5, 0.999_999]) {
      vi.spyOn(Math, 'random').mockReturnValue(random);
      for (const attempt of [-5, 0, 1, 2, 10, 100]) {
        const delay = defaultReconnectPolicy(context(attempt));
        expect(delay).toBeGreaterThanOrEqual(RECONNECT_MIN_DELAY_MS);
      }
    }
  });

  it('gives up (null) when elapsed + delay reaches the window', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    expect(defaultReconnectPolicy(context(1, 59_749, 60_000))).toBe(250);
    expect(defaultReconnectPolicy(context(1, 59_750, 60_000))).toBeNull();
    expect(defaultReconnectPolicy(context(1, 70_000, 60_000))).toBeNull();
    expect(defaultReconnectPolicy(context(6, 54_999, 60_000))).toBe(5_000);
    expect(defaultReconnectPolicy(context(6, 55_000, 60_000))).toBeNull();
    expect(defaultReconnectPolicy({ ...context(6, 59_999, 65_000), scope: 'media' })).toBe(5_000);
  });

  it('drives a stream on a fake clock: 250, 500 … 5000 ms, then lost after the 60 s window', async () => {
    // A port nobody listens on: every attempt is refused at once, over a real socket.
    const port = await freePort();
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'],
    });
    try {
      const stream = new RtmsStream({
        ...validOptions(),
        serverUrls: [`ws://127.0.0.1:${port}/signaling`],
        allowLoopback: true,
      });
      const delays: number[] = [];
      const attempts: number[] = [];
      let closed: ClosedEvent | undefined;
      stream.on('reconnecting', (e: ReconnectingEvent) => {
        delays.push(e.delayMs);
        attempts.push(e.attempt);
      });
      stream.on('closed', (e) => {
        closed = e;
      });
      stream.on('error', () => undefined);
      const connected = stream.connect().then(
        () => undefined,
        (e: unknown) => e,
      );
      // Each refusal arrives over the real loopback; then the stream sleeps on the fake clock.
      let slept = 0;
      while (!closed) {
        await realTurn();
        const delay = delays[slept];
        if (delay === undefined) continue;
        slept++;
        await vi.advanceTimersByTimeAsync(delay);
      }
      expect(await connected).toMatchObject({ code: RTMS_ERROR_CODES.CONNECTION_LOST });
      expect(closed).toMatchObject({ reason: 'lost', error: { code: RTMS_ERROR_CODES.CONNECTION_LOST } });
      expect(stream.status).toBe('lost');
      // The first retry of the initial connection is retry 1: ~250 ms, like any other first retry.
      expect(attempts[0]).toBe(1);
      expect(delays).toEqual([250, 500, 1_000, 2_000, 4_000, ...Array<number>(10).fill(5_000)]);
    } finally {
      vi.useRealTimers();
    }
  });
});

/** One turn of the real event loop (setImmediate is not faked here). */
function realTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('checkServerUrl', () => {
  const zoom = ['*.zoom.us'];

  it('allows wss://rtms.zoom.us by default', () => {
    expect(checkServerUrl('wss://rtms.zoom.us', zoom, false).hostname).toBe('rtms.zoom.us');
    expect(checkServerUrl('wss://rtms-sjc1.zoom.us/signaling?x=1', zoom, false).hostname).toBe(
      'rtms-sjc1.zoom.us',
    );
  });

  it.each([
    ['wss://evil.example'],
    ['wss://zoom.us.evil.com'],
    ['wss://evilzoom.us'],
    ['http://x.zoom.us'],
    ['https://rtms.zoom.us'],
    ['not a url'],
  ])('refuses %s with SERVER_URL_NOT_ALLOWED', (url) => {
    const error = thrownBy(() => checkServerUrl(url, zoom, false));
    expect(error.code).toBe(RTMS_ERROR_CODES.SERVER_URL_NOT_ALLOWED);
    expect(error.fix).toBeTruthy();
  });

  it('refuses loopback unless allowLoopback', () => {
    const error = thrownBy(() => checkServerUrl('ws://127.0.0.1:9/x', zoom, false));
    expect(error.code).toBe(RTMS_ERROR_CODES.SERVER_URL_NOT_ALLOWED);
    expect(error.fix).toContain('allowLoopback');
    expect(checkServerUrl('ws://127.0.0.1:9/x', zoom, true).port).toBe('9');
    expect(checkServerUrl('ws://localhost:9/x', zoom, true).hostname).toBe('localhost');
    // Loopback never opens the door to other hosts.
    expect(thrownBy(() => checkServerUrl('wss://evil.example', zoom, true)).code).toBe(
      RTMS_ERROR_CODES.SERVER_URL_NOT_ALLOWED,
    );
  });

  it('RtmsStream refuses a forged server URL before any traffic', () => {
    const error = thrownBy(() => new RtmsStream({ ...validOptions(), serverUrls: ['wss://evil.example'] }));
    expect(error.code).toBe(RTMS_ERROR_CODES.SERVER_URL_NOT_ALLOWED);
  });
});

function validOptions(): RtmsStreamOptions {
  return {
    streamId: 'stream-1',
    instanceId: 'meeting-uuid==',
    product: 'meeting',
    serverUrls: ['wss://rtms.zoom.us/signaling'],
    credentials: { clientId: 'id', clientSecret: 'secret' },
  };
}

describe('invalid options are refused locally with INVALID_OPTIONS', () => {
  const cases: Array<[rule: string, options: Partial<RtmsStreamOptions>, mentions: string]> = [
    [
      'stereo without Opus',
      { mediaParams: { audio: { channel: 2, codec: 1 } } },
      'stereo audio needs the Opus codec',
    ],
    ['stereo with the default codec', { mediaParams: { audio: { channel: 2 } } }, 'Opus'],
    [
      'JPG video at 10 fps',
      { media: ['video'], mediaParams: { video: { codec: 5, fps: 10 } } },
      'JPG/PNG needs fps <= 5',
    ],
    ['send_rate 30', { mediaParams: { audio: { send_rate: 30 } } }, 'send_rate 30'],
    ['sample_rate 9', { mediaParams: { audio: { sample_rate: 9 } } }, 'sample_rate 9'],
    ['transcript src_language 50', { mediaParams: { transcript: { src_language: 50 } } }, 'src_language 50'],
    ['empty client id', { credentials: { clientId: '', clientSecret: 'secret' } }, 'client id or secret'],
    ['empty client secret', { credentials: { clientId: 'id', clientSecret: '' } }, 'client id or secret'],
    ['no server URL', { serverUrls: [] }, 'no server URL'],
  ];

  for (const [rule, options, mentions] of cases) {
    it(`${rule}`, () => {
      const viaResolve = thrownBy(() => resolveStreamOptions({ ...validOptions(), ...options }));
      expect(viaResolve.code).toBe(RTMS_ERROR_CODES.INVALID_OPTIONS);
      expect(viaResolve.message).toContain(mentions);
      expect(viaResolve.fix).toBeTruthy();
      const viaConstructor = thrownBy(() => new RtmsStream({ ...validOptions(), ...options }));
      expect(viaConstructor.code).toBe(RTMS_ERROR_CODES.INVALID_OPTIONS);
      expect(viaConstructor.message).toContain(mentions);
    });
  }

  it('accepts the same kinds of params within the rules', () => {
    const resolved = resolveStreamOptions({
      ...validOptions(),
      media: ['audio', 'video', 'transcript'],
      mediaParams: {
        audio: { channel: 2, codec: 4, send_rate: 40, sample_rate: 3 },
        video: { codec: 5, fps: 5 },
        transcript: { src_language: 36 },
      },
    });
    expect(resolved.kinds).toEqual(['audio', 'video', 'transcript']);
    expect(resolved.allowedHosts).toEqual(['*.zoom.us']);
    expect(resolved.allowLoopback).toBe(false);
    expect(resolved.timeouts.deadSocketMs).toBe(40_000);
    expect(resolved.timeouts.signalingWindowMs).toBe(60_000);
    expect(resolved.timeouts.mediaWindowMs).toBe(65_000);
  });
});

describe('MemoryDeliveryLedger', () => {
  it('claims a key once, and again only after its TTL', () => {
    let now = 1_000;
    const ledger = new MemoryDeliveryLedger({ now: () => now });
    expect(ledger.claim('meeting.rtms_started:s1:1', 5_000)).toBe(true);
    expect(ledger.claim('meeting.rtms_started:s1:1', 5_000)).toBe(false);
    expect(ledger.claim('meeting.rtms_started:s1:2', 5_000)).toBe(true);
    now += 4_999;
    expect(ledger.claim('meeting.rtms_started:s1:1', 5_000)).toBe(false);
    now += 1;
    expect(ledger.claim('meeting.rtms_started:s1:1', 5_000)).toBe(true);
    expect(ledger.claim('meeting.rtms_started:s1:1', 5_000)).toBe(false);
  });

  it('uses the system clock by default (fake timers)', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
      const ledger = new MemoryDeliveryLedger();
      expect(ledger.claim('k', 60_000)).toBe(true);
      vi.setSystemTime(new Date('2026-01-01T00:00:59.999Z'));
      expect(ledger.claim('k', 60_000)).toBe(false);
      vi.setSystemTime(new Date('2026-01-01T00:01:00Z'));
      expect(ledger.claim('k', 60_000)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('evicts the oldest keys past maxKeys', () => {
    const ledger = new MemoryDeliveryLedger({ now: () => 0, maxKeys: 3 });
    for (const key of ['a', 'b', 'c', 'd']) expect(ledger.claim(key, 60_000)).toBe(true);
    expect(ledger.size).toBe(3);
    // 'a' was evicted: it is new again; 'c' and 'd' are still known.
    expect(ledger.claim('c', 60_000)).toBe(false);
    expect(ledger.claim('d', 60_000)).toBe(false);
    expect(ledger.claim('a', 60_000)).toBe(true);
    expect(ledger.size).toBe(3);
  });

  it('drops expired keys as it goes', () => {
    let now = 0;
    const ledger = new MemoryDeliveryLedger({ now: () => now });
    ledger.claim('old-1', 100);
    ledger.claim('old-2', 100);
    now = 200;
    ledger.claim('new', 100);
    expect(ledger.size).toBe(1);
  });
});

describe('DeliveryTracker', () => {
  it('drops repeated and older timestamps per kind and user', () => {
    const tracker = new DeliveryTracker();
    expect(tracker.freshTimed('audio', 1, 1_000)).toBe(true);
    expect(tracker.freshTimed('audio', 1, 1_000)).toBe(false);
    expect(tracker.freshTimed('audio', 1, 980)).toBe(false);
    expect(tracker.freshTimed('audio', 1, 1_020)).toBe(true);
    // Another user, and another kind, have timelines of their own.
    expect(tracker.freshTimed('audio', 2, 1_000)).toBe(true);
    expect(tracker.freshTimed('video', 1, 1_000)).toBe(true);
    expect(tracker.freshTimed('audio', 2, 990)).toBe(false);
  });

  it('drops repeated text keys, and forgets the oldest beyond its memory', () => {
    const tracker = new DeliveryTracker();
    expect(tracker.freshText('t:1:100:1:hello')).toBe(true);
    expect(tracker.freshText('t:1:100:1:hello')).toBe(false);
    expect(tracker.freshText('t:1:100:2:hello')).toBe(true);
    for (let i = 0; i < 1_024; i++) tracker.freshText(`filler-${i}`);
    // Remembered keys are bounded: the oldest is forgotten, a recent one is not.
    expect(tracker.freshText('t:1:100:1:hello')).toBe(true);
    expect(tracker.freshText('filler-1023')).toBe(false);
  });
});

describe('RtmsSocket watchdog', () => {
  it('closes a socket that stays silent for deadSocketMs, with dead: true', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const address = wss.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    let serverClosed = false;
    // Accepts, then says nothing at all.
    wss.on('connection', (ws) => ws.on('close', () => (serverClosed = true)));

    const deadSocketMs = 200;
    let openedAt = 0;
    const closed = new Promise<SocketCloseInfo>((resolve) => {
      const socket = new RtmsSocket(
        `ws://127.0.0.1:${address.port}/signaling`,
        { deadSocketMs },
        { message: () => undefined, decodeError: () => undefined, close: resolve },
      );
      cleanups.push(() => socket.terminate());
      void socket.waitOpen(2_000).then(() => {
        openedAt = performance.now();
      });
    });
    const info = await closed;
    const silentFor = performance.now() - openedAt;
    expect(openedAt).toBeGreaterThan(0);
    expect(info.dead).toBe(true);
    expect(info.byUs).toBe(false);
    expect(silentFor).toBeGreaterThanOrEqual(deadSocketMs - 5);
    expect(silentFor).toBeLessThan(deadSocketMs + 1_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(serverClosed).toBe(true);
  });

  it('with the default 40 s, keeps a silent socket for 39 s and drops it at 40 s (fake clock)', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const address = wss.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    // Only the watchdog's clock is faked: the socket itself does real I/O.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    try {
      const closes: SocketCloseInfo[] = [];
      const socket = new RtmsSocket(
        `ws://127.0.0.1:${address.port}/signaling`,
        { deadSocketMs: DEAD_SOCKET_MS },
        { message: () => undefined, decodeError: () => undefined, close: (info) => closes.push(info) },
      );
      cleanups.push(() => socket.terminate());
      await socket.waitOpen(2_000);
      await vi.advanceTimersByTimeAsync(DEAD_SOCKET_MS - 1_000);
      expect(closes).toEqual([]);
      expect(socket.isOpen).toBe(true);
      await vi.advanceTimersByTimeAsync(1_000 + DEAD_SOCKET_MS / 4);
      const info = await socket.closed;
      expect(info.dead).toBe(true);
      expect(info.byUs).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('answers a keep-alive at once, echoing the timestamp, and counts it as inbound traffic', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const address = wss.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const answers: unknown[] = [];
    // Pings every 50 ms, nothing else: the watchdog (200 ms) must not fire.
    wss.on('connection', (ws, _req) => {
      let ts = 1_700_000_000_000;
      const timer = setInterval(() => ws.send(JSON.stringify({ msg_type: 12, timestamp: ++ts })), 50);
      ws.on('message', (data) => answers.push(JSON.parse(String(data))));
      ws.on('close', () => clearInterval(timer));
    });
    const closes: SocketCloseInfo[] = [];
    const socket = new RtmsSocket(
      `ws://127.0.0.1:${address.port}/media`,
      { deadSocketMs: 200 },
      { message: () => undefined, decodeError: () => undefined, close: (info) => closes.push(info) },
    );
    cleanups.push(() => socket.terminate());
    await socket.waitOpen(2_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(closes).toEqual([]);
    expect(socket.keepAlivesAnswered).toBeGreaterThanOrEqual(5);
    expect(answers[0]).toEqual({ msg_type: 13, timestamp: 1_700_000_000_001 });
    expect(answers.length).toBe(socket.keepAlivesAnswered);
  });
});
