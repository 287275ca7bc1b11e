/**
 * A fleet on one machine for tests: `rtmskit serve` processes sharing a real redis-server and a data
 * folder, behind a small round-robin proxy that Zoom's side (the simulator) posts webhooks to, as a
 * load balancer would. Processes are stopped by their own pids.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CliChild,
  childEnv,
  describeChild,
  freePort,
  logLines,
  randomToken,
  serveChild,
} from '../service/helpers.js';

export interface AppCredentials {
  clientId: string;
  clientSecret: string;
  secretToken: string;
}

export function fleetCredentials(): AppCredentials {
  return { clientId: `fleet_${randomToken()}`, clientSecret: randomToken(), secretToken: randomToken() };
}

export interface FleetInstance {
  readonly id: string;
  readonly port: number;
  readonly base: string;
  readonly child: CliChild;
  /** Parsed log lines so far. */
  logs(): Record<string, unknown>[];
  /** Log lines with this message. */
  said(msg: string): Record<string, unknown>[];
}

export interface InstanceSetup {
  id: string;
  redisUrl: string;
  dataDir: string;
  cwd: string;
  app: AppCredentials;
  env?: Record<string, string>;
}

/** Starts one `rtmskit serve` of the fleet and waits until it answers `/healthz`. */
export async function startInstance(setup: InstanceSetup): Promise<FleetInstance> {
  const port = await freePort();
  const env = childEnv({
    ZOOM_CLIENT_ID: setup.app.clientId,
    ZOOM_CLIENT_SECRET: setup.app.clientSecret,
    ZOOM_SECRET_TOKEN: setup.app.secretToken,
    RTMSKIT_STORE_URL: setup.redisUrl,
    RTMSKIT_INSTANCE_ID: setup.id,
    RTMSKIT_ALLOW_LOOPBACK: 'true',
    RTMSKIT_LOG_LEVEL: 'info',
    ...setup.env,
  });
  const child = await serveChild({ cwd: setup.cwd, env, port, args: ['--data-dir', setup.dataDir] });
  const logs = () => logLines(child);
  return {
    id: setup.id,
    port,
    base: `http://127.0.0.1:${port}`,
    child,
    logs,
    said: (msg) => logs().filter((line) => line.msg === msg),
  };
}

/** The streams `/api/streams` of an instance lists for the fleet, with their owners. */
export async function fleetStreams(
  instance: FleetInstance,
): Promise<{ streamId: string; state: string; owner: string | null }[]> {
  const response = await fetch(`${instance.base}/api/streams`);
  if (response.status !== 200) throw new Error(`/api/streams answered ${response.status}`);
  const body = (await response.json()) as {
    recent: { streamId: string; state: string; owner: string | null }[];
  };
  return body.recent;
}

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
    res: import('node:http').ServerResponse,
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

/** For assertion messages: the last lines of every instance. */
export function describeFleet(instances: readonly FleetInstance[]): string {
  return instances.map((i) => `--- ${i.id}\n${describeChild(i.child)}`).join('\n');
}
