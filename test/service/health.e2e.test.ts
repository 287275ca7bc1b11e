/**
 * Health that tells the truth: the service refuses to start without a writable recordings folder,
 * `/readyz` is not ready (with a reason code only) while recordings cannot be written, the webhook
 * answer time is measured from the request's arrival, and metric labels never come from a request.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RTMS_ERROR_CODES, RtmsError } from '../../src/protocol/errors.js';
import { SINK_FAILURE_WINDOW_MS } from '../../src/service/readiness.js';
import { Simulator } from '../../src/simulator/index.js';
import { Cleanups } from '../cleanups.js';
import { sign } from '../webhook/helpers.js';
import {
  childEnv,
  getText,
  metricValue,
  postWebhook,
  randomToken,
  runCli,
  sleep,
  startInProcessService,
  waitFor,
} from './helpers.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function readyz(base: string): Promise<{ status: number; body: unknown }> {
  const answer = await getText(`${base}/readyz`);
  return { status: answer.status, body: JSON.parse(answer.body) };
}

describe('recordings folder', () => {
  it('refuses to start when recordings/ cannot be written, naming the path and the fix', async () => {
    const cwd = await cleanups.tempDir('rtmskit-health-');
    await mkdir(join(cwd, 'data'));
    // A writable data folder whose recordings/ cannot be written (a file is in the way).
    await writeFile(join(cwd, 'data', 'recordings'), 'not a folder');
    let error: unknown;
    try {
      await startInProcessService(cleanups, {}, { cwd });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RtmsError);
    const rtms = error as RtmsError;
    expect(rtms.code).toBe(RTMS_ERROR_CODES.CONFIG_INVALID);
    expect(rtms.message).toContain(join(cwd, 'data', 'recordings'));
    expect(rtms.fix).toMatch(/RTMSKIT_DATA_DIR/);
  });

  it('rtmskit serve exits 2 with one line naming the folder', async () => {
    const cwd = await cleanups.tempDir('rtmskit-health-');
    await mkdir(join(cwd, 'data'));
    await writeFile(join(cwd, 'data', 'recordings'), 'not a folder');
    const child = runCli(
      ['serve', '--port', '0', '--data-dir', 'data'],
      cwd,
      childEnv({ ZOOM_CLIENT_ID: 'a', ZOOM_CLIENT_SECRET: 'b', ZOOM_SECRET_TOKEN: 'c' }),
    );
    cleanups.add(() => child.kill());
    expect(await child.exited).toBe(2);
    const lines = child.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/recordings cannot be written to .*recordings/);
  });

  it('/readyz is not ready while recordings cannot be written, and ready again once they can', async () => {
    let offsetMs = 0;
    const running = await startInProcessService(cleanups, {}, { now: () => Date.now() + offsetMs });
    expect(await readyz(running.base)).toEqual({ status: 200, body: { ok: true } });
    const recordings = join(running.config.dataDir, 'recordings');

    // The folder goes away under the running service (a full or unmounted volume, a bad cleanup job).
    await rename(recordings, `${recordings}.gone`);
    await writeFile(recordings, 'not a folder');
    const sim = await Simulator.start({
      webhookUrl: `${running.base}/webhook`,
      credentials: running.app,
      timeScale: 8,
      participants: 2,
      durationMs: 600_000,
    });
    cleanups.add(() => sim.close());
    const stream = sim.startStream();
    await waitFor(
      () => running.logs().some((l) => l.msg === 'recording write failed'),
      'the recording of the new stream to fail',
    );
    const down = await waitFor(async () => {
      const answer = await readyz(running.base);
      return answer.status === 503 ? answer : undefined;
    }, '/readyz to be not ready');
    expect(down.body).toEqual({ ok: false, reason: 'RECORDINGS_UNWRITABLE' });
    expect(running.logs().find((l) => l.msg === 'not ready')).toMatchObject({
      reason: 'RECORDINGS_UNWRITABLE',
    });

    // The folder is back: writes work, but the failure is recent.
    await rm(recordings);
    await rename(`${recordings}.gone`, recordings);
    const recent = await waitFor(async () => {
      const answer = await readyz(running.base);
      return (answer.body as { reason?: string }).reason === 'RECORDING_WRITES_FAILING' ? answer : undefined;
    }, '/readyz to name the recent write failure');
    expect(recent).toEqual({ status: 503, body: { ok: false, reason: 'RECORDING_WRITES_FAILING' } });

    // While that stream lives its recording keeps dropping frames: not ready. Once it ended, and the
    // window since the last drop has passed, ready again.
    sim.fault(stream.streamId, 'stop:6');
    await waitFor(() => running.service.manager.streams().length === 0, 'the stream to end');
    expect((await readyz(running.base)).status).toBe(503);
    offsetMs = SINK_FAILURE_WINDOW_MS + 1_000;
    expect(await readyz(running.base)).toEqual({ status: 200, body: { ok: true } });
    expect(running.logs().some((l) => l.msg === 'ready again')).toBe(true);
  });
});

describe('webhook metrics', () => {
  it('time a webhook from its arrival, slow body upload included', async () => {
    const running = await startInProcessService(cleanups);
    const body = JSON.stringify({
      event: 'endpoint.url_validation',
      payload: { plainToken: 'slow' },
      event_ts: 1,
    });
    const ts = Math.floor(Date.now() / 1000);
    const socket = connect(running.port, '127.0.0.1');
    cleanups.add(() => socket.destroy());
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nx-zm-request-timestamp: ${ts}\r\n` +
        `x-zm-signature: ${sign(running.app.secretToken, ts, body)}\r\n\r\n`,
    );
    // The body follows 400 ms after the headers, as on a slow link.
    await sleep(400);
    socket.write(body);
    await waitFor(() => answer.includes('encryptedToken'), 'the answer');
    const metrics = (await getText(`${running.base}/metrics`)).body;
    expect(metricValue(metrics, 'rtmskit_webhook_ack_seconds_count')).toBe(1);
    expect(metricValue(metrics, 'rtmskit_webhook_ack_seconds_sum')).toBeGreaterThanOrEqual(0.39);
    expect(metricValue(metrics, 'rtmskit_webhook_ack_seconds_bucket', { le: '0.25' })).toBe(0);
    expect(metricValue(metrics, 'rtmskit_webhook_ack_seconds_bucket', { le: '1' })).toBe(1);
  });

  it('label unknown event names "other", so no request makes a long /metrics line', async () => {
    const running = await startInProcessService(cleanups);
    const huge = `x${'A'.repeat(100_000)}.rtms_started`;
    for (const event of [huge, 'meeting.something_else', 'meeting.rtms_started']) {
      const body = JSON.stringify({
        event,
        event_ts: Date.now(),
        payload: { rtms_stream_id: randomToken() },
      });
      await postWebhook(`${running.base}/webhook`, body, { secret: running.app.secretToken });
    }
    const metrics = (await getText(`${running.base}/metrics`)).body;
    const longest = Math.max(...metrics.split('\n').map((line) => line.length));
    expect(longest).toBeLessThan(300);
    expect(metricValue(metrics, 'rtmskit_webhooks_total', { event: 'other' })).toBe(2);
    expect(metricValue(metrics, 'rtmskit_webhooks_total', { event: 'meeting.rtms_started' })).toBe(1);
    // The log line of the long name is cut too.
    const logged = running.logs().filter((l) => String(l.msg).startsWith('webhook'));
    for (const line of logged) expect(JSON.stringify(line).length).toBeLessThan(2_000);
  });
});
