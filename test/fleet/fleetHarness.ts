/**
 * A fleet on one machine for tests: `rtmskit serve` processes sharing a real redis-server and a data
 * folder, behind a small round-robin proxy that Zoom's side (the simulator) posts webhooks to, as a
 * load balancer would. Processes are stopped by their own pids.
 */
export { RoundRobinProxy } from '../../src/cli/roundRobinProxy.js';

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

/** For assertion messages: the last lines of every instance. */
export function describeFleet(instances: readonly FleetInstance[]): string {
  return instances.map((i) => `--- ${i.id}\n${describeChild(i.child)}`).join('\n');
}
