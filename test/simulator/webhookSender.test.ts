/**
 * WebhookSender against real loopback HTTP targets. Expected signatures and validation tokens are
 * computed here with node:crypto, independently of src/protocol, so a bug there cannot hide itself.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isRtmsError } from '../../src/protocol/errors.js';
import {
  WEBHOOK_RETRY_DELAYS_MS,
  type WebhookAttempt,
  WebhookSender,
  type WebhookSenderOptions,
} from '../../src/simulator/webhookSender.js';
import { Cleanups } from '../cleanups.js';

const SECRET = 'q6Vg1yC8TbKkN2oWj4mX0A';
const CLIENT_ID = 'aB3dEfGhIjKlMnOpQrSt';
const STREAM_ID = '03db704592624398931a588dd78200cb';
const PAYLOAD = {
  meeting_uuid: 'f3nq/Fu+Qs6fX1x9lCmb2g==',
  operator_id: 'x1CRzHq0QuqVJ-Nv5H3bqA',
  rtms_stream_id: STREAM_ID,
  server_urls: 'wss://127.0.0.1:9443',
};
/** Retries at 5, 20 and 60 ms instead of 5, 20 and 60 min. */
const FAST = 60_000;
/**
 * libuv keeps a millisecond clock cached per loop turn, so a timer may fire up to ~1 ms before the
 * wall-clock delay has fully passed; gaps are compared with this much slack.
 */
const TIMER_SLACK_MS = 1;

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** performance.now() when the body had fully arrived. */
  arrivedAt: number;
}

type Responder = (request: Received, index: number, res: ServerResponse) => void;

interface Target {
  url: string;
  requests: Received[];
  close(): Promise<void>;
}

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function startTarget(respond: Responder): Promise<Target> {
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        arrivedAt: performance.now(),
      };
      requests.push(received);
      respond(received, requests.length - 1, res);
    });
  });
  const port = await listen(server);
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  cleanups.add(close);
  return { url: `http://127.0.0.1:${port}/webhook`, requests, close };
}

function answer(status: number, body = ''): Responder {
  return (_req, _i, res) => {
    res.writeHead(status, status >= 300 && status < 400 ? { location: 'http://127.0.0.1:1/elsewhere' } : {});
    res.end(body);
  };
}

function sender(url: string, options: Partial<WebhookSenderOptions> = {}): WebhookSender {
  const s = new WebhookSender({ url, secretToken: SECRET, clientId: CLIENT_ID, timeScale: FAST, ...options });
  cleanups.add(() => s.close());
  return s;
}

function sign(ts: string, body: Buffer): string {
  return `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:`).update(body).digest('hex')}`;
}

function header(request: Received, name: string): string {
  const value = request.headers[name];
  if (typeof value !== 'string') throw new Error(`header ${name} missing`);
  return value;
}

function nth<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`no item ${index}`);
  return item;
}

/** Ref'd `Timeout` handles keeping the process alive right now. */
function liveTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('WebhookSender requests', () => {
  it('sends compact JSON with Zoom headers, signed over the exact bytes', async () => {
    const target = await startTarget(answer(200));
    const eventTs = 1_739_923_527_912;
    const before = Math.floor(Date.now() / 1000);
    const delivery = await sender(target.url).send('meeting.rtms_started', PAYLOAD, {
      eventTs,
      streamId: STREAM_ID,
    });
    const after = Math.floor(Date.now() / 1000);

    expect(delivery.delivered).toBe(true);
    expect(delivery.attempts).toHaveLength(1);
    expect(target.requests).toHaveLength(1);
    const request = nth(target.requests, 0);
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/webhook');

    const expectedBody = JSON.stringify({
      event: 'meeting.rtms_started',
      event_ts: eventTs,
      payload: PAYLOAD,
    });
    expect(request.body.toString('utf8')).toBe(expectedBody);
    expect(request.body.equals(delivery.body)).toBe(true);
    expect(JSON.parse(request.body.toString('utf8'))).toEqual({
      event: 'meeting.rtms_started',
      event_ts: eventTs,
      payload: PAYLOAD,
    });

    expect(header(request, 'content-type')).toBe('application/json; charset=utf-8');
    expect(header(request, 'user-agent')).toBe('Zoom Marketplace/1.0a');
    expect(header(request, 'clientid')).toBe(CLIENT_ID);
    expect(header(request, 'content-length')).toBe(String(request.body.length));

    const ts = header(request, 'x-zm-request-timestamp');
    expect(ts).toMatch(/^\d{10}$/);
    expect(Number(ts)).toBeGreaterThanOrEqual(before);
    expect(Number(ts)).toBeLessThanOrEqual(after);

    const signature = header(request, 'x-zm-signature');
    expect(signature).toMatch(/^v0=[0-9a-f]{64}$/);
    expect(signature).toBe(sign(ts, request.body));

    const requestId = header(request, 'x-zm-request-id');
    expect(requestId).toMatch(/^[0-9a-f]{8}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{12}$/);
    expect(header(request, 'x-zm-trackingid')).toMatch(/^v=2\.0;clid=us05;rid=\S+$/);

    const attempt = nth(delivery.attempts, 0);
    expect(attempt).toMatchObject({
      event: 'meeting.rtms_started',
      streamId: STREAM_ID,
      attempt: 0,
      status: 200,
      requestId,
      delivered: true,
    });
    expect(attempt.at).toBeGreaterThanOrEqual(before * 1000);
    expect(attempt.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('counts 204 as delivered', async () => {
    const target = await startTarget(answer(204));
    const delivery = await sender(target.url).send('meeting.rtms_stopped', { stop_reason: 6 });
    expect(delivery.delivered).toBe(true);
    expect(delivery.attempts.map((a) => a.status)).toEqual([204]);
  });

  it('waits delayMs before the first attempt', async () => {
    const target = await startTarget(answer(200));
    const started = performance.now();
    const delivery = await sender(target.url).send('meeting.rtms_started', PAYLOAD, { delayMs: 50 });
    expect(delivery.delivered).toBe(true);
    expect(nth(target.requests, 0).arrivedAt - started).toBeGreaterThanOrEqual(50 - TIMER_SLACK_MS);
  });

  it('resend() sends identical bytes as a new, freshly signed request', async () => {
    const target = await startTarget(answer(200));
    const s = sender(target.url);
    const first = await s.send('meeting.rtms_started', PAYLOAD, { streamId: STREAM_ID });
    const second = await s.resend(first);

    expect(second.delivered).toBe(true);
    expect(second.streamId).toBe(STREAM_ID);
    expect(second.eventTs).toBe(first.eventTs);
    expect(target.requests).toHaveLength(2);
    const [a, b] = [nth(target.requests, 0), nth(target.requests, 1)];
    expect(b.body.equals(a.body)).toBe(true);
    expect(header(b, 'x-zm-request-id')).not.toBe(header(a, 'x-zm-request-id'));
    expect(header(b, 'x-zm-signature')).toBe(sign(header(b, 'x-zm-request-timestamp'), b.body));
    expect(nth(second.attempts, 0).requestId).toBe(header(b, 'x-zm-request-id'));
    expect(s.attempts().map((x) => x.requestId)).toEqual([
      header(a, 'x-zm-request-id'),
      header(b, 'x-zm-request-id'),
    ]);
  });

  it('rejects a payload that is not JSON without sending anything', async () => {
    const target = await startTarget(answer(200));
    const error = await sender(target.url)
      .send('meeting.rtms_started', { big: 1n })
      .catch((err: unknown) => err);
    expect(isRtmsError(error, 'INVALID_OPTIONS')).toBe(true);
    expect(target.requests).toHaveLength(0);
  });

  it('rejects a timeScale below 1', () => {
    try {
      new WebhookSender({
        url: 'http://127.0.0.1:1/',
        secretToken: SECRET,
        clientId: CLIENT_ID,
        timeScale: 0.5,
      });
      expect.unreachable();
    } catch (err) {
      expect(isRtmsError(err, 'INVALID_OPTIONS')).toBe(true);
    }
  });
});

describe('WebhookSender retry policy', () => {
  it('retries 5xx at +5/+20/+60 min (scaled) and stops once delivered', async () => {
    const target = await startTarget((_req, index, res) => answer(index < 3 ? 500 : 200)(_req, index, res));
    const seen: WebhookAttempt[] = [];
    const s = sender(target.url, { onAttempt: (a) => seen.push(a) });
    const delivery = await s.send('meeting.rtms_started', PAYLOAD, { streamId: STREAM_ID });

    expect(delivery.delivered).toBe(true);
    expect(delivery.attempts.map((a) => [a.attempt, a.status, a.delivered])).toEqual([
      [0, 500, false],
      [1, 500, false],
      [2, 500, false],
      [3, 200, true],
    ]);
    expect(seen).toEqual(delivery.attempts);
    expect(s.attempts()).toEqual(delivery.attempts);
    expect(target.requests).toHaveLength(4);

    const scaled = WEBHOOK_RETRY_DELAYS_MS.map((d) => d / FAST);
    expect(scaled).toEqual([5, 20, 60]);
    for (let i = 1; i < 4; i++) {
      const gap = nth(target.requests, i).arrivedAt - nth(target.requests, i - 1).arrivedAt;
      expect(gap).toBeGreaterThanOrEqual(nth(scaled, i - 1) - TIMER_SLACK_MS);
      expect(nth(delivery.attempts, i).at).toBeGreaterThanOrEqual(nth(delivery.attempts, i - 1).at);
    }
    // The body of every retry is the same bytes, with its own id and a valid signature.
    const ids = new Set(target.requests.map((r) => header(r, 'x-zm-request-id')));
    expect(ids.size).toBe(4);
    for (const request of target.requests) {
      expect(request.body.equals(delivery.body)).toBe(true);
      expect(header(request, 'x-zm-signature')).toBe(
        sign(header(request, 'x-zm-request-timestamp'), request.body),
      );
    }
  });

  it('gives up after 3 retries when the endpoint keeps failing', async () => {
    const target = await startTarget(answer(503));
    const delivery = await sender(target.url).send('meeting.rtms_started', PAYLOAD);
    expect(delivery.delivered).toBe(false);
    expect(delivery.attempts.map((a) => a.attempt)).toEqual([0, 1, 2, 3]);
    expect(delivery.attempts.every((a) => a.status === 503 && !a.delivered)).toBe(true);
    expect(target.requests).toHaveLength(4);
  });

  it.each([404, 302, 401, 429])('never retries HTTP %i', async (status) => {
    const target = await startTarget(answer(status));
    const delivery = await sender(target.url).send('meeting.rtms_started', PAYLOAD);
    expect(delivery.delivered).toBe(false);
    expect(delivery.attempts.map((a) => a.status)).toEqual([status]);
    // Give a wrongly scheduled retry time to show up.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(target.requests).toHaveLength(1);
  });

  it('accepts only 200/204 on the original request but any 2xx on a retry', async () => {
    const strict = await startTarget(answer(201));
    const first = await sender(strict.url).send('meeting.rtms_started', PAYLOAD);
    expect(first.delivered).toBe(false);
    expect(first.attempts.map((a) => a.status)).toEqual([201]);
    expect(strict.requests).toHaveLength(1);

    const lenient = await startTarget((_req, index, res) =>
      answer(index === 0 ? 500 : 202)(_req, index, res),
    );
    const retried = await sender(lenient.url).send('meeting.rtms_started', PAYLOAD);
    expect(retried.delivered).toBe(true);
    expect(retried.attempts.map((a) => [a.status, a.delivered])).toEqual([
      [500, false],
      [202, true],
    ]);
  });

  it('records -1 when the endpoint does not answer in time, and retries', async () => {
    const hung: ServerResponse[] = [];
    const target = await startTarget((_req, index, res) => {
      if (index === 0) hung.push(res);
      else answer(200)(_req, index, res);
    });
    const delivery = await sender(target.url, { responseDeadlineMs: 200 }).send(
      'meeting.rtms_started',
      PAYLOAD,
    );

    expect(delivery.delivered).toBe(true);
    expect(delivery.attempts.map((a) => [a.attempt, a.status])).toEqual([
      [0, -1],
      [1, 200],
    ]);
    expect(nth(delivery.attempts, 0).latencyMs).toBeGreaterThanOrEqual(200 - TIMER_SLACK_MS);
    expect(hung).toHaveLength(1);
  });

  it('records -2 when the connection is refused, and retries', async () => {
    const probe = createServer();
    const port = await listen(probe);
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const delivery = await sender(`http://127.0.0.1:${port}/webhook`).send('meeting.rtms_started', PAYLOAD);
    expect(delivery.delivered).toBe(false);
    expect(delivery.attempts.map((a) => [a.attempt, a.status])).toEqual([
      [0, -2],
      [1, -2],
      [2, -2],
      [3, -2],
    ]);
  });
});

describe('WebhookSender URL validation', () => {
  it('passes an endpoint that answers the challenge correctly', async () => {
    const target = await startTarget((req, _i, res) => {
      const { payload } = JSON.parse(req.body.toString('utf8')) as { payload: { plainToken: string } };
      const encryptedToken = createHmac('sha256', SECRET).update(payload.plainToken).digest('hex');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ plainToken: payload.plainToken, encryptedToken }));
    });
    const s = sender(target.url);
    const result = await s.validateUrl();

    expect(result).toEqual({ ok: true, status: 200 });
    const request = nth(target.requests, 0);
    const envelope = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
    expect(envelope.event).toBe('endpoint.url_validation');
    expect(typeof envelope.event_ts).toBe('number');
    expect(envelope.payload).toEqual({ plainToken: expect.stringMatching(/^\S{16,}$/) });
    expect(header(request, 'x-zm-signature')).toBe(
      sign(header(request, 'x-zm-request-timestamp'), request.body),
    );
    expect(s.attempts().map((a) => [a.event, a.status, a.delivered])).toEqual([
      ['endpoint.url_validation', 200, true],
    ]);
  });

  it('fails an endpoint that answers a wrong encryptedToken', async () => {
    const target = await startTarget((req, _i, res) => {
      const { payload } = JSON.parse(req.body.toString('utf8')) as { payload: { plainToken: string } };
      const encryptedToken = createHmac('sha256', 'not-the-secret').update(payload.plainToken).digest('hex');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ plainToken: payload.plainToken, encryptedToken }));
    });
    const result = await sender(target.url).validateUrl();
    expect(result.ok).toBe(false);
    expect(result.status).toBe(200);
    expect(result.reason).toMatch(/encryptedToken/);
  });

  it('fails an endpoint that answers 500, without retrying', async () => {
    const target = await startTarget(answer(500));
    const result = await sender(target.url).validateUrl();
    expect(result.ok).toBe(false);
    expect(result.status).toBe(500);
    expect(result.reason).toMatch(/500/);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(target.requests).toHaveLength(1);
  });

  it('fails an endpoint that answers something other than JSON', async () => {
    const target = await startTarget(answer(200, 'ok'));
    const result = await sender(target.url).validateUrl();
    expect(result).toMatchObject({ ok: false, status: 200 });
    expect(result.reason).toMatch(/JSON/);
  });
});

describe('WebhookSender under load', () => {
  it('keeps many deliveries in flight without a listener-leak warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(`${warning.name}: ${warning.message}`);
    };
    process.on('warning', onWarning);
    try {
      const waiting: ServerResponse[] = [];
      const target = await startTarget((_req, _i, res) => waiting.push(res));
      const s = sender(target.url);
      const deliveries = Array.from({ length: 30 }, () => s.send('meeting.rtms_started', PAYLOAD));
      while (target.requests.length < 30) await new Promise((resolve) => setTimeout(resolve, 5));
      for (const res of waiting) res.writeHead(200).end();
      const done = await Promise.all(deliveries);
      expect(done.every((d) => d.delivered)).toBe(true);
      await nextTurn();
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('WebhookSender close()', () => {
  it('cancels a pending retry: send resolves undelivered and no timer is left', async () => {
    const realSetTimeout = globalThis.setTimeout;
    // Keep the sender's timers ref'd, so that getActiveResourcesInfo() shows whether they were cleared.
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
      ...args: Parameters<typeof setTimeout>
    ) => {
      const timer = realSetTimeout(...args);
      timer.unref = () => timer;
      return timer;
    }) as unknown as typeof setTimeout);
    try {
      const target = await startTarget(answer(500));
      const baseline = liveTimeouts();
      let firstAttempt!: () => void;
      const attempted = new Promise<void>((resolve) => {
        firstAttempt = resolve;
      });
      // Real-time schedule: the first retry would be 5 minutes away.
      const s = sender(target.url, { timeScale: 1, onAttempt: () => firstAttempt() });
      const pending = s.send('meeting.rtms_started', PAYLOAD);
      await attempted;
      await nextTurn();
      expect(liveTimeouts()).toBe(baseline + 1);

      const closing = s.close();
      expect(s.close()).toBe(closing);
      const delivery = await pending;
      await closing;
      await nextTurn();

      expect(delivery.delivered).toBe(false);
      expect(delivery.attempts.map((a) => a.status)).toEqual([500]);
      expect(liveTimeouts()).toBe(baseline);
      expect(target.requests).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('aborts a request in flight and resolves at once', async () => {
    const target = await startTarget(() => {
      // Never answers.
    });
    const s = sender(target.url, { responseDeadlineMs: 10_000 });
    const pending = s.send('meeting.rtms_started', PAYLOAD);
    const validation = s.validateUrl();
    while (target.requests.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));

    const started = performance.now();
    await s.close();
    const [delivery, validated] = await Promise.all([pending, validation]);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(delivery.delivered).toBe(false);
    expect(delivery.attempts).toEqual([]);
    expect(validated).toMatchObject({ ok: false, status: 0 });

    const late = await s.send('meeting.rtms_stopped', { stop_reason: 6 });
    expect(late.delivered).toBe(false);
    expect(target.requests).toHaveLength(2);
  });
});
