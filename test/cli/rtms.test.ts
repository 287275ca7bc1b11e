/**
 * `rtmskit rtms …` and `rtmskit doctor --json`, spawned against the simulator's REST and OAuth.
 */
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/doctor/checks.js';
import { Simulator } from '../../src/simulator/index.js';
import { Cleanups } from '../cleanups.js';
import { runCli } from './runCli.js';

const APP = {
  clientId: 'appClientId0001',
  clientSecret: 'appClientSecret-0001',
  secretToken: 'webhookSecretToken-0001',
};
const ACCOUNT_ID = 'sim-account';
/** The simulator's S2S credentials default to the app's, so these are enough for REST control. */
const REST_ENV = {
  ZOOM_ACCOUNT_ID: ACCOUNT_ID,
  ZOOM_CLIENT_ID: APP.clientId,
  ZOOM_CLIENT_SECRET: APP.clientSecret,
};

const cleanups = new Cleanups();

afterEach(() => cleanups.run());

const tempDir = () => cleanups.tempDir('rtmskit-cli-');

async function startSimulator(): Promise<Simulator> {
  const sim = await Simulator.start({ credentials: { ...APP, accountId: ACCOUNT_ID }, streams: 0 });
  cleanups.add(() => sim.close());
  return sim;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = address !== null && typeof address !== 'string' ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

describe('rtmskit rtms (spawned)', () => {
  it('starts RTMS in a meeting: exit 0, accepted, and the simulator starts the stream', async () => {
    const [sim, cwd] = await Promise.all([startSimulator(), tempDir()]);
    const started: string[] = [];
    sim.on('streamStarted', (info) => started.push(info.meetingId));
    const run = await runCli(
      ['rtms', 'start', '85746065432', '--api-base', sim.url, '--oauth-base', sim.url],
      {
        cwd,
        env: REST_ENV,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('rtms start accepted for meeting 85746065432 (HTTP 202)');
    expect(started).toEqual(['85746065432']);
  });

  it('stop for a meeting that is not live: exit 1 and a one-line explanation', async () => {
    const [sim, cwd] = await Promise.all([startSimulator(), tempDir()]);
    const run = await runCli(['rtms', 'stop', '999', '--api-base', sim.url, '--oauth-base', sim.url], {
      cwd,
      env: REST_ENV,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^rtmskit: rtms stop for meeting 999 refused \(HTTP 404, code 3001/);
    expect(lines[0]).toContain('meeting not found');
  });

  it('without ZOOM_ACCOUNT_ID: exit 2 naming it', async () => {
    const cwd = await tempDir();
    const { ZOOM_ACCOUNT_ID: _omitted, ...env } = REST_ENV;
    // Nothing listens on port 9: the command must stop before any request.
    const run = await runCli(
      [
        'rtms',
        'start',
        '85746065432',
        '--api-base',
        'http://127.0.0.1:9',
        '--oauth-base',
        'http://127.0.0.1:9',
      ],
      { cwd, env },
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^rtmskit: missing ZOOM_ACCOUNT_ID:/);
    expect(run.stderr).not.toContain('ZOOM_CLIENT_ID,');
  });
});

describe('rtmskit doctor --json (spawned)', () => {
  it('prints JSON with a REST OAuth pass and exits 0', async () => {
    const [sim, cwd, port] = await Promise.all([startSimulator(), tempDir(), freePort()]);
    await writeFile(
      join(cwd, '.env'),
      [
        `ZOOM_CLIENT_ID=${APP.clientId}`,
        `ZOOM_CLIENT_SECRET=${APP.clientSecret}`,
        `ZOOM_SECRET_TOKEN=${APP.secretToken}`,
        `ZOOM_ACCOUNT_ID=${ACCOUNT_ID}`,
        '',
      ].join('\n'),
    );
    const run = await runCli(['doctor', '--json', '--oauth-base', sim.url], {
      cwd,
      env: { RTMSKIT_PORT: String(port), RTMSKIT_DATA_DIR: join(cwd, 'data') },
    });
    expect(run.stderr).toBe('');
    const results = JSON.parse(run.stdout) as CheckResult[];
    expect(results.find((r) => r.name === 'REST OAuth')).toEqual({
      name: 'REST OAuth',
      status: 'pass',
      detail: `token issued for account ${ACCOUNT_ID}`,
    });
    expect(results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(results.find((r) => r.name === 'port')?.detail).toBe(`127.0.0.1:${port} is free`);
    expect(results.find((r) => r.name === 'data folder')?.detail).toBe(
      `${join(cwd, 'data')} is writable (recordings/ will be made there)`,
    );
    expect(run.code).toBe(0);
  });
});
