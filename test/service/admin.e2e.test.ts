/**
 * The admin routes (`/api/*`, `/metrics`) over real sockets: open to requests made on this machine
 * directly, closed (401, with the reason and the fix) to everything that comes through a tunnel or proxy,
 * even one running on 127.0.0.1 as the README's ngrok/cloudflared setup does, unless it carries the admin
 * token. The tunnel here is a real HTTP proxy on loopback that forwards the way those tools do.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { URL_VALIDATION_EVENT } from '../../src/protocol/products.js';
import {
  bearerToken,
  checkAdmin,
  FORWARDING_HEADERS,
  notDirectLoopback,
  secretsEqual,
} from '../../src/service/adminGuard.js';
import { isLoopbackHost } from '../../src/service/config.js';
import { Cleanups } from '../cleanups.js';
import { postWebhook, startInProcessService } from './helpers.js';

const ADMIN_ROUTES = ['/api/streams', '/api/revocations', '/metrics'];

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function startService(env: Record<string, string> = {}) {
  const running = await startInProcessService(cleanups, { RTMSKIT_LOG_LEVEL: 'silent', ...env });
  return { ...running, secretToken: running.app.secretToken };
}

/**
 * A tunnel's local end, as ngrok and cloudflared run it: listens on loopback, connects to the service from
 * 127.0.0.1, passes the public Host and adds forwarding headers.
 */
async function startTunnel(
  targetPort: number,
  rewrite: (headers: IncomingHttpHeaders) => IncomingHttpHeaders,
) {
  const server: Server = createServer((req, res) => {
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: targetPort,
        method: req.method,
        path: req.url,
        headers: rewrite(req.headers),
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.add(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const ngrokLike = (headers: IncomingHttpHeaders): IncomingHttpHeaders => ({
  ...headers,
  host: 'a1b2-203-0-113-9.ngrok-free.app',
  'x-forwarded-for': '203.0.113.9',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'a1b2-203-0-113-9.ngrok-free.app',
});
const cloudflaredLike = (headers: IncomingHttpHeaders): IncomingHttpHeaders => ({
  ...headers,
  host: 'quiet-lake-1234.trycloudflare.com',
  'cf-connecting-ip': '198.51.100.4',
  'x-forwarded-for': '198.51.100.4',
  'cf-ray': '8f00aa11bb22cc33-AMS',
});
/** A tunnel told to rewrite Host to the local address (`ngrok --host-header=rewrite`). */
const hostRewriting = (headers: IncomingHttpHeaders): IncomingHttpHeaders => ({
  ...headers,
  host: '127.0.0.1',
  'x-forwarded-for': '203.0.113.9',
});

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  const text = await response.text();
  return { status: response.status, text, headers: response.headers };
}

/** GET over a raw request, so that the Host header can be anything. */
function getWithHost(port: number, path: string, host: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { ...headers, host } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

function expectRefusal(answer: { status: number; text: string }, what: string, reason: RegExp, fix: RegExp) {
  expect(answer.status, what).toBe(401);
  const body = JSON.parse(answer.text) as { error: string; message: string; fix: string };
  expect(body.error, what).toBe('UNAUTHORIZED');
  expect(body.message, what).toMatch(reason);
  expect(body.message, what).not.toMatch(/\n/);
  expect(body.fix, what).toMatch(fix);
}

describe('without RTMSKIT_ADMIN_TOKEN', () => {
  it('answers requests made on this machine directly, by 127.0.0.1 or localhost', async () => {
    const { port } = await startService();
    for (const path of ADMIN_ROUTES) {
      expect((await get(`http://127.0.0.1:${port}${path}`)).status, path).toBe(200);
      expect((await getWithHost(port, path, `localhost:${port}`)).status, path).toBe(200);
      expect((await getWithHost(port, path, `[::1]:${port}`)).status, path).toBe(200);
    }
  });

  it('refuses every admin route through an ngrok-, cloudflared- or host-rewriting tunnel on loopback', async () => {
    const { port } = await startService();
    for (const rewrite of [ngrokLike, cloudflaredLike, hostRewriting]) {
      const tunnel = await startTunnel(port, rewrite);
      for (const path of ADMIN_ROUTES) {
        const answer = await get(`${tunnel}${path}`);
        expectRefusal(answer, `${rewrite.name} ${path}`, /this machine directly/, /RTMSKIT_ADMIN_TOKEN/);
        expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(answer.text, 'no stream data in a refusal').not.toMatch(/live|recent/);
      }
    }
  });

  it('refuses a direct loopback request that carries any forwarding header', async () => {
    const { port } = await startService();
    const samples: Record<string, string> = {
      forwarded: 'for=203.0.113.9;proto=https',
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-host': 'example.com',
      'x-real-ip': '203.0.113.9',
      'cf-connecting-ip': '203.0.113.9',
      'true-client-ip': '203.0.113.9',
      via: '1.1 tunnel',
    };
    for (const [name, value] of Object.entries(samples)) {
      expect(FORWARDING_HEADERS).toContain(name);
      const answer = await get(`http://127.0.0.1:${port}/api/streams`, { [name]: value });
      expectRefusal(answer, name, new RegExp(`proxy or tunnel \\(${name} header\\)`), /RTMSKIT_ADMIN_TOKEN/);
    }
  });

  it('refuses a non-loopback Host (DNS rebinding), including look-alikes of 127.0.0.1', async () => {
    const { port } = await startService();
    for (const host of ['evil.example', '127.0.0.1.evil.example', `127.0.0.1.nip.io:${port}`]) {
      const answer = await getWithHost(port, '/metrics', host);
      expectRefusal(answer, `Host ${JSON.stringify(host)}`, /Host header/, /RTMSKIT_ADMIN_TOKEN/);
    }
  });

  it('keeps /healthz and /readyz open through the tunnel, with nothing but ok', async () => {
    const { port } = await startService();
    const tunnel = await startTunnel(port, ngrokLike);
    for (const path of ['/healthz', '/readyz']) {
      const answer = await get(`${tunnel}${path}`);
      expect(answer.status, path).toBe(200);
      expect(JSON.parse(answer.text), path).toEqual({ ok: true });
    }
  });

  it('still takes Zoom’s webhooks through the tunnel (the public route)', async () => {
    const { port, secretToken } = await startService();
    const tunnel = await startTunnel(port, ngrokLike);
    const body = JSON.stringify({
      event: URL_VALIDATION_EVENT,
      payload: { plainToken: 'abc' },
      event_ts: Date.now(),
    });
    const answer = await postWebhook(`${tunnel}/webhook`, body, { secret: secretToken });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ plainToken: 'abc' });
  });

  it('does not open the admin routes to forwarded requests when proxies are trusted', async () => {
    const { port } = await startService({ RTMSKIT_TRUST_PROXY: 'loopback' });
    const tunnel = await startTunnel(port, hostRewriting);
    expectRefusal(
      await get(`${tunnel}/api/streams`),
      'trusted proxy',
      /proxy or tunnel/,
      /RTMSKIT_ADMIN_TOKEN/,
    );
  });
});

describe('with RTMSKIT_ADMIN_TOKEN', () => {
  const ADMIN_TOKEN = 'adm-Token_123.xyz';

  it('requires the token through a tunnel: right token (any case of "Bearer") 200, anything else 401', async () => {
    const { port } = await startService({ RTMSKIT_ADMIN_TOKEN: ADMIN_TOKEN });
    const tunnel = await startTunnel(port, cloudflaredLike);
    for (const path of ADMIN_ROUTES) {
      expectRefusal(await get(`${tunnel}${path}`), `${path} without a token`, /no bearer token/, /Bearer/);
      for (const scheme of ['Bearer', 'bearer', 'BEARER', 'BeArEr']) {
        const answer = await get(`${tunnel}${path}`, { authorization: `${scheme} ${ADMIN_TOKEN}` });
        expect(answer.status, `${path} with ${scheme}`).toBe(200);
      }
      for (const authorization of [
        `Bearer ${ADMIN_TOKEN.slice(0, -1)}`,
        `Bearer ${ADMIN_TOKEN}x`,
        `Bearer ${ADMIN_TOKEN.toUpperCase()}`,
        ADMIN_TOKEN,
        `Basic ${ADMIN_TOKEN}`,
        `Bearer  `,
      ]) {
        const answer = await get(`${tunnel}${path}`, { authorization });
        expect(answer.status, `${path} with ${JSON.stringify(authorization)}`).toBe(401);
      }
    }
  });

  it('still answers direct loopback requests without the token', async () => {
    const { port } = await startService({ RTMSKIT_ADMIN_TOKEN: ADMIN_TOKEN });
    for (const path of ADMIN_ROUTES) expect((await get(`http://127.0.0.1:${port}${path}`)).status).toBe(200);
  });

  it('guards the live routes the same way, taking the token also as ?access_token= (EventSource, WebSocket)', async () => {
    const { port } = await startService({ RTMSKIT_ADMIN_TOKEN: ADMIN_TOKEN });
    const tunnel = await startTunnel(port, ngrokLike);
    expectRefusal(await get(`${tunnel}/api/events`), 'SSE through a tunnel', /no bearer token/, /Bearer/);
    expect((await get(`${tunnel}/api/events?access_token=wrong`)).status).toBe(401);
    // A stream of events has no end: only the status and the content type are read.
    const opened = await fetch(`${tunnel}/api/events?access_token=${ADMIN_TOKEN}`);
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await opened.body?.cancel();
    // The WebSocket upgrade: refused without the token, even on loopback with a forwarding header.
    const upgrade = await new Promise<number>((resolve) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        path: '/api/streams/nope/live',
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          'x-forwarded-for': '203.0.113.9',
        },
      });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('upgrade', () => resolve(101));
      req.on('error', () => resolve(0));
      req.end();
    });
    expect(upgrade).toBe(401);
  });
});

describe('the guard’s rules', () => {
  it('needs a loopback peer: a request from another address is refused whatever its Host', () => {
    const headers = { host: '127.0.0.1:8080' };
    expect(notDirectLoopback({ peerAddress: '203.0.113.7', headers })).toMatch(/not come from this machine/);
    expect(notDirectLoopback({ peerAddress: undefined, headers })).toMatch(/not come from this machine/);
    expect(notDirectLoopback({ peerAddress: '::ffff:127.0.0.1', headers })).toBeUndefined();
    expect(notDirectLoopback({ peerAddress: '::1', headers: { host: 'localhost' } })).toBeUndefined();
    expect(notDirectLoopback({ peerAddress: '127.0.0.1', headers: {} })).toMatch(/Host header/);
    const refusal = checkAdmin({ peerAddress: '10.1.2.3', headers }, undefined);
    expect(refusal?.fix).toMatch(/RTMSKIT_ADMIN_TOKEN/);
    expect(
      checkAdmin({ peerAddress: '10.1.2.3', headers: { ...headers, authorization: 'bearer t0k' } }, 't0k'),
    ).toBe(undefined);
  });

  it('reads bearer tokens case-insensitively on the scheme only', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('BEARER\tabc ')).toBe('abc');
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken('Token abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('compares tokens of any length without throwing', () => {
    expect(secretsEqual('abc', 'abc')).toBe(true);
    expect(secretsEqual('abc', 'abd')).toBe(false);
    expect(secretsEqual('abc', 'abcd')).toBe(false);
    expect(secretsEqual('', 'x')).toBe(false);
  });

  it('treats only real loopback names and addresses as loopback', () => {
    for (const host of [
      'localhost',
      'LOCALHOST',
      '127.0.0.1',
      '127.255.255.254',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
      '0:0:0:0:0:0:0:1',
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of [
      '127.0.0.1.evil.example',
      '127.evil',
      '127.1',
      '128.0.0.1',
      '0.0.0.0',
      '::',
      '::ffff:10.0.0.1',
      'localhost.evil',
      '',
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});
