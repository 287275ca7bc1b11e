/**
 * Outbound webhooks of `rtmskit serve` against a real HTTP receiver on loopback: while the receiver is
 * down the notifications wait in the store's outbox, a restart of the service on the same store loses
 * none of them, and once the receiver answers (after a few 503s of its own) it gets every one, signed,
 * in the stream's order, each once by id.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type NotificationBody, verifyNotification } from '../../src/outputs/notify/index.js';
import { notifyRetryPolicy } from '../../src/outputs/notify/retryPolicy.js';
import { Simulator } from '../../src/simulator/index.js';
import { Cleanups } from '../cleanups.js';
import { freePort, metricValue, startInProcessService, waitFor } from '../service/helpers.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

const SECRET = 'notify-secret-for-tests-0123456789';
/** Retries within a second rather than minutes, so an outage of seconds is over in seconds. */
const TUNING = { retryPolicy: notifyRetryPolicy({ initialMs: 200, maxMs: 1_000 }), pollIntervalMs: 200 };

interface Received {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  url: string;
}

/** A receiver on `port` that answers the first `failFirst` requests 503, then 200. */
async function startReceiver(port: number, failFirst: number) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const status = received.length < failFirst ? 503 : 200;
      received.push({
        status,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        url: req.url ?? '',
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  cleanups.add(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return received;
}

describe('outbound webhooks', () => {
  it('survive a receiver outage and a service restart: every notification once by id, signed, in order', async () => {
    const port = await freePort();
    const env = {
      RTMSKIT_NOTIFY_URL: `http://127.0.0.1:${port}/hooks/rtms?tenant=t1`,
      RTMSKIT_NOTIFY_SECRET: SECRET,
      RTMSKIT_NOTIFY_EVENTS: 'all',
    };
    const cwd = await cleanups.tempDir('rtmskit-notify-');
    const first = await startInProcessService(cleanups, env, { cwd, notifyTuning: TUNING });
    const sim = await Simulator.start({
      webhookUrl: `${first.base}/webhook`,
      credentials: first.app,
      timeScale: 4,
    });
    cleanups.add(() => sim.close());

    // The receiver is not there: the stream runs and ends regardless.
    const info = sim.startStream({ participants: 2, durationMs: 20_000 });
    await sim.whenIdle();
    await waitFor(() => first.finalized.length === 1, 'the recording to finish', 10_000);
    const transcripts = sim.stats().streams[0]?.framesSent.transcript ?? 0;
    expect(transcripts).toBeGreaterThan(3);
    const expected = transcripts + 3;
    const notifier = first.service.notifier;
    expect(notifier).toBeDefined();
    await waitFor(() => notifier?.pending === expected, `${expected} notifications in the outbox`, 10_000);
    const refused = first.logs().filter((l) => l.msg === 'notification failed: retrying');
    expect(refused.length).toBeGreaterThan(0);
    expect(String(refused[0]?.error)).toMatch(/ECONNREFUSED/);
    // The secret never reaches a log line.
    expect(JSON.stringify(first.logs())).not.toContain(SECRET);
    await first.service.shutdown();

    // The receiver comes back, with trouble of its own at first; a new process takes the outbox over.
    const received = await startReceiver(port, 2);
    const second = await startInProcessService(cleanups, env, { cwd, notifyTuning: TUNING });
    const delivered = () => received.filter((r) => r.status === 200);
    await waitFor(() => delivered().length >= expected, `${expected} notifications delivered`, 20_000);
    // Nothing more comes: every notification went once.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(delivered()).toHaveLength(expected);

    const bodies: NotificationBody[] = [];
    for (const request of received) {
      expect(request.url).toBe('/hooks/rtms?tenant=t1');
      expect(request.headers['content-type']).toBe('application/json');
      const checked = verifyNotification({ secret: SECRET, headers: request.headers, body: request.body });
      if (!checked.ok) throw checked.error;
      if (request.status === 200) bodies.push(checked.notification);
    }
    // The two refused attempts were of the first notification, tried again until it went.
    expect(received.slice(0, 3).map((r) => r.headers['x-rtmskit-event-id'])).toEqual(
      Array(3).fill(bodies[0]?.id),
    );
    expect(new Set(bodies.map((b) => b.id)).size).toBe(expected);
    expect(bodies.map((b) => b.type)).toEqual([
      'stream.started',
      ...Array(transcripts).fill('transcript.segment'),
      'stream.ended',
      'recording.completed',
    ]);
    for (const body of bodies) {
      expect(body.stream.streamId).toBe(info.streamId);
      expect(body.id).toMatch(/^ntf_[0-9a-f]{32}$/);
    }
    const stamps = bodies.filter((b) => b.type === 'transcript.segment').map((b) => Number(b.data.timestamp));
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    const ended = bodies.find((b) => b.type === 'stream.ended');
    expect(ended?.data.reason).toBe('stopped');
    const completed = bodies.find((b) => b.type === 'recording.completed');
    const files = ((completed?.data.files ?? []) as { path: string }[]).map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['audio.wav', 'transcript.jsonl']));
    expect(completed?.data.endReason).toBe('stopped');

    const metrics = await (await fetch(`${second.base}/metrics`)).text();
    expect(metricValue(metrics, 'rtmskit_notifications_delivered_total')).toBe(expected);
    expect(metricValue(metrics, 'rtmskit_notifications_retried_total')).toBe(2);
    await waitFor(() => second.service.notifier?.pending === 0, 'the outbox to be empty', 5_000);
  }, 90_000);

  it('sends no stream.ended for a stream the service itself drops at shutdown', async () => {
    const port = await freePort();
    const received = await startReceiver(port, 0);
    const svc = await startInProcessService(cleanups, {
      RTMSKIT_NOTIFY_URL: `http://127.0.0.1:${port}/`,
      RTMSKIT_NOTIFY_SECRET: SECRET,
    });
    const sim = await Simulator.start({
      webhookUrl: `${svc.base}/webhook`,
      credentials: svc.app,
      timeScale: 4,
    });
    cleanups.add(() => sim.close());
    sim.startStream({ participants: 1, durationMs: 60_000 });
    await waitFor(
      () => received.some((r) => r.body.includes('"stream.started"')),
      'stream.started to arrive',
      10_000,
    );
    await svc.service.shutdown();
    expect(received.map((r) => JSON.parse(r.body).type)).toEqual(['stream.started']);
  }, 30_000);
});
