/**
 * Throughput of `WebhookReceiver.receive()`: a signed `meeting.rtms_started` that is verified and parsed,
 * and, for contrast, an unsigned request that is refused with 401 before any HMAC is computed.
 */
import { createHmac } from 'node:crypto';
import { WebhookReceiver, type WebhookResult } from '../src/webhook/receiver.js';
import { int } from './report.js';
import { spread } from './stats.js';

/** Time spent in each measured round. */
const ROUND_MS = 1_000;
/** Measured rounds per case; the median is reported. */
const ROUNDS = 5;
/** Unmeasured time per case before the first round, so the code is compiled and the heap is settled. */
const WARM_UP_MS = 300;
/** Iterations between clock reads. */
const BATCH = 256;

const SECRET = 'q6Vg1yC8TbKkN2oWj4mX0A';
/** A fixed clock, so the timestamp check always passes. */
const NOW_MS = 1_739_923_528_000;
const TIMESTAMP = String(NOW_MS / 1000);

function startedBody(): Buffer {
  return Buffer.from(
    JSON.stringify({
      event: 'meeting.rtms_started',
      event_ts: NOW_MS - 88,
      payload: {
        meeting_uuid: 'f3nq/Fu+Qs6fX1x9lCmb2g==',
        operator_id: 'x1CRzHq0QuqVJ-Nv5H3bqA',
        rtms_stream_id: '03db704592624398931a588dd78200cb',
        server_urls: 'wss://rtms.zoom.us',
      },
    }),
  );
}

/** Headers as Node hands them over: lower-case keys, the ones Zoom sends. */
function zoomHeaders(body: Buffer, signed: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    host: 'rtms.example.com',
    'user-agent': 'Zoom Marketplace/1.0a',
    'content-length': String(body.length),
    'content-type': 'application/json; charset=utf-8',
    'x-zm-request-timestamp': TIMESTAMP,
    'x-zm-request-id': '6009d653_d487_445d_8406_42b654974899',
    'x-zm-trackingid': 'v=2.0;clid=us06;rid=WEB_4c0a1b0e6f1d4d0c9b6b',
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    'accept-encoding': 'gzip',
  };
  if (signed) {
    const hmac = createHmac('sha256', SECRET).update(`v0:${TIMESTAMP}:`).update(body);
    headers['x-zm-signature'] = `v0=${hmac.digest('hex')}`;
  }
  return headers;
}

/** Runs `op` for about `ms` milliseconds; returns operations per second. */
function measure(op: () => WebhookResult, expectedStatus: number, ms: number): number {
  const budget = BigInt(ms) * 1_000_000n;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  let ops = 0;
  while (elapsed < budget) {
    for (let i = 0; i < BATCH; i++) {
      // Checking every result keeps the work observable, so it cannot be optimised away.
      if (op().status !== expectedStatus) throw new Error(`receive() did not answer ${expectedStatus}`);
    }
    ops += BATCH;
    elapsed = process.hrtime.bigint() - start;
  }
  return (ops * 1e9) / Number(elapsed);
}

function benchCase(name: string, op: () => WebhookResult, expectedStatus: number): number {
  measure(op, expectedStatus, WARM_UP_MS);
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) rounds.push(measure(op, expectedStatus, ROUND_MS));
  const s = spread(rounds);
  console.log(
    `  ${name.padEnd(40)} ${int(s.median).padStart(12)} ops/s` +
      `  (${(1e6 / s.median).toFixed(2)} µs/op, rounds ${int(s.min)}…${int(s.max)})`,
  );
  return s.median;
}

/** Prints `receive()` operations per second for the accepted and the refused path. */
export async function benchWebhook(): Promise<void> {
  const receiver = new WebhookReceiver({ secretToken: SECRET });
  const body = startedBody();
  const signed = zoomHeaders(body, true);
  const unsigned = zoomHeaders(body, false);

  // A wrong setup would measure the wrong path; check once before timing.
  const probe = receiver.receive(body, signed, NOW_MS);
  if (probe.outcome !== 'event')
    throw new Error(`signed request was not accepted: ${JSON.stringify(probe.body)}`);
  const refused = receiver.receive(body, unsigned, NOW_MS);
  if (refused.error?.code !== 'WEBHOOK_BAD_SIGNATURE') throw new Error('unsigned request was not refused');

  console.log(
    `\nwebhook receive(): ${body.length}-byte meeting.rtms_started, median of ${ROUNDS} × ${ROUND_MS} ms`,
  );
  const accepted = benchCase(
    'signed, verified and parsed (200)',
    () => receiver.receive(body, signed, NOW_MS),
    200,
  );
  const rejected = benchCase('unsigned, refused (401)', () => receiver.receive(body, unsigned, NOW_MS), 401);
  console.log(`  the refused path is ${(rejected / accepted).toFixed(1)}× the accepted one`);
}
