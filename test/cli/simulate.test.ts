/**
 * `rtmskit simulate` as a real child process: it reads `.env` as `rtmskit serve` does (so the two started
 * in one folder agree on credentials), and it stops on a signal even while Zoom-style retries are pending.
 * `rtmskit serve` logs where each recording went, and `rtmskit doctor` next to it knows the port is its.
 */

import { access, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/doctor/checks.js';
import { StopReason } from '../../src/protocol/enums.js';
import type { SimulatorReport } from '../../src/simulator/report.js';
import { Cleanups } from '../cleanups.js';
import {
  childEnv,
  describeChild,
  freePort,
  logLines,
  randomToken,
  serveChild,
  runCli as spawnCli,
  waitFor,
} from '../service/helpers.js';
import { runCli } from './runCli.js';

const cleanups = new Cleanups();

afterEach(() => cleanups.run());

const tempDir = () => cleanups.tempDir('rtmskit-simulate-');

/** A webhook endpoint that answers 500 to everything, so Zoom's retry schedule (minutes apart) is pending. */
async function failingEndpoint(): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => res.writeHead(500).end('down'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.add(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/webhook`, requests: () => requests };
}

async function readReport(path: string): Promise<SimulatorReport> {
  return JSON.parse(await readFile(path, 'utf8')) as SimulatorReport;
}

describe('serve and simulate side by side in one folder', () => {
  it('share the .env credentials: webhooks answered 200, the stream connects, serve logs its folder', async () => {
    const [cwd, port] = await Promise.all([tempDir(), freePort()]);
    const app = { id: `side_${randomToken()}`, secret: randomToken(), token: randomToken() };
    await writeFile(
      join(cwd, '.env'),
      [
        `ZOOM_CLIENT_ID=${app.id}`,
        `ZOOM_CLIENT_SECRET=${app.secret}`,
        `ZOOM_SECRET_TOKEN=${app.token}`,
        'RTMSKIT_ALLOW_LOOPBACK=1',
        // For doctor, run in this folder later: it must look at the port serve holds.
        `RTMSKIT_PORT=${port}`,
        '',
      ].join('\n'),
    );
    const serve = await serveChild({ cwd, env: childEnv({}), port });
    cleanups.add(() => serve.kill());

    const simulate = spawnCli(
      [
        'simulate',
        '--webhook-url',
        `http://127.0.0.1:${port}/webhook`,
        '--duration',
        '3s',
        '--report',
        'report.json',
        '--quiet',
      ],
      cwd,
      childEnv({}),
    );
    cleanups.add(() => simulate.kill());
    expect(await simulate.exited, describeChild(simulate)).toBe(0);
    // The simulator took the credentials from .env instead of generating its own.
    expect(simulate.stdout()).toContain(`  client id      ${app.id}\n`);

    const report = await readReport(join(cwd, 'report.json'));
    expect(report.webhooks.map((w) => w.event)).toEqual([
      'endpoint.url_validation',
      'meeting.rtms_started',
      'meeting.rtms_stopped',
    ]);
    expect(report.webhooks.map((w) => w.status)).toEqual([200, 200, 200]);
    expect(report.urlValidation?.ok).toBe(true);
    const [stream] = report.streams;
    expect(report.streams).toHaveLength(1);
    expect(stream?.handshakes.signaling.ok).toBe(1);
    expect(stream?.framesSent.audio).toBeGreaterThan(0);
    expect(stream?.endReason).toBe(StopReason.MEETING_ENDED);

    // One line per stream when its recording is finished: the stream, its folder, why it ended.
    const finished = await waitFor(() => {
      const lines = logLines(serve).filter((l) => l.msg === 'recording finished');
      return lines.length > 0 ? lines : undefined;
    }, 'serve to log the finished recording');
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({
      level: 30,
      stream: stream?.streamId,
      reason: 'stopped',
      stopReason: 'MEETING_ENDED',
    });
    const dir = finished[0]?.dir as string;
    expect(dir.startsWith(join(cwd, 'data', 'recordings'))).toBe(true);
    expect(dir.endsWith(stream?.streamId ?? '?')).toBe(true);
    await access(join(dir, 'manifest.json'));

    // doctor in the same folder: the port is held, by rtmskit itself.
    const doctor = await runCli(['doctor', '--json'], { cwd });
    const results = JSON.parse(doctor.stdout) as CheckResult[];
    expect(results.find((r) => r.name === 'port')).toMatchObject({
      status: 'warn',
      detail: `127.0.0.1:${port} is in use by a running rtmskit service`,
    });
    expect(results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(doctor.code).toBe(0);
  });

  it('--dotenv names the file the credentials come from', async () => {
    const cwd = await tempDir();
    await writeFile(join(cwd, '.env'), 'ZOOM_CLIENT_ID=fromDefaultFile\n');
    await writeFile(join(cwd, 'other.env'), 'ZOOM_CLIENT_ID=fromOtherFile\nZOOM_SECRET_TOKEN=otherToken\n');
    const run = await runCli(['simulate', '--dotenv', 'other.env', '--duration', '100ms', '--quiet'], {
      cwd,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('  client id      fromOtherFile\n');
    expect(run.stdout).toContain('  secret token   otherToken\n');
  });
});

describe('rtmskit simulate and signals', () => {
  it('SIGTERM with retries pending: exits within 1 s and writes the report', async () => {
    const [cwd, endpoint] = await Promise.all([tempDir(), failingEndpoint()]);
    const simulate = spawnCli(
      ['simulate', '--webhook-url', endpoint.url, '--duration', '60s', '--report', 'report.json', '--quiet'],
      cwd,
      childEnv({}),
    );
    cleanups.add(() => simulate.kill());
    // URL validation and rtms_started were answered 500: the next attempt is minutes away.
    await waitFor(() => endpoint.requests() >= 2, 'the rtms_started webhook', 15_000);
    const signalled = performance.now();
    simulate.child.kill('SIGTERM');
    const code = await simulate.exited;
    const tookMs = performance.now() - signalled;
    expect(code, describeChild(simulate)).toBe(0);
    expect(tookMs).toBeLessThan(1_000);

    const report = await readReport(join(cwd, 'report.json'));
    expect(report.streams).toHaveLength(1);
    expect(report.streams[0]?.endReason).toBe(StopReason.HOST_TRIGGERED);
    const started = report.webhooks.filter((w) => w.event === 'meeting.rtms_started');
    expect(started.map((w) => [w.attempt, w.status, w.delivered])).toEqual([[0, 500, false]]);
    expect(simulate.stdout()).toContain('report written to report.json');
  });

  it('a second signal exits at once with 130', async () => {
    const [cwd, endpoint] = await Promise.all([tempDir(), failingEndpoint()]);
    const simulate = spawnCli(
      ['simulate', '--webhook-url', endpoint.url, '--duration', '60s', '--report', 'report.json', '--quiet'],
      cwd,
      childEnv({}),
    );
    cleanups.add(() => simulate.kill());
    await waitFor(() => endpoint.requests() >= 2, 'the rtms_started webhook', 15_000);
    simulate.child.kill('SIGTERM');
    // The first signal's shutdown gives the rtms_stopped webhook a moment: the second lands inside it.
    await waitFor(() => simulate.stdout().includes('SIGTERM: stopping'), 'the first signal to be taken');
    simulate.child.kill('SIGTERM');
    expect(await simulate.exited, describeChild(simulate)).toBe(130);
    expect(simulate.stdout()).toContain('SIGTERM again: exiting now');
    await expect(access(join(cwd, 'report.json'))).rejects.toThrow();
  });
});
