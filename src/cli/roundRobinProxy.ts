/**
 * A small round-robin HTTP proxy: what a load balancer in front of a fleet does with Zoom's webhooks.
 * Each request goes to the next target; one that refuses or does not answer in time is skipped, as a
 * balancer's health check would. Used by `rtmskit demo --fleet` and the fleet tests.
 */
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A load balancer: each request goes to the next live target; one that refuses is skipped. */
export class RoundRobinProxy {
  private server: Server | undefined;
  private next = 0;
  /** Requests forwarded, per target port. */
  readonly forwarded = new Map<number, number>();

  constructor(private readonly targets: () => number[]) {}

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on(
        'end',
        () =>
          void this.forward(req.method ?? 'POST', req.url ?? '/', req.headers, Buffer.concat(chunks), res),
      );
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private async forward(
    method: string,
    path: string,
    headers: NodeJS.Dict<string | string[]>,
    body: Buffer,
    res: ServerResponse,
  ): Promise<void> {
    const ports = this.targets();
    for (let tried = 0; tried < ports.length; tried++) {
      const port = ports[this.next++ % ports.length] as number;
      try {
        const answer = await send(port, method, path, headers, body);
        this.forwarded.set(port, (this.forwarded.get(port) ?? 0) + 1);
        res.writeHead(answer.status, { 'content-type': answer.type ?? 'application/json' }).end(answer.body);
        return;
      } catch {
        // A dead target: the balancer tries the next one.
      }
    }
    res.writeHead(502).end();
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** An upstream that does not answer in this long is skipped, as a balancer's health check would. */
const UPSTREAM_TIMEOUT_MS = 1_000;

function send(
  port: number,
  method: string,
  path: string,
  headers: NodeJS.Dict<string | string[]>,
  body: Buffer,
): Promise<{ status: number; type: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const { host: _host, connection: _connection, ...rest } = headers;
    const req = request({ host: '127.0.0.1', port, method, path, headers: rest }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 502,
          type: res.headers['content-type'],
          body: Buffer.concat(chunks),
        }),
      );
      res.on('error', reject);
    });
    req.setTimeout(UPSTREAM_TIMEOUT_MS, () => req.destroy(new Error('upstream timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
