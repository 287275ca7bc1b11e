import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { RtmsError } from '../../src/protocol/errors.js';
import type { WebhookAdapterOptions } from '../../src/webhook/adapters/dispatch.js';
import { rtmsWebhookMiddleware } from '../../src/webhook/adapters/express.js';
import { rtmsWebhookPlugin } from '../../src/webhook/adapters/fastify.js';
import { createNodeWebhookHandler } from '../../src/webhook/adapters/node.js';
import type { WebhookEvent } from '../../src/webhook/events.js';
import { type WebhookHeaders, WebhookReceiver, type WebhookResult } from '../../src/webhook/receiver.js';
import {
  deferred,
  encryptedToken,
  MEETING_UUID,
  meetingStarted,
  OTHER_SECRET,
  SECRET,
  STREAM_ID,
  serialize,
  signedHeaders,
  sleep,
  urlValidation,
  within,
} from './helpers.js';

type AdapterKind = 'node' | 'express' | 'express-raw' | 'fastify';

interface Harness {
  url: string;
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  const pending = cleanups.splice(0);
  await Promise.all(pending.map((close) => close()));
});

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Starts a server for `kind` on 127.0.0.1, port 0; closed in afterEach. Returns the webhook URL. */
async function start(kind: AdapterKind, options: WebhookAdapterOptions): Promise<Harness> {
  let harness: Harness;
  if (kind === 'fastify') {
    const app = Fastify();
    await app.register(rtmsWebhookPlugin, { ...options, path: '/webhook' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    harness = { url: `http://127.0.0.1:${port}/webhook`, close: () => app.close() };
  } else {
    let server: http.Server;
    if (kind === 'node') {
      server = http.createServer(createNodeWebhookHandler(options));
    } else {
      const app = express();
      if (kind === 'express-raw') {
        app.post('/webhook', express.raw({ type: '*/*' }), rtmsWebhookMiddleware(options));
      } else {
        app.post('/webhook', rtmsWebhookMiddleware(options));
      }
      server = http.createServer(app);
    }
    const base = await listen(server);
    harness = { url: `${base}/webhook`, close: () => closeServer(server) };
  }
  cleanups.push(() => harness.close());
  return harness;
}

interface Reply {
  status: number;
  text: string;
  json: Record<string, unknown> | undefined;
  contentType: string | null;
}

async function post(url: string, body: string | Buffer, headers: Record<string, string>): Promise<Reply> {
  const res = await fetch(url, { method: 'POST', body, headers });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, contentType: res.headers.get('content-type') };
}

/** Posts a body signed with `secret`, timestamped now. */
function postSigned(url: string, body: string, secret = SECRET): Promise<Reply> {
  return post(url, body, signedHeaders(secret, body));
}

/** Records the calls the adapter makes, in order. */
function recorder() {
  const log: string[] = [];
  const events: WebhookEvent[] = [];
  const errors: Array<{ error: RtmsError; event: WebhookEvent | undefined }> = [];
  const results: WebhookResult[] = [];
  const firstEvent = deferred<WebhookEvent>();
  const firstError = deferred<RtmsError>();
  const receiver = new (class extends WebhookReceiver {
    override receive(rawBody: Buffer | string, headers: WebhookHeaders, nowMs?: number): WebhookResult {
      log.push('receive:start');
      const result = super.receive(rawBody, headers, nowMs);
      log.push('receive:end');
      return result;
    }
  })({ secretToken: SECRET });
  const options: WebhookAdapterOptions = {
    receiver,
    onEvent: (event) => {
      log.push('event');
      events.push(event);
      firstEvent.resolve(event);
    },
    onError: (error, event) => {
      log.push('error');
      errors.push({ error, event });
      firstError.resolve(error);
    },
    onResult: (result) => {
      log.push('result');
      results.push(result);
    },
  };
  return { log, events, errors, results, options, firstEvent, firstError };
}

const ADAPTERS: AdapterKind[] = ['node', 'express', 'express-raw', 'fastify'];

describe.each(ADAPTERS)('%s adapter over HTTP', (kind) => {
  it('answers a valid signed event with 200 and calls onEvent once, after the response', async () => {
    const rec = recorder();
    const { url } = await start(kind, rec.options);
    const reply = await postSigned(url, serialize(meetingStarted()));
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ ok: true });
    expect(reply.contentType).toMatch(/^application\/json/);
    const event = await within(rec.firstEvent.promise, 2000, 'onEvent');
    if (event.kind !== 'started') throw new Error(`expected started, got ${event.kind}`);
    expect(event.streamId).toBe(STREAM_ID);
    expect(event.instanceId).toBe(MEETING_UUID);
    expect(event.serverUrls).toEqual(['wss://rtms.zoom.us']);
    await sleep(30);
    expect(rec.events).toHaveLength(1);
    expect(rec.errors).toHaveLength(0);
    // onEvent ran neither inside receive() nor before the response was written (onResult).
    expect(rec.log).toEqual(['receive:start', 'receive:end', 'result', 'event']);
    expect(rec.results[0]?.outcome).toBe('event');
  });

  it('answers a forged event with 401 and never calls onEvent', async () => {
    const rec = recorder();
    const { url } = await start(kind, rec.options);
    const body = serialize(meetingStarted());
    const headers = signedHeaders(SECRET, body);
    const forged = body.replace(STREAM_ID, `${STREAM_ID.slice(0, -1)}f`);
    expect(forged).not.toBe(body);
    const reply = await post(url, forged, headers);
    expect(reply.status).toBe(401);
    expect(reply.json?.error).toBe('WEBHOOK_BAD_SIGNATURE');
    const wrongSecret = await postSigned(url, body, OTHER_SECRET);
    expect(wrongSecret.status).toBe(401);
    await sleep(30);
    expect(rec.events).toHaveLength(0);
    expect(rec.results.map((r) => r.status)).toEqual([401, 401]);
  });

  it('answers URL validation with the HMAC of plainToken', async () => {
    const rec = recorder();
    const { url } = await start(kind, rec.options);
    const plainToken = 'KdHX7NmFR0OQ3bZyTTi0sg';
    const reply = await postSigned(url, serialize(urlValidation(plainToken)));
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ plainToken, encryptedToken: encryptedToken(SECRET, plainToken) });
    await sleep(10);
    expect(rec.events).toHaveLength(0);
  });

  it('answers a 300 KiB body with 413', async () => {
    const rec = recorder();
    const { url } = await start(kind, rec.options);
    const body = serialize(meetingStarted()).padEnd(300 * 1024, ' ');
    const reply = await postSigned(url, body);
    expect(reply.status).toBe(413);
    if (kind === 'node' || kind === 'express') expect(reply.json?.error).toBe('WEBHOOK_TOO_LARGE');
    expect(rec.events).toHaveLength(0);
    // The connection is still usable for the next request.
    const next = await postSigned(url, serialize(meetingStarted()));
    expect(next.status).toBe(200);
  });

  it('still answers 200 when the handler throws, and reports HANDLER_FAILED with the cause', async () => {
    const rec = recorder();
    const boom = new Error('database is down');
    const { url } = await start(kind, {
      ...rec.options,
      onEvent: () => {
        throw boom;
      },
    });
    const reply = await postSigned(url, serialize(meetingStarted()));
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ ok: true });
    const error = await within(rec.firstError.promise, 2000, 'onError');
    expect(error).toBeInstanceOf(RtmsError);
    expect(error.code).toBe('HANDLER_FAILED');
    expect(error.cause).toBe(boom);
    expect(rec.errors).toHaveLength(1);
    expect(rec.errors[0]?.event?.event).toBe('meeting.rtms_started');
  });

  it('reports a rejected async handler as HANDLER_FAILED with the cause', async () => {
    const rec = recorder();
    const boom = new Error('queue rejected the job');
    const { url } = await start(kind, { ...rec.options, onEvent: async () => Promise.reject(boom) });
    const reply = await postSigned(url, serialize(meetingStarted()));
    expect(reply.status).toBe(200);
    const error = await within(rec.firstError.promise, 2000, 'onError');
    expect(error.code).toBe('HANDLER_FAILED');
    expect(error.cause).toBe(boom);
  });

  it('does not wait for a slow handler: 200 arrives while the handler is still running', async () => {
    const rec = recorder();
    const handlerStarted = deferred();
    let finished = false;
    let release: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const { url } = await start(kind, {
      ...rec.options,
      onEvent: (event) => {
        rec.options.onEvent(event);
        handlerStarted.resolve();
        return new Promise<void>((resolve) => {
          release = resolve;
          timer = setTimeout(resolve, 5000);
        }).then(() => {
          finished = true;
        });
      },
    });
    try {
      const startedAt = performance.now();
      const reply = await postSigned(url, serialize(meetingStarted()));
      const elapsedMs = performance.now() - startedAt;
      expect(reply.status).toBe(200);
      expect(elapsedMs).toBeLessThan(1000);
      await within(handlerStarted.promise, 1000, 'the handler starting');
      expect(finished).toBe(false);
      expect(rec.log).toEqual(['receive:start', 'receive:end', 'result', 'event']);
    } finally {
      clearTimeout(timer);
      release?.();
    }
    await sleep(0);
    expect(finished).toBe(true);
    expect(rec.errors).toHaveLength(0);
  });
});

describe('node adapter specifics', () => {
  it('answers a GET with 405 and never reads it as a webhook', async () => {
    const rec = recorder();
    const { url } = await start('node', rec.options);
    const res = await fetch(url);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(((await res.json()) as Record<string, unknown>).error).toBe('METHOD_NOT_ALLOWED');
    expect(rec.results).toHaveLength(0);
  });
});

describe('express adapter specifics', () => {
  it('answers 500 RAW_BODY_UNAVAILABLE when express.json() ran first, and says how to fix it', async () => {
    const rec = recorder();
    const app = express();
    app.use(express.json());
    app.post('/webhook', rtmsWebhookMiddleware(rec.options));
    const server = http.createServer(app);
    const base = await listen(server);
    cleanups.push(() => closeServer(server));

    const reply = await postSigned(`${base}/webhook`, serialize(meetingStarted()));
    expect(reply.status).toBe(500);
    expect(reply.json?.error).toBe('RAW_BODY_UNAVAILABLE');
    expect(String(reply.json?.fix)).toContain('express.json');
    const error = await within(rec.firstError.promise, 2000, 'onError');
    expect(error).toBeInstanceOf(RtmsError);
    expect(error.code).toBe('RAW_BODY_UNAVAILABLE');
    expect(error.fix).toContain('express.json');
    expect(rec.errors).toHaveLength(1);
    expect(rec.errors[0]?.event).toBeUndefined();
    await sleep(20);
    expect(rec.events).toHaveLength(0);
  });

  it('works when the route gets express.raw() and other routes keep express.json()', async () => {
    const rec = recorder();
    const app = express();
    app.post('/webhook', express.raw({ type: '*/*' }), rtmsWebhookMiddleware(rec.options));
    app.use(express.json());
    app.post('/other', (req, res) => {
      res.json({ isObject: typeof req.body === 'object' && !Buffer.isBuffer(req.body), body: req.body });
    });
    const server = http.createServer(app);
    const base = await listen(server);
    cleanups.push(() => closeServer(server));

    const reply = await postSigned(`${base}/webhook`, serialize(meetingStarted()));
    expect(reply.status).toBe(200);
    const event = await within(rec.firstEvent.promise, 2000, 'onEvent');
    expect(event.event).toBe('meeting.rtms_started');
    const other = await post(`${base}/other`, '{"a":1}', { 'content-type': 'application/json' });
    expect(other.json).toEqual({ isObject: true, body: { a: 1 } });
  });

  it('mounted with app.use, answers POST /webhook only and passes every other request on', async () => {
    const rec = recorder();
    const app = express();
    // The way the README's old wording read: before any express.json(), for the whole app.
    app.use(rtmsWebhookMiddleware(rec.options));
    app.use('/zoom', rtmsWebhookMiddleware({ ...rec.options, path: '/zoom/hook' }));
    app.use(express.json());
    app.get('/health', (_req, res) => {
      res.json({ ok: true });
    });
    app.post('/orders', (req, res) => {
      res.json({ body: req.body });
    });
    const server = http.createServer(app);
    const base = await listen(server);
    cleanups.push(() => closeServer(server));

    expect((await postSigned(`${base}/webhook`, serialize(meetingStarted()))).status).toBe(200);
    expect((await within(rec.firstEvent.promise, 2000, 'onEvent')).event).toBe('meeting.rtms_started');
    expect((await postSigned(`${base}/webhook?x=1`, serialize(meetingStarted()))).status).toBe(200);
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    const orders = await post(`${base}/orders`, '{"n":2}', { 'content-type': 'application/json' });
    expect(orders.status).toBe(200);
    expect(orders.json).toEqual({ body: { n: 2 } });
    // GET on the webhook path is not a webhook either: Express answers it (404), not the receiver.
    const get = await fetch(`${base}/webhook`);
    expect(get.status).toBe(404);
    expect(await get.text()).not.toContain('WEBHOOK_');
    // With a prefix, the path names the whole URL.
    expect((await postSigned(`${base}/zoom/hook`, serialize(meetingStarted()))).status).toBe(200);
    expect(rec.results.map((r) => r.status)).toEqual([200, 200, 200]);
  });
});

describe('fastify adapter specifics', () => {
  it('keeps JSON parsing for routes outside the plugin', async () => {
    const rec = recorder();
    const app = Fastify();
    app.post('/before', async (request) => ({
      isObject: typeof request.body === 'object' && !Buffer.isBuffer(request.body),
      body: request.body,
    }));
    await app.register(rtmsWebhookPlugin, { ...rec.options, path: '/zoom/webhook' });
    app.post('/after', async (request) => ({
      isObject: typeof request.body === 'object' && !Buffer.isBuffer(request.body),
      body: request.body,
    }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => app.close());
    const { port } = app.server.address() as AddressInfo;
    const base = `http://127.0.0.1:${port}`;

    const reply = await postSigned(`${base}/zoom/webhook`, serialize(meetingStarted()));
    expect(reply.status).toBe(200);
    expect((await within(rec.firstEvent.promise, 2000, 'onEvent')).event).toBe('meeting.rtms_started');
    for (const path of ['/before', '/after']) {
      const other = await post(`${base}${path}`, '{"a":1}', { 'content-type': 'application/json' });
      expect(other.status).toBe(200);
      expect(other.json).toEqual({ isObject: true, body: { a: 1 } });
    }
  });
});
