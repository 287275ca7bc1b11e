/**
 * ZoomRestClient against the simulator's OAuth and RTMS status endpoints over loopback, and against an
 * injected fetch for the renewal limit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isRtmsError, type RtmsError } from '../../src/protocol/errors.js';
import { ZoomRestClient, type ZoomRestOptions } from '../../src/rest/ZoomRestClient.js';
import { Simulator, type WebhookNotice } from '../../src/simulator/index.js';
import { Cleanups } from '../cleanups.js';

const APP = {
  clientId: 'appClientId0001',
  clientSecret: 'appClientSecret-0001',
  secretToken: 'webhookSecretToken-0001',
};
const ACCOUNT_ID = 'sim-account';
const MEETING_ID = '85746065432';

/** One HTTP exchange seen by the recording fetch. */
interface Exchange {
  method: string;
  path: string;
  status: number;
  /** Zoom's error code, when the answer carries one. */
  code?: number;
}

const cleanups = new Cleanups();

afterEach(() => cleanups.run());

async function startSimulator(): Promise<Simulator> {
  const sim = await Simulator.start({
    credentials: { ...APP, accountId: ACCOUNT_ID },
    streams: 0,
    timeScale: 1,
  });
  cleanups.add(() => sim.close());
  return sim;
}

/** The real fetch, with every exchange written down. */
function recordingFetch(log: Exchange[]): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const exchange: Exchange = { method: init?.method ?? 'GET', path: url.pathname, status: response.status };
    const body = (await response
      .clone()
      .json()
      .catch(() => undefined)) as { code?: unknown } | undefined;
    if (typeof body?.code === 'number') exchange.code = body.code;
    log.push(exchange);
    return response;
  };
}

function clientFor(sim: Simulator, overrides: Partial<ZoomRestOptions> = {}): ZoomRestClient {
  return new ZoomRestClient({
    accountId: ACCOUNT_ID,
    clientId: APP.clientId,
    clientSecret: APP.clientSecret,
    apiBase: sim.url,
    oauthBase: sim.url,
    ...overrides,
  });
}

async function rejection(work: Promise<unknown>): Promise<RtmsError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isRtmsError(err)) throw new Error(`expected an RtmsError, got ${String(err)}`);
  return err;
}

function nextWebhook(sim: Simulator, event: string, timeoutMs = 5_000): Promise<WebhookNotice> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sim.off('webhook', onWebhook);
      reject(new Error(`no ${event} webhook within ${timeoutMs} ms`));
    }, timeoutMs);
    const onWebhook = (notice: WebhookNotice): void => {
      if (notice.event !== event) return;
      clearTimeout(timer);
      sim.off('webhook', onWebhook);
      resolve(notice);
    };
    sim.on('webhook', onWebhook);
  });
}

const STATUS_PATH = `/v2/live_meetings/${MEETING_ID}/rtms_app/status`;

describe('ZoomRestClient against the simulator', () => {
  it('requests one token and reuses it for two calls', async () => {
    const sim = await startSimulator();
    const log: Exchange[] = [];
    const client = clientFor(sim, { fetch: recordingFetch(log) });
    expect(await client.rtmsStatus(MEETING_ID, 'start', { clientId: APP.clientId })).toEqual({ status: 202 });
    expect(await client.rtmsStatus(MEETING_ID, 'stop', { clientId: APP.clientId })).toEqual({ status: 202 });
    expect(client.tokensRequested).toBe(1);
    expect(log).toEqual([
      { method: 'POST', path: '/oauth/token', status: 200 },
      { method: 'PATCH', path: STATUS_PATH, status: 202 },
      { method: 'PATCH', path: STATUS_PATH, status: 202 },
    ]);
  });

  it('renews the token once after a 401 code 124 and succeeds', async () => {
    const sim = await startSimulator();
    const log: Exchange[] = [];
    const client = clientFor(sim, { fetch: recordingFetch(log) });
    await client.rtmsStatus(MEETING_ID, 'start', { clientId: APP.clientId });
    expect(client.tokensRequested).toBe(1);
    sim.expireTokens();
    log.length = 0;
    expect(await client.rtmsStatus(MEETING_ID, 'stop', { clientId: APP.clientId })).toEqual({ status: 202 });
    expect(client.tokensRequested).toBe(2);
    expect(log).toEqual([
      { method: 'PATCH', path: STATUS_PATH, status: 401, code: 124 },
      { method: 'POST', path: '/oauth/token', status: 200 },
      { method: 'PATCH', path: STATUS_PATH, status: 202 },
    ]);
  });

  it('starts RTMS: 202, then a meeting.rtms_started webhook for the numeric meeting id', async () => {
    const sim = await startSimulator();
    const client = clientFor(sim);
    const started = nextWebhook(sim, 'meeting.rtms_started');
    expect(await client.rtmsStatus(MEETING_ID, 'start', { clientId: APP.clientId })).toEqual({ status: 202 });
    const notice = await started;
    expect(notice.payload.meeting_id).toBe(Number(MEETING_ID));
    expect(notice.payload.account_id).toBe(ACCOUNT_ID);
    expect(typeof notice.payload.rtms_stream_id).toBe('string');
  });

  it('explains 404 code 3001 when stopping a meeting that is not live', async () => {
    const sim = await startSimulator();
    const err = await rejection(clientFor(sim).rtmsStatus('999', 'stop', { clientId: APP.clientId }));
    expect(err.code).toBe('API_ERROR');
    expect(err.statusCode).toBe(404);
    expect(err.reason).toMatch(/^3001 /);
    expect(err.fix).toContain('meeting not found');
    expect(err.message).toContain('code 3001');
  });

  it('explains 400 code 2310 when starting twice', async () => {
    const sim = await startSimulator();
    const client = clientFor(sim);
    await client.rtmsStatus(MEETING_ID, 'start', { clientId: APP.clientId });
    const err = await rejection(client.rtmsStatus(MEETING_ID, 'start', { clientId: APP.clientId }));
    expect(err.code).toBe('API_ERROR');
    expect(err.statusCode).toBe(400);
    expect(err.reason).toMatch(/^2310 /);
    expect(err.fix).toContain('Developer Pack');
    expect(err.fix).toContain('RTMS enabled');
    expect(client.tokensRequested).toBe(1);
  });

  it('fails AUTH_FAILED with the fix for bad S2S credentials', async () => {
    const sim = await startSimulator();
    const client = clientFor(sim, { clientSecret: 'wrong-secret' });
    const err = await rejection(client.rtmsStatus(MEETING_ID, 'start', { clientId: APP.clientId }));
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toContain('HTTP 401');
    expect(err.fix).toContain('ZOOM_S2S_CLIENT_SECRET');
    expect(client.tokensRequested).toBe(0);
  });
});

describe('ZoomRestClient with an injected fetch', () => {
  it('renews exactly once when every call answers 401 code 124, then explains the 124', async () => {
    const calls: string[] = [];
    let issued = 0;
    const alwaysExpired: typeof fetch = async (input, init) => {
      const url = new URL(String(input));
      const authorization = new Headers(init?.headers).get('authorization') ?? '';
      if (url.pathname === '/oauth/token') {
        calls.push(`${init?.method} token`);
        issued++;
        return Response.json({ access_token: `token-${issued}`, token_type: 'bearer', expires_in: 3600 });
      }
      calls.push(`${init?.method} ${url.pathname} ${authorization}`);
      return Response.json({ code: 124, message: 'Invalid access token.' }, { status: 401 });
    };
    const client = new ZoomRestClient({
      accountId: ACCOUNT_ID,
      clientId: APP.clientId,
      clientSecret: APP.clientSecret,
      apiBase: 'http://zoom.invalid',
      oauthBase: 'http://zoom.invalid',
      fetch: alwaysExpired,
    });
    const err = await rejection(client.rtmsStatus(MEETING_ID, 'start', { clientId: APP.clientId }));
    expect(calls).toEqual([
      'POST token',
      `PATCH ${STATUS_PATH} Bearer token-1`,
      'POST token',
      `PATCH ${STATUS_PATH} Bearer token-2`,
    ]);
    expect(client.tokensRequested).toBe(2);
    expect(err.code).toBe('API_ERROR');
    expect(err.statusCode).toBe(401);
    expect(err.reason).toBe('124 Invalid access token.');
    expect(err.fix).toContain('access token invalid or expired');
  });
});
