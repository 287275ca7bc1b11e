/**
 * The simulator end to end, as an app sees it: webhooks delivered to a real loopback endpoint, OAuth and
 * REST control, and media content checked byte by byte with the bare test client. Connections, keep-alive
 * and faults are covered in connections.test.ts.
 */
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectTone, toneHz } from '../../src/simulator/content/audio.js';
import {
  type SimStreamInfo,
  Simulator,
  type SimulatorOptions,
  type StreamOptions,
  type WebhookAttempt,
  type WebhookNotice,
} from '../../src/simulator/index.js';
import { Cleanups } from '../cleanups.js';
import {
  connectMedia,
  connectSignaling,
  mediaBytes,
  type RawMessage,
  RawSocket,
  type StreamIds,
  signalingHandshake,
} from './rawClient.js';

/** User id of participant 0; participant i is FIRST_USER_ID + i (content/scenario.ts). */
const FIRST_USER_ID = 16_778_240;

const CREDENTIALS = {
  clientId: 'flowsClientId',
  clientSecret: 'flowsClientSecret',
  secretToken: 'flowsSecretToken',
  accountId: 'flows-account',
  s2sClientId: 'flowsS2sClientId',
  s2sClientSecret: 'flowsS2sClientSecret',
};

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function startSim(options: SimulatorOptions): Promise<Simulator> {
  const sim = await Simulator.start(options);
  cleanups.add(() => sim.close());
  return sim;
}

/** Polls until `probe` returns something other than undefined or false. */
async function waitUntil<T>(probe: () => T | undefined | false, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------------
// Webhook target

interface Envelope {
  event: string;
  event_ts: number;
  payload: Record<string, unknown>;
}

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json: Envelope;
}

interface Answer {
  status: number;
  body?: string;
}

interface Target {
  url: string;
  requests: Received[];
}

/** A loopback HTTP endpoint that records every request and answers with `respond`. */
async function startTarget(respond: (request: Received) => Answer): Promise<Target> {
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const received: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        json: JSON.parse(body.toString('utf8')) as Envelope,
      };
      requests.push(received);
      const answer = respond(received);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.add(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/webhook`, requests };
}

function hmacHex(key: string, message: string | Buffer): string {
  return createHmac('sha256', key).update(message).digest('hex');
}

/** x-zm-signature computed independently: `v0=` + hex HMAC-SHA256(secret, `v0:{ts}:{raw body}`). */
function zoomSignature(secretToken: string, timestamp: string, body: Buffer): string {
  return `v0=${hmacHex(secretToken, Buffer.concat([Buffer.from(`v0:${timestamp}:`), body]))}`;
}

/** The correct answer to endpoint.url_validation, and 200 to everything else. */
function validating(secretToken: string): (request: Received) => Answer {
  return (request) => {
    if (request.json.event !== 'endpoint.url_validation') return { status: 200 };
    const plainToken = String(request.json.payload.plainToken);
    const encryptedToken = hmacHex(secretToken, plainToken);
    return { status: 200, body: JSON.stringify({ plainToken, encryptedToken }) };
  };
}

function header(request: Received, name: string): string {
  const value = request.headers[name];
  if (typeof value !== 'string') throw new Error(`header ${name} missing`);
  return value;
}

function requestsFor(target: Target, event: string): Received[] {
  return target.requests.filter((r) => r.json.event === event);
}

// ---------------------------------------------------------------------------------------------------
// Webhooks

describe('webhooks to a loopback endpoint', () => {
  it('passes URL validation when the endpoint answers the challenge correctly', async () => {
    const target = await startTarget(validating(CREDENTIALS.secretToken));
    const sim = await startSim({ webhookUrl: target.url, credentials: CREDENTIALS });
    expect(sim.stats().urlValidation).toEqual({ ok: true, status: 200 });
    const [challenge] = requestsFor(target, 'endpoint.url_validation');
    expect(target.requests).toHaveLength(1);
    expect(challenge?.method).toBe('POST');
    const plainToken = challenge?.json.payload.plainToken;
    expect(typeof plainToken).toBe('string');
    expect((plainToken as string).length).toBeGreaterThan(0);
    // The challenge itself carries the normal, verifiable signature.
    const ts = header(challenge!, 'x-zm-request-timestamp');
    expect(header(challenge!, 'x-zm-signature')).toBe(
      zoomSignature(CREDENTIALS.secretToken, ts, challenge!.body),
    );
  });

  it('fails URL validation, with a reason, when the endpoint answers wrongly', async () => {
    const target = await startTarget((request) => {
      const plainToken = String(request.json.payload.plainToken);
      const encryptedToken = hmacHex('not-the-secret-token', plainToken);
      return { status: 200, body: JSON.stringify({ plainToken, encryptedToken }) };
    });
    const sim = await startSim({ webhookUrl: target.url, credentials: CREDENTIALS });
    const validation = sim.stats().urlValidation;
    expect(validation?.ok).toBe(false);
    expect(validation?.status).toBe(200);
    expect(validation?.reason).toMatch(/encryptedToken/);
  });

  it('sends meeting.rtms_started signed, with Zoom headers and a flat payload', async () => {
    const target = await startTarget(validating(CREDENTIALS.secretToken));
    const sim = await startSim({ webhookUrl: target.url, credentials: CREDENTIALS, timeScale: 10 });
    const notices: WebhookNotice[] = [];
    sim.on('webhook', (notice) => notices.push(notice));
    const info = sim.startStream({ durationMs: 60_000 });
    const request = await waitUntil(
      () => requestsFor(target, 'meeting.rtms_started')[0],
      'meeting.rtms_started at the endpoint',
    );

    expect(request.method).toBe('POST');
    expect(request.url).toBe('/webhook');
    const ts = header(request, 'x-zm-request-timestamp');
    expect(ts).toMatch(/^\d{10}$/);
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(5);
    expect(header(request, 'x-zm-signature')).toBe(zoomSignature(CREDENTIALS.secretToken, ts, request.body));
    expect(header(request, 'x-zm-request-id')).toMatch(/\S/);
    expect(header(request, 'x-zm-trackingid')).toMatch(/\S/);
    expect(header(request, 'user-agent')).toBe('Zoom Marketplace/1.0a');
    expect(header(request, 'content-type')).toMatch(/^application\/json\b/);

    const raw = request.body.toString('utf8');
    expect(raw).toBe(JSON.stringify(JSON.parse(raw)));
    const { event, event_ts, payload } = request.json;
    expect(Object.keys(request.json)).toEqual(['event', 'event_ts', 'payload']);
    expect(event).toBe('meeting.rtms_started');
    expect(String(event_ts)).toMatch(/^\d{13}$/);
    expect(payload).not.toHaveProperty('object');
    expect(payload.meeting_uuid).toBe(info.instanceId);
    expect(info.instanceKey).toBe('meeting_uuid');
    expect(typeof payload.operator_id).toBe('string');
    expect((payload.operator_id as string).length).toBeGreaterThan(0);
    expect(payload.rtms_stream_id).toMatch(/^[0-9a-f]{32}$/);
    expect(payload.rtms_stream_id).toBe(info.streamId);
    expect(typeof payload.server_urls).toBe('string');
    expect(payload.server_urls as string).toMatch(/^ws:\/\/127\.0\.0\.1:\d+/);
    expect(payload.server_urls).toBe(info.serverUrls[0]);
    expect(payload.account_id).toBe(CREDENTIALS.accountId);

    // The notice the simulator emits is the very body it sent.
    const notice = notices.find((n) => n.event === 'meeting.rtms_started');
    expect(notice?.body.equals(request.body)).toBe(true);
    // The endpoint saw the request before the sender saw the answer.
    const attempt = await waitUntil(
      () => sim.stats().webhooks.find((a) => a.event === 'meeting.rtms_started'),
      'the recorded attempt',
    );
    expect(attempt).toMatchObject({ attempt: 0, status: 200, delivered: true, streamId: info.streamId });
    expect(attempt?.requestId).toBe(header(request, 'x-zm-request-id'));
  });

  it('sends meeting.rtms_stopped with stop_reason 6 once the meeting reaches durationMs', async () => {
    const target = await startTarget(validating(CREDENTIALS.secretToken));
    const sim = await startSim({ webhookUrl: target.url, credentials: CREDENTIALS, timeScale: 20 });
    const info = sim.startStream({ durationMs: 3_000 });
    const stopped = await waitUntil(
      () => requestsFor(target, 'meeting.rtms_stopped')[0],
      'meeting.rtms_stopped at the endpoint',
    );
    const ts = header(stopped, 'x-zm-request-timestamp');
    expect(header(stopped, 'x-zm-signature')).toBe(zoomSignature(CREDENTIALS.secretToken, ts, stopped.body));
    expect(stopped.json.payload).toEqual({
      meeting_uuid: info.instanceId,
      rtms_stream_id: info.streamId,
      stop_reason: 6,
    });
    expect(String(stopped.json.event_ts)).toMatch(/^\d{13}$/);
    const started = requestsFor(target, 'meeting.rtms_started')[0];
    expect(started).toBeDefined();
    expect(stopped.json.event_ts).toBeGreaterThanOrEqual(started!.json.event_ts);
    expect(sim.stats().streams[0]?.endReason).toBe(6);
  });

  it('signs session.rtms_started with the Video SDK secret token', async () => {
    const videoSdkSecretToken = 'flowsVideoSdkSecretToken';
    const target = await startTarget(validating(CREDENTIALS.secretToken));
    const sim = await startSim({
      webhookUrl: target.url,
      credentials: { ...CREDENTIALS, videoSdkSecretToken },
      timeScale: 10,
    });
    const info = sim.startStream({ product: 'session', durationMs: 60_000 });
    const request = await waitUntil(
      () => requestsFor(target, 'session.rtms_started')[0],
      'session.rtms_started at the endpoint',
    );
    expect(target.requests.some((r) => r.json.event.startsWith('meeting.'))).toBe(false);
    const ts = header(request, 'x-zm-request-timestamp');
    const signature = header(request, 'x-zm-signature');
    expect(signature).toBe(zoomSignature(videoSdkSecretToken, ts, request.body));
    expect(signature).not.toBe(zoomSignature(CREDENTIALS.secretToken, ts, request.body));
    const { payload } = request.json;
    expect(info.instanceKey).toBe('session_id');
    expect(payload.session_id).toBe(info.instanceId);
    expect(typeof payload.session_key).toBe('string');
    expect((payload.session_key as string).length).toBeGreaterThan(0);
    expect(payload.rtms_stream_id).toBe(info.streamId);
    expect(payload.server_urls).toBe(info.serverUrls[0]);
    expect(payload).not.toHaveProperty('meeting_uuid');
  });

  it('sends contact_center.voice_rtms_started with engagement_id', async () => {
    const target = await startTarget(validating(CREDENTIALS.secretToken));
    const sim = await startSim({ webhookUrl: target.url, credentials: CREDENTIALS, timeScale: 10 });
    const info = sim.startStream({ product: 'contact_center', durationMs: 60_000 });
    const request = await waitUntil(
      () => requestsFor(target, 'contact_center.voice_rtms_started')[0],
      'contact_center.voice_rtms_started at the endpoint',
    );
    const ts = header(request, 'x-zm-request-timestamp');
    expect(header(request, 'x-zm-signature')).toBe(zoomSignature(CREDENTIALS.secretToken, ts, request.body));
    const { payload } = request.json;
    expect(info.instanceKey).toBe('engagement_id');
    expect(payload.engagement_id).toBe(info.instanceId);
    expect(payload.rtms_stream_id).toBe(info.streamId);
    expect(payload.server_urls).toBe(info.serverUrls[0]);
    expect(payload).not.toHaveProperty('meeting_uuid');
  });
});

describe('webhook delivery retries (timeScale 60000: +5/+20/+60 min become 5/20/60 ms)', () => {
  const TIME_SCALE = 60_000;
  /** One simulated day: the stream outlives every retry at this time scale. */
  const DAY_MS = 86_400_000;

  /** Starts a stream whose rtms_started the endpoint answers with `statusOf(n)` on its n-th request. */
  async function deliver(statusOf: (n: number) => number): Promise<{
    sim: Simulator;
    target: Target;
    attempts: () => WebhookAttempt[];
  }> {
    let n = 0;
    const valid = validating(CREDENTIALS.secretToken);
    const target = await startTarget((request) =>
      request.json.event === 'meeting.rtms_started' ? { status: statusOf(n++) } : valid(request),
    );
    const sim = await startSim({ webhookUrl: target.url, credentials: CREDENTIALS, timeScale: TIME_SCALE });
    const info = sim.startStream({ durationMs: DAY_MS, participants: 1 });
    const attempts = () =>
      sim.stats().webhooks.filter((a) => a.event === 'meeting.rtms_started' && a.streamId === info.streamId);
    return { sim, target, attempts };
  }

  it('retries a 500 three times, in order, and then gives up', async () => {
    const { target, attempts } = await deliver(() => 500);
    await waitUntil(() => attempts().length >= 4, '4 attempts');
    // The last retry is +60 min (60 ms here); wait well past where a fifth would have come.
    await sleep(200);
    const log = attempts();
    expect(log.map((a) => a.attempt)).toEqual([0, 1, 2, 3]);
    expect(log.map((a) => a.status)).toEqual([500, 500, 500, 500]);
    expect(log.every((a) => !a.delivered)).toBe(true);
    const gaps = log.slice(1).map((a, i) => a.at - (log[i]?.at ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(4);
    expect(gaps[1]).toBeGreaterThanOrEqual(19);
    expect(gaps[2]).toBeGreaterThanOrEqual(59);
    const requests = requestsFor(target, 'meeting.rtms_started');
    expect(requests).toHaveLength(4);
    // Same body bytes every time, a fresh request id each time.
    expect(requests.every((r) => r.body.equals(requests[0]!.body))).toBe(true);
    expect(new Set(requests.map((r) => header(r, 'x-zm-request-id'))).size).toBe(4);
    expect(requests.map((r) => header(r, 'x-zm-request-id'))).toEqual(log.map((a) => a.requestId));
  });

  it('does not retry a 404', async () => {
    const { target, attempts } = await deliver(() => 404);
    await waitUntil(() => attempts().length >= 1, 'the first attempt');
    // A retry would have come after 5 ms.
    await sleep(150);
    expect(attempts()).toHaveLength(1);
    expect(attempts()[0]).toMatchObject({ attempt: 0, status: 404, delivered: false });
    expect(requestsFor(target, 'meeting.rtms_started')).toHaveLength(1);
  });

  it('stops retrying once a retry is answered 200', async () => {
    const { target, attempts } = await deliver((n) => (n < 2 ? 503 : 200));
    await waitUntil(() => attempts().some((a) => a.delivered), 'a delivered attempt');
    await sleep(150);
    const log = attempts();
    expect(log.map((a) => [a.attempt, a.status, a.delivered])).toEqual([
      [0, 503, false],
      [1, 503, false],
      [2, 200, true],
    ]);
    expect(requestsFor(target, 'meeting.rtms_started')).toHaveLength(3);
  });
});

// ---------------------------------------------------------------------------------------------------
// OAuth and REST

interface TokenBody {
  access_token?: string;
  token_type?: string;
  expires_in?: number;
  error?: string;
}

async function requestToken(sim: Simulator, id: string, secret: string): Promise<Response> {
  const query = new URLSearchParams({
    grant_type: 'account_credentials',
    account_id: sim.credentials.accountId,
  });
  return fetch(`${sim.url}/oauth/token?${query}`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
  });
}

async function token(sim: Simulator): Promise<string> {
  const res = await requestToken(sim, sim.credentials.s2sClientId, sim.credentials.s2sClientSecret);
  expect(res.status).toBe(200);
  const body = (await res.json()) as TokenBody;
  if (typeof body.access_token !== 'string') throw new Error('no access_token');
  return body.access_token;
}

function rtmsStatus(
  sim: Simulator,
  accessToken: string,
  meetingId: string,
  action: string,
): Promise<Response> {
  return fetch(`${sim.url}/v2/live_meetings/${encodeURIComponent(meetingId)}/rtms_app/status`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ action, settings: { client_id: sim.credentials.clientId } }),
  });
}

describe('OAuth and REST control', () => {
  it('issues a token for the S2S credentials and refuses bad ones with 401 invalid_client', async () => {
    const sim = await startSim({ streams: 0 });
    expect(sim.credentials.accountId).toBe('sim-account');
    const good = await requestToken(sim, sim.credentials.s2sClientId, sim.credentials.s2sClientSecret);
    expect(good.status).toBe(200);
    const body = (await good.json()) as TokenBody;
    expect(body.token_type).toBe('bearer');
    expect(body.expires_in).toBe(3600);
    expect(body.access_token).toMatch(/^\S{16,}$/);

    const bad = await requestToken(sim, sim.credentials.s2sClientId, 'wrong-secret');
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as TokenBody).error).toBe('invalid_client');
  });

  it('starts, pauses, resumes and stops a meeting stream through the RTMS status endpoint', async () => {
    const sim = await startSim({ streams: 0 });
    const notices: WebhookNotice[] = [];
    sim.on('webhook', (notice) => notices.push(notice));
    await sleep(50);
    // streams: 0 starts nothing until the REST call.
    expect(sim.stats().streams).toHaveLength(0);
    expect(sim.streamIds()).toEqual([]);
    expect(notices).toHaveLength(0);

    const accessToken = await token(sim);
    const meetingId = '81234567890';
    const start = await rtmsStatus(sim, accessToken, meetingId, 'start');
    expect(start.status).toBe(202);
    expect(await start.text()).toBe('');
    const started = await waitUntil(
      () => notices.find((n) => n.event === 'meeting.rtms_started'),
      'meeting.rtms_started',
    );
    expect(started.payload.meeting_id).toBe(81_234_567_890);
    expect(sim.stats().streams.map((s) => s.meetingId)).toEqual([meetingId]);

    const ids = {
      streamId: String(started.payload.rtms_stream_id),
      instanceId: String(started.payload.meeting_uuid),
      instanceKey: 'meeting_uuid',
    };
    const { socket, response } = await connectSignaling(
      String(started.payload.server_urls),
      sim.credentials,
      ids,
    );
    cleanups.add(async () => socket.terminate());
    expect(response.status_code).toBe(0);

    const second = await rtmsStatus(sim, accessToken, meetingId, 'start');
    expect(second.status).toBe(400);
    expect(((await second.json()) as { code: number }).code).toBe(2310);

    const pause = await rtmsStatus(sim, accessToken, meetingId, 'pause');
    expect(pause.status).toBe(202);
    await socket.waitFor((m) => m.msg_type === 8 && m.state === 5);
    await socket.waitFor((m) => m.msg_type === 9 && m.state === 3);

    const resume = await rtmsStatus(sim, accessToken, meetingId, 'resume');
    expect(resume.status).toBe(202);
    await socket.waitFor((m) => m.msg_type === 8 && m.state === 6);
    await socket.waitFor((m) => m.msg_type === 9 && m.state === 4);

    const stop = await rtmsStatus(sim, accessToken, meetingId, 'stop');
    expect(stop.status).toBe(202);
    const stopped = await waitUntil(
      () => notices.find((n) => n.event === 'meeting.rtms_stopped'),
      'meeting.rtms_stopped',
    );
    expect(stopped.payload).toEqual({
      meeting_uuid: ids.instanceId,
      rtms_stream_id: ids.streamId,
      stop_reason: 2,
    });
    const terminated = await socket.waitFor((m) => m.msg_type === 8 && m.state === 4);
    expect(terminated.reason).toBe(2);
    expect(await within(socket.closed, 3_000, 'the signaling socket to close')).toBe(1000);
  });

  it('answers 404 code 3001 for an unknown meeting and 401 code 124 for an expired token', async () => {
    const sim = await startSim({ streams: 0 });
    const accessToken = await token(sim);
    const unknown = await rtmsStatus(sim, accessToken, '89999999999', 'stop');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: number }).code).toBe(3001);

    sim.expireTokens();
    const expired = await rtmsStatus(sim, accessToken, '89999999999', 'start');
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ code: 124, message: 'Access token is expired.' });
    expect(sim.stats().streams).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------------
// Media content

const MEDIA_TIME_SCALE = 6;
/** Safety margin, simulated ms, on the moment the server handled CLIENT_READY_ACK. */
const READY_MARGIN_MS = 100;

interface Capture {
  info: SimStreamInfo;
  participants: number;
  /** Epoch ms of simulated time 0: media timestamps are `startedAt + simulated ms`. */
  startedAt: number;
  /** Simulated ms before which the app opened its first socket. */
  connectingAtMs: number;
  /**
   * Simulated ms after which every utterance is known from its transcript (transcripts are not buffered:
   * they start at CLIENT_READY_ACK).
   */
  coveredFromMs: number;
  signaling: RawSocket;
  media: RawSocket;
  mediaParams: Record<string, Record<string, number>>;
}

interface CaptureOptions {
  stream: StreamOptions & { participants: number; durationMs: number };
  mediaType: number;
  mediaParams?: Record<string, unknown>;
  /** Real ms to wait after the stream started before connecting. */
  connectAfterMs?: number;
  /** Extra fields of the signaling handshake (msg 1). */
  handshake?: Record<string, unknown>;
}

/** connectSignaling, with extra handshake fields when given. */
async function openSignaling(
  url: string,
  ids: StreamIds,
  extra: Record<string, unknown> | undefined,
): Promise<{ socket: RawSocket; response: RawMessage }> {
  if (extra === undefined) return connectSignaling(url, CREDENTIALS, ids);
  const socket = new RawSocket(url);
  await socket.opened;
  socket.send({ ...signalingHandshake(CREDENTIALS, ids), ...extra });
  const response = await socket.waitForType(2);
  if (response.status_code === 0) {
    const events = [2, 3, 4, 5, 6, 8, 9].map((event_type) => ({ event_type, subscribe: true }));
    socket.send({ msg_type: 5, events });
  }
  return { socket, response };
}

/** Runs one stream to its end with a bare client on signaling and one media socket. */
async function capture(sim: Simulator, options: CaptureOptions): Promise<Capture> {
  const info = sim.startStream(options.stream);
  const startedAt = sim.stats().streams.find((s) => s.streamId === info.streamId)?.startedAt;
  if (startedAt === undefined) throw new Error('no report for the stream');
  if (options.connectAfterMs) await sleep(options.connectAfterMs);
  const simMs = (epochMs: number) => (epochMs - startedAt) * MEDIA_TIME_SCALE;
  const connectingAtMs = simMs(Date.now());
  const url = info.serverUrls[0] ?? '';
  const { socket: signaling, response } = await openSignaling(url, info, options.handshake);
  expect(response.status_code).toBe(0);
  const urls = (response.media_server as { server_urls: Record<string, string> }).server_urls;
  const { socket: media, response: accepted } = await connectMedia(
    urls.all ?? '',
    sim.credentials,
    info,
    signaling,
    options.mediaType,
    options.mediaParams,
  );
  expect(accepted.status_code).toBe(0);
  // Signaling is handled in order: once msg 20 is back, CLIENT_READY_ACK has been handled.
  signaling.send({ msg_type: 19, rtms_stream_id: info.streamId });
  await signaling.waitForType(20);
  const coveredFromMs = simMs(Date.now()) + READY_MARGIN_MS;
  const realMs = options.stream.durationMs / MEDIA_TIME_SCALE;
  await within(media.closed, realMs + 5_000, `stream ${info.streamId} to end`);
  return {
    info,
    participants: options.stream.participants,
    startedAt,
    connectingAtMs,
    coveredFromMs,
    signaling,
    media,
    mediaParams: accepted.media_params as Record<string, Record<string, number>>,
  };
}

interface AudioPacket {
  userId: number;
  userName: unknown;
  /** Simulated ms of the packet's timestamp. */
  at: number;
  length: unknown;
  bytes: Buffer;
}

function audioPackets(c: Capture): AudioPacket[] {
  return c.media.ofType(14).map((m) => {
    const content = m.content as Record<string, unknown>;
    return {
      userId: content.user_id as number,
      userName: content.user_name,
      at: (content.timestamp as number) - c.startedAt,
      length: content.length,
      bytes: mediaBytes(m),
    };
  });
}

interface Utterance {
  userId: number;
  userName: unknown;
  startMs: number;
  endMs: number;
}

function utterances(c: Capture): Utterance[] {
  return c.media.ofType(17).map((m) => {
    const content = m.content as {
      user_id: number;
      user_name: unknown;
      start_time: number;
      end_time: number;
    };
    return {
      userId: content.user_id,
      userName: content.user_name,
      startMs: content.start_time - c.startedAt,
      endMs: content.end_time - c.startedAt,
    };
  });
}

/** Audio slots (multiples of `stepMs`) an utterance covers, from `fromMs` on. */
function slots(u: Utterance, stepMs: number, fromMs: number): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(Math.max(u.startMs, fromMs) / stepMs) * stepMs; t < u.endMs; t += stepMs)
    out.push(t);
  return out;
}

function tones(participants: number): number[] {
  return Array.from({ length: participants }, (_, i) => toneHz(i));
}

function toneOf(userId: number): number {
  return toneHz(userId - FIRST_USER_ID);
}

/** Consecutive differences. */
function steps(values: readonly number[]): number[] {
  return values.slice(1).map((v, i) => v - (values[i] ?? 0));
}

function event(c: Capture, eventType: number): Record<string, unknown> | undefined {
  const found = c.signaling
    .ofType(6)
    .find((m) => (m.event as { event_type?: number } | undefined)?.event_type === eventType);
  return found?.event as Record<string, unknown> | undefined;
}

/** NAL unit types in an Annex-B buffer. */
function nalTypes(data: Buffer): number[] {
  const types: number[] = [];
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      types.push((data[i + 3] ?? 0) & 0x1f);
      i += 2;
    }
  }
  return types;
}

describe('media content', () => {
  let sim: Simulator;
  /** Mixed audio, transcripts, JPEG video, screen share and chat; three participants. */
  let mixed: Capture;
  /** Multi-stream audio (data_opt 2) and transcripts; three participants with cross-talk. */
  let multi: Capture;
  /** 48 kHz audio and H.264 video at 10 fps; one participant. */
  let wide: Capture;
  /** send_rate 100; one participant. */
  let slow: Capture;
  /** Connected ~3 s of simulated time after the start: buffered audio. */
  let late: Capture;
  /** The same meeting and timing as `late`, with `buffer_data: false` in msg 1. */
  let unbuffered: Capture;

  beforeAll(async () => {
    sim = await Simulator.start({ timeScale: MEDIA_TIME_SCALE, credentials: CREDENTIALS });
    // Seeds picked for pauses, two and three concurrent speakers (seed 6 and 15 of buildScenario).
    [mixed, multi, wide, slow, late, unbuffered] = await Promise.all([
      capture(sim, {
        stream: { participants: 3, durationMs: 15_000, seed: 6 },
        mediaType: 1 | 2 | 4 | 8 | 16,
      }),
      capture(sim, {
        stream: { participants: 3, durationMs: 15_000, seed: 15 },
        mediaType: 1 | 8,
        mediaParams: { audio: { data_opt: 2 } },
      }),
      capture(sim, {
        stream: { participants: 1, durationMs: 10_000, seed: 3 },
        mediaType: 1 | 2,
        mediaParams: { audio: { sample_rate: 3 }, video: { codec: 7, fps: 10 } },
      }),
      capture(sim, {
        stream: { participants: 1, durationMs: 10_000, seed: 4 },
        mediaType: 1,
        mediaParams: { audio: { send_rate: 100 } },
      }),
      capture(sim, {
        stream: { participants: 2, durationMs: 10_000, seed: 5 },
        mediaType: 1,
        connectAfterMs: 3_000 / MEDIA_TIME_SCALE,
      }),
      capture(sim, {
        stream: { participants: 2, durationMs: 10_000, seed: 5 },
        mediaType: 1,
        connectAfterMs: 3_000 / MEDIA_TIME_SCALE,
        handshake: { buffer_data: false },
      }),
    ]);
  }, 30_000);

  afterAll(async () => {
    for (const c of [mixed, multi, wide, slow, late, unbuffered]) c?.signaling.terminate();
    await sim?.close();
  });

  it('sends 16 kHz mono L16 in 640-byte packets, length matching the bytes', () => {
    const packets = audioPackets(mixed);
    expect(packets.length).toBeGreaterThan(300);
    for (const p of packets) {
      expect(p.bytes.length).toBe(640);
      expect(p.length).toBe(640);
    }
  });

  it('sends 48 kHz (sample_rate 3) in 1920-byte packets holding the tone at 48 kHz', () => {
    expect(wide.mediaParams.audio?.sample_rate).toBe(3);
    const packets = audioPackets(wide);
    expect(packets.length).toBeGreaterThan(200);
    for (const p of packets) {
      expect(p.bytes.length).toBe(1920);
      expect(p.length).toBe(1920);
      expect(detectTone(p.bytes, 48_000, [toneHz(0), toneHz(1), toneHz(2)])).toBe(toneHz(0));
    }
    const diffs = steps(packets.map((p) => p.at));
    expect(diffs.every((d) => d >= 20 && d % 20 === 0)).toBe(true);
    expect(diffs.filter((d) => d === 20).length).toBeGreaterThan(150);
  });

  it('sends send_rate 100 as 3200-byte packets 100 ms apart', () => {
    expect(slow.mediaParams.audio?.send_rate).toBe(100);
    const packets = audioPackets(slow);
    expect(packets.length).toBeGreaterThan(40);
    for (const p of packets) {
      expect(p.bytes.length).toBe(3200);
      expect(p.length).toBe(3200);
      expect(p.at % 100).toBe(0);
      expect(detectTone(p.bytes, 16_000, tones(3))).toBe(toneHz(0));
    }
    const diffs = steps(packets.map((p) => p.at));
    expect(diffs.every((d) => d >= 100 && d % 100 === 0)).toBe(true);
    expect(diffs.filter((d) => d === 100).length).toBeGreaterThan(30);
    expect(diffs.some((d) => d > 100)).toBe(true);
  });

  it('mixes audio as user 0 without a name, send_rate apart, with gaps only where nobody speaks', () => {
    const packets = audioPackets(mixed);
    for (const p of packets) {
      expect(p.userId).toBe(0);
      expect(p.userName).toBeUndefined();
      // Muted means no packet, not a silent one.
      expect(p.bytes.some((b) => b !== 0)).toBe(true);
    }
    const times = packets.map((p) => p.at);
    const diffs = steps(times);
    expect(diffs.every((d) => d >= 20 && d % 20 === 0)).toBe(true);
    expect(diffs.filter((d) => d > 20).length).toBeGreaterThanOrEqual(2);

    // Where transcripts tell who speaks, the packets are exactly the slots someone speaks in.
    const said = utterances(mixed);
    const expected = new Set(said.flatMap((u) => slots(u, 20, mixed.coveredFromMs)));
    const covered = times.filter((t) => t >= mixed.coveredFromMs);
    expect(covered.length).toBeGreaterThan(400);
    expect(covered).toEqual([...expected].sort((a, b) => a - b));
  });

  it("carries the only speaker's tone in single-speaker frames of the mixed stream", () => {
    const said = utterances(mixed);
    let checked = 0;
    for (const p of audioPackets(mixed)) {
      if (p.at < mixed.coveredFromMs) continue;
      const speakers = said.filter((u) => u.startMs <= p.at && p.at < u.endMs);
      if (speakers.length !== 1) continue;
      expect(detectTone(p.bytes, 16_000, tones(3))).toBe(toneOf(speakers[0]!.userId));
      checked++;
    }
    expect(checked).toBeGreaterThan(300);
    // Everyone spoke, so the check heard every voice, not just one.
    expect(new Set(said.map((u) => u.userId)).size).toBe(3);
  });

  it("sends each speaker's own packets in multi-stream audio", () => {
    expect(multi.mediaParams.audio?.data_opt).toBe(2);
    const packets = audioPackets(multi);
    expect(packets.length).toBeGreaterThan(400);
    const names = new Map<number, unknown>();
    for (const p of packets) {
      expect(p.userId - FIRST_USER_ID).toBeGreaterThanOrEqual(0);
      expect(p.userId - FIRST_USER_ID).toBeLessThan(3);
      expect(typeof p.userName).toBe('string');
      if (!names.has(p.userId)) names.set(p.userId, p.userName);
      expect(p.userName).toBe(names.get(p.userId));
      expect(p.bytes.length).toBe(640);
      expect(p.length).toBe(640);
      expect(p.bytes.some((b) => b !== 0)).toBe(true);
      expect(detectTone(p.bytes, 16_000, tones(3))).toBe(toneOf(p.userId));
    }
    expect(names.size).toBe(3);
    expect(new Set(names.values()).size).toBe(3);

    const byTime = new Map<number, number[]>();
    for (const p of packets) byTime.set(p.at, [...(byTime.get(p.at) ?? []), p.userId]);
    const perSlot = [...byTime.values()];
    expect(Math.max(...perSlot.map((users) => users.length))).toBe(3);
    for (const users of perSlot) expect(new Set(users).size).toBe(users.length);

    for (const userId of names.keys()) {
      const diffs = steps(packets.filter((p) => p.userId === userId).map((p) => p.at));
      expect(diffs.every((d) => d >= 20 && d % 20 === 0)).toBe(true);
      expect(diffs.filter((d) => d === 20).length).toBeGreaterThan(50);
      expect(diffs.some((d) => d > 20)).toBe(true);
    }

    const said = utterances(multi);
    const key = (userId: number, at: number) => `${userId}@${at}`;
    const expected = said.flatMap((u) => slots(u, 20, multi.coveredFromMs).map((t) => key(u.userId, t)));
    const got = packets.filter((p) => p.at >= multi.coveredFromMs).map((p) => key(p.userId, p.at));
    expect(got.length).toBeGreaterThan(400);
    expect(new Set(got).size).toBe(got.length);
    expect(new Set(got)).toEqual(new Set(expected));
  });

  it('sends transcripts of participants that match the audio of their time range', () => {
    for (const c of [mixed, multi]) {
      const messages = c.media.ofType(17);
      expect(messages.length).toBeGreaterThanOrEqual(3);
      for (const m of messages) {
        const content = m.content as Record<string, unknown>;
        expect(content.start_time as number).toBeLessThan(content.end_time as number);
        expect(content.timestamp).toBe(content.start_time);
        expect(content.language).toBe(9);
        expect(content.user_id as number).toBeGreaterThanOrEqual(FIRST_USER_ID);
        expect(content.user_id as number).toBeLessThan(FIRST_USER_ID + c.participants);
        expect(typeof content.user_name).toBe('string');
        expect(typeof content.data).toBe('string');
        expect((content.data as string).trim().length).toBeGreaterThan(0);
      }
    }
    const packets = audioPackets(multi);
    for (const u of utterances(multi)) {
      const inRange = packets.filter((p) => p.at >= u.startMs && p.at < u.endMs && p.userId === u.userId);
      expect(inRange.length).toBe(slots(u, 20, u.startMs).length);
      expect(inRange[0]?.userName).toBe(u.userName);
      for (const p of inRange) expect(detectTone(p.bytes, 16_000, tones(3))).toBe(toneOf(u.userId));
    }
  });

  it('sends chat in the plain and the structured layout', () => {
    const chats = mixed.media.ofType(18).map((m) => m.content as Record<string, unknown>);
    expect(chats).toHaveLength(2);
    const [plain, structured] = chats as [Record<string, unknown>, Record<string, unknown>];
    expect(plain.user_id).toBe(FIRST_USER_ID);
    expect(plain.data).toMatch(/\S/);
    expect(() => JSON.parse(plain.data as string)).toThrow();

    expect(structured.user_id).toBe(FIRST_USER_ID + 1);
    const inner = JSON.parse(structured.data as string) as Record<string, unknown>;
    expect(inner.data).toMatch(/\S/);
    expect(inner.chat_session).toMatchObject({ type: 1 });
    expect(inner.operation_type).toBe(1);
    expect(inner.sender).toMatchObject({ user_id: FIRST_USER_ID + 1, user_name: structured.user_name });
    expect(plain.timestamp as number).toBeLessThan(structured.timestamp as number);
  });

  it('sends JPEG video at the default 5 fps, and screen share only while someone shares', () => {
    const video = mixed.media.ofType(15);
    expect(video.length).toBeGreaterThan(40);
    for (const m of video) {
      const bytes = mediaBytes(m);
      expect(bytes.subarray(0, 2).toString('hex')).toBe('ffd8');
      expect(bytes.subarray(-2).toString('hex')).toBe('ffd9');
      expect((m.content as Record<string, unknown>).length).toBe(bytes.length);
    }
    const videoTimes = video.map((m) => (m.content as { timestamp: number }).timestamp);
    expect(steps(videoTimes).every((d) => d === 200)).toBe(true);

    const start = event(mixed, 5);
    const stop = event(mixed, 6);
    expect(start?.user_id).toBe(FIRST_USER_ID + 1);
    const from = start?.timestamp as number;
    const to = stop?.timestamp as number;
    expect(to).toBeGreaterThan(from);
    const shares = mixed.media.ofType(16);
    expect(shares.length).toBeGreaterThanOrEqual(3);
    for (const m of shares) {
      const content = m.content as Record<string, unknown>;
      expect(content.timestamp as number).toBeGreaterThanOrEqual(from);
      expect(content.timestamp as number).toBeLessThan(to);
      expect(content.user_id).toBe(start?.user_id);
      expect(mediaBytes(m).subarray(0, 2).toString('hex')).toBe('ffd8');
    }
    // Video kept flowing outside the share.
    expect(videoTimes.some((t) => t < from) && videoTimes.some((t) => t >= to)).toBe(true);
  });

  it('sends H.264 (codec 7, 10 fps) as Annex-B access units, the first with an SPS', () => {
    expect(wide.mediaParams.video).toMatchObject({ codec: 7, fps: 10 });
    const frames = wide.media.ofType(15).map((m) => mediaBytes(m));
    expect(frames.length).toBeGreaterThan(40);
    for (const frame of frames) {
      const startCode = frame.subarray(0, 4).equals(Buffer.from([0, 0, 0, 1]))
        ? 4
        : frame.subarray(0, 3).equals(Buffer.from([0, 0, 1]))
          ? 3
          : 0;
      expect(startCode).toBeGreaterThan(0);
    }
    const first = nalTypes(frames[0]!);
    expect(first).toContain(7);
    expect(first).toContain(8);
    expect(first).toContain(5);
    const times = wide.media.ofType(15).map((m) => (m.content as { timestamp: number }).timestamp);
    expect(steps(times).every((d) => d === 100)).toBe(true);
  });

  it('delivers audio said before the app connected first (buffered)', () => {
    expect(late.connectingAtMs).toBeGreaterThan(2_000);
    const packets = audioPackets(late);
    const first = packets[0];
    expect(first).toBeDefined();
    expect(first!.at).toBeLessThan(late.connectingAtMs - 500);
    const before = packets.filter((p) => p.at < late.connectingAtMs);
    expect(before.length).toBeGreaterThan(25);
    // The buffer arrives in order and joins the live audio without a hole or a repeat.
    const diffs = steps(packets.map((p) => p.at));
    expect(diffs.every((d) => d >= 20 && d % 20 === 0)).toBe(true);
    const firstPacket = event(late, 1);
    expect(firstPacket?.timestamp as number).toBeLessThanOrEqual(first!.at + late.startedAt);
  });

  it('delivers nothing said before the app connected with buffer_data: false', () => {
    expect(unbuffered.connectingAtMs).toBeGreaterThan(2_000);
    const packets = audioPackets(unbuffered);
    // The same meeting, live only: it still has audio, but none from before the connection.
    expect(packets.length).toBeGreaterThan(100);
    expect(packets[0]!.at).toBeGreaterThanOrEqual(unbuffered.connectingAtMs);
    const firstPacket = event(unbuffered, 1);
    expect((firstPacket?.timestamp as number) - unbuffered.startedAt).toBeGreaterThanOrEqual(
      unbuffered.connectingAtMs,
    );
    // Everything after the connection is the same as with the buffer.
    const live = (c: Capture) =>
      audioPackets(c)
        .filter((p) => p.at >= unbuffered.coveredFromMs && p.at >= late.coveredFromMs)
        .map((p) => p.at);
    expect(live(unbuffered)).toEqual(live(late));
  });
});

// ---------------------------------------------------------------------------------------------------
// WAV audio

/** 16 kHz mono PCM16 WAV of a sine tone. */
function toneWav(freqHz: number, seconds: number, rate = 16_000): Buffer {
  const samples = rate * seconds;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    data.writeInt16LE(Math.round(10_000 * Math.sin((2 * Math.PI * freqHz * i) / rate)), i * 2);
  }
  const head = Buffer.alloc(44);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(36 + data.length, 4);
  head.write('WAVE', 8, 'latin1');
  head.write('fmt ', 12, 'latin1');
  head.writeUInt32LE(16, 16);
  head.writeUInt16LE(1, 20); // PCM
  head.writeUInt16LE(1, 22); // mono
  head.writeUInt32LE(rate, 24);
  head.writeUInt32LE(rate * 2, 28);
  head.writeUInt16LE(2, 32);
  head.writeUInt16LE(16, 34);
  head.write('data', 36, 'latin1');
  head.writeUInt32LE(data.length, 40);
  return Buffer.concat([head, data]);
}

describe('audioWav', () => {
  it('plays the WAV file instead of the participant tones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rtmskit-flows-'));
    cleanups.add(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'tone-1k.wav');
    await writeFile(path, toneWav(1000, 1));
    const sim = await startSim({ timeScale: MEDIA_TIME_SCALE, credentials: CREDENTIALS, audioWav: path });
    const c = await capture(sim, { stream: { participants: 2, durationMs: 8_000, seed: 7 }, mediaType: 1 });
    cleanups.add(async () => c.signaling.terminate());
    const packets = audioPackets(c);
    expect(packets.length).toBeGreaterThan(200);
    for (const p of packets) {
      expect(p.bytes.length).toBe(640);
      expect(detectTone(p.bytes, 16_000, [1000, toneHz(0), toneHz(1)])).toBe(1000);
    }
  });
});

describe('options', () => {
  it.each([0, -2, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses timeScale %s with an RtmsError naming it',
    async (timeScale) => {
      await expect(Simulator.start({ timeScale })).rejects.toMatchObject({
        name: 'RtmsError',
        code: 'INVALID_OPTIONS',
        message: expect.stringContaining('timeScale'),
      });
    },
  );
});
