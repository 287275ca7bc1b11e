/**
 * Outbound webhook pieces without a network: their settings (refused with the cause and the fix, the
 * secret never echoed), their signature as a receiver checks it, and their ids.
 */
import { describe, expect, it } from 'vitest';
import type { BusEvent } from '../../src/outputs/EventBus.js';
import { NOTIFY_HEADERS, verifyNotification } from '../../src/outputs/notify/index.js';
import { notificationOf } from '../../src/outputs/notify/notifications.js';
import { notifyRetryPolicy } from '../../src/outputs/notify/retryPolicy.js';
import { notificationHeaders } from '../../src/outputs/notify/signature.js';
import { RTMS_ERROR_CODES } from '../../src/protocol/errors.js';
import { readNotify } from '../../src/service/notifyConfig.js';

const SECRET = 'a-receiver-secret-0123456789';
const at = (value: string, source: string) => ({ value, source });

function read(inputs: { url?: string; secret?: string; events?: string }) {
  const problems: string[] = [];
  const config = readNotify(
    {
      url: inputs.url === undefined ? undefined : at(inputs.url, 'RTMSKIT_NOTIFY_URL'),
      secret: inputs.secret === undefined ? undefined : at(inputs.secret, 'RTMSKIT_NOTIFY_SECRET'),
      events: inputs.events === undefined ? undefined : at(inputs.events, 'RTMSKIT_NOTIFY_EVENTS'),
    },
    problems,
  );
  return { config, problems };
}

describe('outbound webhook settings', () => {
  it('are off without a URL, and the three default types with one', () => {
    expect(read({})).toEqual({ config: undefined, problems: [] });
    expect(read({ url: 'https://hooks.example.com/rtms', secret: SECRET }).config).toEqual({
      url: 'https://hooks.example.com/rtms',
      secret: SECRET,
      events: ['stream.started', 'stream.ended', 'recording.completed'],
    });
    expect(read({ url: 'http://127.0.0.1:9000/', secret: SECRET, events: 'all' }).config?.events).toEqual([
      'stream.started',
      'transcript.segment',
      'stream.ended',
      'recording.completed',
    ]);
  });

  it('refuse a URL without secret, a short secret (not echoed), a bad URL and an unknown type', () => {
    expect(read({ url: 'https://h.example.com/' }).problems[0]).toMatch(
      /RTMSKIT_NOTIFY_SECRET is not.*openssl rand -hex 32/,
    );
    const short = read({ url: 'https://h.example.com/', secret: 'tiny-secret' });
    expect(short.config).toBeUndefined();
    expect(short.problems[0]).toMatch(/11 characters, fewer than 16/);
    expect(short.problems.join()).not.toContain('tiny-secret');
    expect(read({ url: 'ftp://h.example.com/', secret: SECRET }).problems[0]).toMatch(/http: or https:/);
    expect(read({ url: 'not a url', secret: SECRET }).problems[0]).toMatch(/is not a URL/);
    expect(read({ url: 'https://user:pw@h.example.com/', secret: SECRET }).problems[0]).toMatch(
      /user name or password/,
    );
    expect(
      read({ url: 'https://h.example.com/', secret: SECRET, events: 'stream.started,meeting.ended' })
        .problems[0],
    ).toMatch(/meeting\.ended/);
    expect(read({ secret: SECRET }).problems[0]).toMatch(/RTMSKIT_NOTIFY_URL is not/);
  });
});

describe('verifyNotification', () => {
  const body = JSON.stringify({
    id: 'ntf_1',
    type: 'stream.started',
    at: '2026-12-01T00:00:00.000Z',
    stream: { streamId: 's', product: 'meeting', instanceId: 'i', meetingId: null },
    data: {},
  });
  const now = 1_796_000_000_000;
  const headers = notificationHeaders({
    secret: SECRET,
    id: 'ntf_1',
    body,
    timestamp: now / 1000,
    userAgent: 'x',
  });

  it('accepts what the notifier signs, with the header names the docs give', () => {
    expect(Object.keys(headers)).toEqual(expect.arrayContaining(Object.values(NOTIFY_HEADERS)));
    expect(headers[NOTIFY_HEADERS.signature]).toMatch(/^v0=[0-9a-f]{64}$/);
    const checked = verifyNotification({ secret: SECRET, headers, body, now });
    expect(checked.ok && checked.notification.id).toBe('ntf_1');
    // A fetch Headers object works too, and a Buffer body.
    const fetchHeaders = new Headers(headers);
    expect(
      verifyNotification({ secret: SECRET, headers: fetchHeaders, body: Buffer.from(body), now }).ok,
    ).toBe(true);
  });

  it('refuses another secret, a changed body, an old timestamp and a mismatched id', () => {
    const code = (result: ReturnType<typeof verifyNotification>) => (result.ok ? 'ok' : result.error.code);
    expect(code(verifyNotification({ secret: `${SECRET}x`, headers, body, now }))).toBe(
      RTMS_ERROR_CODES.WEBHOOK_BAD_SIGNATURE,
    );
    expect(code(verifyNotification({ secret: SECRET, headers, body: body.replace('"s"', '"t"'), now }))).toBe(
      RTMS_ERROR_CODES.WEBHOOK_BAD_SIGNATURE,
    );
    expect(code(verifyNotification({ secret: SECRET, headers, body, now: now + 301_000 }))).toBe(
      RTMS_ERROR_CODES.WEBHOOK_STALE_TIMESTAMP,
    );
    const other = { ...headers, [NOTIFY_HEADERS.eventId]: 'ntf_2' };
    expect(code(verifyNotification({ secret: SECRET, headers: other, body, now }))).toBe(
      RTMS_ERROR_CODES.WEBHOOK_INVALID_BODY,
    );
  });
});

describe('notification ids', () => {
  const event = (over: Partial<BusEvent>): BusEvent =>
    ({
      id: 'boot-1',
      type: 'streamStarted',
      streamId: 'stream-1',
      product: 'meeting',
      instanceId: 'uuid',
      meetingId: '123',
      at: 1_000,
      origin: 'a',
      data: {},
      ...over,
    }) as BusEvent;
  const all = new Set([
    'stream.started',
    'transcript.segment',
    'stream.ended',
    'recording.completed',
  ] as const);

  it('name a stream’s start by the stream, whichever instance or process says it', () => {
    const a = notificationOf(event({}), all);
    const b = notificationOf(event({ id: 'other-9', origin: 'b', at: 5_000 }), all);
    expect(a?.id).toBe(b?.id);
    expect(notificationOf(event({ streamId: 'stream-2' }), all)?.id).not.toBe(a?.id);
  });

  it('name each transcript segment by its bus event, and each recording run apart', () => {
    const t1 = notificationOf(event({ type: 'transcript', id: 'boot-2' }), all);
    const t2 = notificationOf(event({ type: 'transcript', id: 'boot-3' }), all);
    expect(t1?.id).not.toBe(t2?.id);
    const run = (n: number) => notificationOf(event({ type: 'recordingFinished', data: { run: n } }), all);
    expect(run(1)?.id).not.toBe(run(2)?.id);
  });

  it('send no stream.ended for a stream handed to another instance, and only the types asked for', () => {
    expect(notificationOf(event({ type: 'streamEnded', data: { reason: 'released' } }), all)).toBeUndefined();
    expect(
      notificationOf(event({ type: 'transcript' }), new Set(['stream.started'] as const)),
    ).toBeUndefined();
  });
});

describe('notifyRetryPolicy', () => {
  it('doubles from the first wait to the maximum, with jitter in the upper half, and gives up', () => {
    const high = notifyRetryPolicy({
      initialMs: 100,
      maxMs: 1_000,
      giveUpAfterMs: 10_000,
      random: () => 0.999,
    });
    const low = notifyRetryPolicy({ initialMs: 100, maxMs: 1_000, giveUpAfterMs: 10_000, random: () => 0 });
    expect([1, 2, 3, 4, 5, 6].map((n) => Math.round(high(n, 0) ?? -1))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect([1, 2, 3].map((n) => low(n, 0))).toEqual([50, 100, 200]);
    expect(high(3, 10_000)).toBeNull();
  });
});
