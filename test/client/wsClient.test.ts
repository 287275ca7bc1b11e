import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { WsClient, type WsClientOptions } from '../../src/client/ws/WsClient.js';
import { generateCertificate } from '../../src/simulator/tls.js';
import { Cleanups } from '../cleanups.js';

interface Closed {
  code: number;
  reason: string;
  error: Error | undefined;
}

/** A client with everything it reports collected, and promises for open and close. */
function connect(url: string, options: WsClientOptions = {}) {
  const messages: { text: string; isBinary: boolean }[] = [];
  let closeCalls = 0;
  let resolveOpen!: () => void;
  let resolveClosed!: (c: Closed) => void;
  const opened = new Promise<void>((r) => {
    resolveOpen = r;
  });
  const closed = new Promise<Closed>((r) => {
    resolveClosed = r;
  });
  const client = new WsClient(url, options, {
    open: () => resolveOpen(),
    message: (data, start, end, isBinary) =>
      messages.push({ text: data.toString('utf8', start, end), isBinary }),
    close: (code, reason, error) => {
      closeCalls++;
      resolveClosed({ code, reason, error });
    },
  });
  return { client, messages, opened, closed, closeCalls: () => closeCalls };
}

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function listen<T extends HttpServer | NetServer>(server: T): Promise<{ server: T; port: number }> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.add(() => {
    (server as NetServer & { closeAllConnections?: () => void }).closeAllConnections?.();
    return new Promise((r) => server.close(r));
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/** A `ws` server; resolves each connection with the request URL. */
async function wsServer(): Promise<{
  url: string;
  wss: WebSocketServer;
  next: () => Promise<{ ws: WebSocket; path: string }>;
}> {
  const { server, port } = await listen(createHttpServer());
  const wss = new WebSocketServer({ server });
  cleanups.add(() => {
    for (const c of wss.clients) c.terminate();
    wss.close();
  });
  return {
    url: `ws://127.0.0.1:${port}`,
    wss,
    next: () =>
      new Promise((resolve) => wss.once('connection', (ws, req) => resolve({ ws, path: req.url ?? '' }))),
  };
}

/**
 * A raw TCP server that answers the upgrade request with `reply(key)`, then writes `after`. With
 * `keepOpen` it never closes its side, even after the client's FIN.
 */
async function rawServer(reply: (key: string) => string, after?: Buffer, keepOpen = false): Promise<string> {
  const sockets = new Set<Socket>();
  const { port } = await listen(
    createNetServer({ allowHalfOpen: keepOpen }, (socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      let head = '';
      socket.on('data', (d) => {
        head += d.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        const key = /sec-websocket-key: (.+)\r\n/i.exec(head)?.[1] ?? '';
        socket.write(reply(key));
        if (after) socket.write(after);
      });
    }),
  );
  cleanups.add(() => {
    for (const s of sockets) s.destroy();
  });
  return `ws://127.0.0.1:${port}/x`;
}

/** A client connected to a fresh `ws` server, with the server's side of the connection. */
async function openPair(path = '') {
  const server = await wsServer();
  const incoming = server.next();
  const c = connect(`${server.url}${path}`);
  await c.opened;
  return { c, ...(await incoming) };
}

/** A 101 answer to an upgrade, with the given accept value and extra header lines. */
function switchingProtocols(accept: string, extraHeaders = ''): string {
  return (
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${accept}\r\n${extraHeaders}\r\n`
  );
}

function acceptOf(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

describe('WsClient against a ws server', () => {
  it('opens with path and query, sends text, receives text and binary in order', async () => {
    const { c, ws, path } = await openPair('/media/audio?x=1');
    expect(path).toBe('/media/audio?x=1');
    const received = new Promise<{ data: string; isBinary: boolean }>((resolve) =>
      ws.once('message', (data, isBinary) => resolve({ data: data.toString(), isBinary })),
    );
    c.client.send('{"msg_type":13,"timestamp":5}');
    expect(await received).toEqual({ data: '{"msg_type":13,"timestamp":5}', isBinary: false });
    ws.send('one');
    ws.send(Buffer.from('two'), { binary: true });
    for (let i = 0; i < 1_000; i++) ws.send(`m${i}`);
    await expect.poll(() => c.messages.length).toBe(1_002);
    expect(c.messages[0]).toEqual({ text: 'one', isBinary: false });
    expect(c.messages[1]).toEqual({ text: 'two', isBinary: true });
    expect(c.messages.slice(2).map((m) => m.text)).toEqual(Array.from({ length: 1_000 }, (_, i) => `m${i}`));
  });

  it('receives a 3 MB message and a fragmented one intact', async () => {
    const { c, ws } = await openPair();
    const big = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = 97 + (i % 26);
    ws.send(big.toString('latin1'));
    ws.send('frag', { fin: false });
    ws.send('ment', { fin: true });
    await expect.poll(() => c.messages.length, { timeout: 5_000 }).toBe(2);
    expect(c.messages[0]?.text).toBe(big.toString('latin1'));
    expect(c.messages[1]).toEqual({ text: 'fragment', isBinary: false });
  });

  it('answers a ping with a pong carrying the same payload', async () => {
    const { ws } = await openPair();
    const pong = once(ws, 'pong');
    ws.ping(Buffer.from('are you there'));
    const [payload] = (await pong) as [Buffer];
    expect(payload.toString()).toBe('are you there');
  });

  it('a server close frame gives its code and reason, and the code is echoed back', async () => {
    const { c, ws } = await openPair();
    const serverSaw = once(ws, 'close');
    ws.close(4001, 'moved');
    expect(await c.closed).toEqual({ code: 4001, reason: 'moved', error: undefined });
    const [code] = (await serverSaw) as [number];
    expect(code).toBe(4001);
    expect(c.client.readyState).toBe('closed');
  });

  it('close() sends a close frame the server sees, then closes with the server answer', async () => {
    const { c, ws } = await openPair();
    const serverSaw = once(ws, 'close');
    c.client.close(1000, 'done');
    const [code, reason] = (await serverSaw) as [number, Buffer];
    expect([code, reason.toString()]).toEqual([1000, 'done']);
    expect((await c.closed).code).toBe(1000);
    c.client.close();
    c.client.terminate();
    await new Promise((r) => setTimeout(r, 50));
    expect(c.closeCalls()).toBe(1);
  });

  it('an abrupt drop by the server is 1006', async () => {
    const { c, ws } = await openPair();
    ws.terminate();
    const closed = await c.closed;
    expect(closed.code).toBe(1006);
  });

  it('terminate() closes at once with 1006, once', async () => {
    const { c, ws } = await openPair();
    const serverSaw = once(ws, 'close');
    c.client.terminate();
    c.client.terminate();
    expect((await c.closed).code).toBe(1006);
    await serverSaw;
    expect(c.closeCalls()).toBe(1);
    c.client.send('ignored');
  });
});

describe('WsClient upgrade failures', () => {
  it('a refused upgrade (HTTP 403) closes with the status in the error', async () => {
    const { server, port } = await listen(createHttpServer());
    server.on('upgrade', (_req, socket) => {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
    });
    const c = connect(`ws://127.0.0.1:${port}/`);
    const closed = await c.closed;
    expect(closed.code).toBe(1006);
    expect(closed.error?.message).toBe('Unexpected server response: 403');
  });

  it('a wrong Sec-WebSocket-Accept is refused', async () => {
    const url = await rawServer(() => switchingProtocols('bm90IHRoZSByaWdodCBvbmU='));
    const c = connect(url);
    expect((await c.closed).error?.message).toBe('Invalid Sec-WebSocket-Accept header');
  });

  it('an extension the client did not offer is refused', async () => {
    const url = await rawServer((key) =>
      switchingProtocols(acceptOf(key), 'Sec-WebSocket-Extensions: permessage-deflate\r\n'),
    );
    const c = connect(url);
    expect((await c.closed).error?.message).toMatch(/extension/);
  });

  it('frames sent with the 101 response are read; a masked server frame is a protocol error', async () => {
    const hello = Buffer.from([0x81, 0x02, 0x68, 0x69]);
    const masked = Buffer.from([0x81, 0x81, 1, 2, 3, 4, 0x61 ^ 1]);
    const url = await rawServer((key) => switchingProtocols(acceptOf(key)), Buffer.concat([hello, masked]));
    const c = connect(url);
    await c.opened;
    const closed = await c.closed;
    expect(c.messages).toEqual([{ text: 'hi', isBinary: false }]);
    expect(closed.code).toBe(1006);
    expect(closed.error?.message).toMatch(/masked/);
  });

  it('a server that sends a close frame but keeps TCP open is dropped after the close timeout', async () => {
    const closeFrame = Buffer.from([0x88, 0x05, 0x0f, 0xa1, 0x62, 0x79, 0x65]);
    const url = await rawServer((key) => switchingProtocols(acceptOf(key)), closeFrame, true);
    const c = connect(url, { closeTimeoutMs: 200 });
    await c.opened;
    const started = performance.now();
    // The raw server never answers our FIN: only the timeout can close the socket.
    expect(await c.closed).toEqual({ code: 4001, reason: 'bye', error: undefined });
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('a closed port closes with 1006 and ECONNREFUSED', async () => {
    const { server, port } = await listen(createNetServer());
    await new Promise((r) => server.close(r));
    const c = connect(`ws://127.0.0.1:${port}/`);
    const closed = await c.closed;
    expect(closed.code).toBe(1006);
    expect((closed.error as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNREFUSED');
  });

  it('refuses a URL that is not ws:// or wss://', () => {
    expect(() => connect('http://127.0.0.1:1/')).toThrow(/ws:\/\/ or wss:\/\//);
  });
});

describe('WsClient over TLS', () => {
  it('connects to wss:// with the given CA, and refuses the same server without it', async () => {
    const { key, cert } = await generateCertificate('127.0.0.1');
    const { server, port } = await listen(createHttpsServer({ key, cert }));
    const wss = new WebSocketServer({ server });
    cleanups.add(() => {
      for (const c of wss.clients) c.terminate();
      wss.close();
    });
    wss.on('connection', (ws) => ws.send('secret hello'));
    const trusted = connect(`wss://127.0.0.1:${port}/signaling`, { ca: cert });
    await trusted.opened;
    await expect.poll(() => trusted.messages).toEqual([{ text: 'secret hello', isBinary: false }]);
    trusted.client.close();
    await trusted.closed;

    const untrusted = connect(`wss://127.0.0.1:${port}/signaling`);
    const closed = await untrusted.closed;
    expect(closed.code).toBe(1006);
    expect(closed.error?.message).toMatch(/self[- ]signed/i);
  });
});
