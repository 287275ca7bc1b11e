/** RestApi behind a real loopback node:http server, driven with fetch. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isRtmsError } from '../../src/protocol/errors.js';
import {
  RestApi,
  type RestApiOptions,
  type RtmsAction,
  type RtmsActionResult,
  type RtmsActionSettings,
  TOKEN_TTL_SEC,
} from '../../src/simulator/rest.js';
import { Cleanups } from '../cleanups.js';

const CREDENTIALS = {
  accountId: 'AbCdEf123GhIjKlMnOpQ',
  clientId: 's2sClientId0001',
  clientSecret: 's2sClientSecret-0001',
};
const APP_CLIENT_ID = 'rtmsAppClientId42';
const MEETING_ID = 'f3nq/Fu+Qs6fX1x9lCmb2g==';

interface Call {
  meetingId: string;
  action: RtmsAction;
  settings: RtmsActionSettings;
}

interface Harness {
  base: string;
  api: RestApi;
  calls: Call[];
}

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function start(
  options: Partial<RestApiOptions> = {},
  result: (call: Call) => RtmsActionResult = () => ({ ok: true }),
): Promise<Harness> {
  const calls: Call[] = [];
  const api = new RestApi({
    credentials: CREDENTIALS,
    appClientId: APP_CLIENT_ID,
    onRtmsAction: (meetingId, action, settings) => {
      const call = { meetingId, action, settings };
      calls.push(call);
      return result(call);
    },
    ...options,
  });
  const server = createServer((req, res) => {
    if (!api.handle(req, res)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"code":404,"message":"Not found"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.add(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, api, calls };
}

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

const GOOD_BASIC = basic(CREDENTIALS.clientId, CREDENTIALS.clientSecret);

function tokenUrl(base: string, grant = 'account_credentials', account = CREDENTIALS.accountId): string {
  const query = new URLSearchParams({ grant_type: grant, account_id: account });
  return `${base}/oauth/token?${query}`;
}

async function getToken(base: string): Promise<string> {
  const res = await fetch(tokenUrl(base), { method: 'POST', headers: { authorization: GOOD_BASIC } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}

function statusUrl(base: string, meetingId = MEETING_ID): string {
  return `${base}/v2/live_meetings/${encodeURIComponent(meetingId)}/rtms_app/status`;
}

function patch(url: string, token: string | undefined, body: unknown): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return fetch(url, {
    method: 'PATCH',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const START = { action: 'start', settings: { client_id: APP_CLIENT_ID } };

describe('POST /oauth/token', () => {
  it('issues a bearer token in Zoom’s shape', async () => {
    const { base, api } = await start();
    const res = await fetch(tokenUrl(base), { method: 'POST', headers: { authorization: GOOD_BASIC } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      access_token: expect.stringMatching(/^[A-Za-z0-9_-]{32,}$/),
      token_type: 'bearer',
      expires_in: 3600,
      scope: expect.stringContaining('meeting:update:participant_rtms_app_status:admin'),
      api_url: `http://${new URL(base).host}`,
    });
    expect(TOKEN_TTL_SEC).toBe(3600);
    expect(api.tokensIssued()).toBe(1);
    expect(await getToken(base)).not.toBe(body.access_token);
    expect(api.tokensIssued()).toBe(2);
  });

  it('accepts the parameters form-encoded in the body', async () => {
    const { base } = await start();
    const res = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { authorization: GOOD_BASIC, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'account_credentials', account_id: CREDENTIALS.accountId }),
    });
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    expect((await patch(statusUrl(base), access_token, START)).status).toBe(202);
  });

  it.each([
    ['no Authorization', undefined],
    ['a wrong secret', basic(CREDENTIALS.clientId, 'wrong')],
    ['a wrong client id', basic('someone-else', CREDENTIALS.clientSecret)],
    ['a Bearer header', 'Bearer abc'],
    ['garbage', 'Basic !!!'],
  ])('answers 401 invalid_client for %s', async (_name, authorization) => {
    const { base, api } = await start();
    const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
    const res = await fetch(tokenUrl(base), { method: 'POST', headers });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      reason: 'Invalid client_id or client_secret',
      error: 'invalid_client',
    });
    expect(api.tokensIssued()).toBe(0);
  });

  it('answers 400 for a wrong or missing account id', async () => {
    const { base } = await start();
    for (const url of [
      tokenUrl(base, 'account_credentials', 'other'),
      `${base}/oauth/token?grant_type=account_credentials`,
    ]) {
      const res = await fetch(url, { method: 'POST', headers: { authorization: GOOD_BASIC } });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ reason: 'Invalid account_id', error: 'invalid_request' });
    }
  });

  it('answers 400 for an unsupported grant type', async () => {
    const { base } = await start();
    const res = await fetch(tokenUrl(base, 'client_credentials'), {
      method: 'POST',
      headers: { authorization: GOOD_BASIC },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ reason: 'Unsupported grant type', error: 'unsupported_grant_type' });
  });

  it('answers 405 to other methods', async () => {
    const { base } = await start();
    const res = await fetch(tokenUrl(base), { headers: { authorization: GOOD_BASIC } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('PATCH /v2/live_meetings/{meetingId}/rtms_app/status', () => {
  it('accepts an authorized action with 202 and an empty body', async () => {
    const { base, calls } = await start();
    const token = await getToken(base);
    const res = await patch(statusUrl(base), token, {
      action: 'pause',
      settings: { client_id: APP_CLIENT_ID, participant_user_id: 'KdYKjnimT4KPd8FFgQt9FQ' },
    });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
    expect(calls).toEqual([
      {
        meetingId: MEETING_ID,
        action: 'pause',
        settings: { client_id: APP_CLIENT_ID, participant_user_id: 'KdYKjnimT4KPd8FFgQt9FQ' },
      },
    ]);
  });

  it('percent-decodes the meeting id (%2F, %2B, raw and encoded ==)', async () => {
    const { base, calls } = await start();
    const token = await getToken(base);
    const raw = `${base}/v2/live_meetings/abc%2Fdef%2Bgh==/rtms_app/status`;
    expect(raw).toContain('%2F');
    for (const url of [statusUrl(base), raw, statusUrl(base, '85746065432')]) {
      expect((await patch(url, token, START)).status).toBe(202);
    }
    expect(calls.map((c) => [c.meetingId, c.action])).toEqual([
      [MEETING_ID, 'start'],
      ['abc/def+gh==', 'start'],
      ['85746065432', 'start'],
    ]);
    expect(nthSettings(calls, 0)).toEqual({ client_id: APP_CLIENT_ID });
  });

  it.each([
    ['no token', undefined],
    ['a garbage token', 'not-a-token'],
  ])('answers 401 code 124 for %s', async (_name, token) => {
    const { base, calls } = await start();
    await getToken(base);
    const res = await patch(statusUrl(base), token, START);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ code: 124, message: 'Invalid access token.' });
    expect(calls).toEqual([]);
  });

  it('answers "expired" after expireTokens(), and a new token works', async () => {
    const { base, api, calls } = await start();
    const token = await getToken(base);
    expect((await patch(statusUrl(base), token, START)).status).toBe(202);
    api.expireTokens();
    const res = await patch(statusUrl(base), token, START);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ code: 124, message: 'Access token is expired.' });
    expect((await patch(statusUrl(base), await getToken(base), START)).status).toBe(202);
    expect(api.tokensIssued()).toBe(2);
    expect(calls).toHaveLength(2);
  });

  it('expires tokens after TOKEN_TTL_SEC / timeScale of the injected clock', async () => {
    let clock = 1_739_923_528_000;
    const { base } = await start({ timeScale: 3600, now: () => clock });
    const res = await fetch(tokenUrl(base), { method: 'POST', headers: { authorization: GOOD_BASIC } });
    const body = (await res.json()) as { access_token: string; expires_in: number };
    // Zoom's nominal value, although this token really lives 1 s.
    expect(body.expires_in).toBe(3600);

    clock += 999;
    expect((await patch(statusUrl(base), body.access_token, START)).status).toBe(202);
    clock += 1;
    const expired = await patch(statusUrl(base), body.access_token, START);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ code: 124, message: 'Access token is expired.' });
  });

  it.each([
    ['malformed JSON', '{"action":'],
    ['a JSON array', '[]'],
    ['an unknown action', { action: 'restart', settings: { client_id: APP_CLIENT_ID } }],
    ['no action', { settings: { client_id: APP_CLIENT_ID } }],
    ['no settings', { action: 'start' }],
    ['no settings.client_id', { action: 'start', settings: {} }],
    [
      'a non-string participant',
      { action: 'start', settings: { client_id: APP_CLIENT_ID, participant_user_id: 7 } },
    ],
  ])('answers 400 code 300 for %s', async (_name, body) => {
    const { base, calls } = await start();
    const res = await patch(statusUrl(base), await getToken(base), body);
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { code: number; message: string };
    expect(answer.code).toBe(300);
    expect(answer.message.length).toBeGreaterThan(0);
    expect(calls).toEqual([]);
  });

  it('names the bad field in the 300 message', async () => {
    const { base } = await start();
    const token = await getToken(base);
    const badAction = await patch(statusUrl(base), token, {
      action: 'restart',
      settings: { client_id: 'x' },
    });
    expect(((await badAction.json()) as { message: string }).message).toMatch(/action/);
    const noClient = await patch(statusUrl(base), token, { action: 'stop', settings: {} });
    expect(((await noClient.json()) as { message: string }).message).toMatch(/client_id/);
  });

  it('answers 400 code 2310 for a client id that is not the RTMS app', async () => {
    const { base, calls } = await start();
    const res = await patch(statusUrl(base), await getToken(base), {
      action: 'start',
      settings: { client_id: 'another-app' },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 2310, message: 'Failed to perform RTMS app operation.' });
    expect(calls).toEqual([]);
  });

  it('passes an error from onRtmsAction through', async () => {
    const { base, calls } = await start({}, () => ({
      ok: false,
      httpStatus: 400,
      code: 2308,
      message: 'Not allowed to start RTMS app.',
    }));
    const res = await patch(statusUrl(base), await getToken(base), START);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 2308, message: 'Not allowed to start RTMS app.' });
    expect(calls).toHaveLength(1);
  });

  it('answers 500 when onRtmsAction throws', async () => {
    const { base } = await start({}, () => {
      throw new Error('simulator bug');
    });
    const res = await patch(statusUrl(base), await getToken(base), START);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ code: 500, message: 'simulator bug' });
  });

  it('answers 405 to GET and 413 to an oversized body', async () => {
    const { base, calls } = await start();
    const token = await getToken(base);
    const get = await fetch(statusUrl(base), { headers: { authorization: `Bearer ${token}` } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('PATCH');

    const huge = JSON.stringify({ ...START, padding: 'x'.repeat(70 * 1024) });
    const big = await patch(statusUrl(base), token, huge);
    expect(big.status).toBe(413);
    expect(calls).toEqual([]);
  });

  it('leaves other paths alone', async () => {
    const { base } = await start();
    for (const path of ['/v2/users/me', '/v2/live_meetings/1/rtms_app/status/extra', '/oauth/token/']) {
      const res = await fetch(`${base}${path}`, { method: 'POST' });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ code: 404, message: 'Not found' });
    }
  });
});

describe('RestApi options', () => {
  it('rejects a timeScale below 1 and empty credentials', () => {
    const onRtmsAction = (): RtmsActionResult => ({ ok: true });
    for (const options of [
      { credentials: CREDENTIALS, appClientId: APP_CLIENT_ID, onRtmsAction, timeScale: 0 },
      { credentials: { ...CREDENTIALS, clientSecret: '' }, appClientId: APP_CLIENT_ID, onRtmsAction },
    ]) {
      try {
        new RestApi(options);
        expect.unreachable();
      } catch (err) {
        expect(isRtmsError(err, 'INVALID_OPTIONS')).toBe(true);
      }
    }
  });
});

function nthSettings(calls: readonly Call[], index: number): RtmsActionSettings | undefined {
  return calls[index]?.settings;
}
