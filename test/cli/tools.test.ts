/**
 * `rtmskit signature` and `rtmskit webhook-verify`: the spawned commands, and the functions behind them,
 * checked against HMACs computed here independently.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseHeaders, verifySavedWebhook } from '../../src/cli/tools.js';
import { Cleanups } from '../cleanups.js';
import { runCli } from './runCli.js';

const SECRET_TOKEN = 'webhookSecretToken-0001';
const NOW_MS = 1_760_000_000_000;
const TIMESTAMP = String(NOW_MS / 1000 - 2);
const EVENT = {
  event: 'meeting.rtms_started',
  event_ts: NOW_MS - 2_000,
  payload: {
    meeting_uuid: 'f3nq/Fu+Qs6fX1x9lCmb2g==',
    rtms_stream_id: '0123456789abcdef0123456789abcdef',
    server_urls: 'wss://rtms.zoom.us',
  },
};
/** The body as Zoom sent it: compact JSON. */
const RAW_BODY = JSON.stringify(EVENT);

/** `x-zm-signature`, computed here rather than with rtmskit's own function. */
function sign(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

const HEADERS = {
  'x-zm-signature': sign(SECRET_TOKEN, TIMESTAMP, RAW_BODY),
  'x-zm-request-timestamp': TIMESTAMP,
};

const cleanups = new Cleanups();

afterEach(() => cleanups.run());

const tempDir = () => cleanups.tempDir('rtmskit-cli-');

function lastLine(lines: readonly string[]): string {
  return lines.at(-1) ?? '';
}

describe('rtmskit signature (spawned)', () => {
  it('prints the signed string and an HMAC equal to an independent one', async () => {
    const cwd = await tempDir();
    const instanceId = 'f3nq/Fu+Qs6fX1x9lCmb2g==';
    const streamId = randomBytes(16).toString('hex');
    const run = await runCli(
      [
        'signature',
        '--client-id',
        'A',
        '--client-secret',
        'B',
        '--instance-id',
        instanceId,
        '--stream-id',
        streamId,
      ],
      { cwd },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const signed = `A,${instanceId},${streamId}`;
    const expected = createHmac('sha256', 'B').update(signed).digest('hex');
    expect(run.stdout).toMatch(/^signed string +(\S+)$/m);
    expect(/^signed string +(\S+)$/m.exec(run.stdout)?.[1]).toBe(signed);
    expect(/^signature +([0-9a-f]+)$/m.exec(run.stdout)?.[1]).toBe(expected);
  });
});

describe('rtmskit signature --dotenv (spawned)', () => {
  it('takes the client id and secret from the named file', async () => {
    const cwd = await tempDir();
    await writeFile(join(cwd, 'app.env'), 'ZOOM_CLIENT_ID=fileClient\nZM_RTMS_SECRET=fileSecret\n');
    const streamId = randomBytes(16).toString('hex');
    const run = await runCli(
      ['signature', '--dotenv', 'app.env', '--instance-id', 'inst==', '--stream-id', streamId],
      { cwd },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const expected = createHmac('sha256', 'fileSecret').update(`fileClient,inst==,${streamId}`).digest('hex');
    expect(/^signature +([0-9a-f]+)$/m.exec(run.stdout)?.[1]).toBe(expected);
  });
});

describe('verifySavedWebhook', () => {
  it('passes a correctly signed saved webhook', () => {
    const verdict = verifySavedWebhook(HEADERS, Buffer.from(RAW_BODY), SECRET_TOKEN, NOW_MS);
    expect(verdict.ok).toBe(true);
    expect(verdict.lines).toContain(`expected        ${HEADERS['x-zm-signature']}`);
    expect(verdict.lines.find((l) => l.startsWith('timestamp'))).toBe(
      `timestamp       ${TIMESTAMP} (2 s ago)`,
    );
    expect(lastLine(verdict.lines)).toBe('PASS the signature matches the body');
  });

  it('names a trailing newline added when the body was saved', () => {
    const verdict = verifySavedWebhook(HEADERS, Buffer.from(`${RAW_BODY}\n`), SECRET_TOKEN, NOW_MS);
    expect(verdict.ok).toBe(false);
    expect(lastLine(verdict.lines)).toMatch(/^FAIL .*trailing newline/);
  });

  it('names re-serialisation when the body was pretty-printed', () => {
    const pretty = JSON.stringify(EVENT, null, 2);
    const verdict = verifySavedWebhook(HEADERS, Buffer.from(pretty), SECRET_TOKEN, NOW_MS);
    expect(verdict.ok).toBe(false);
    expect(lastLine(verdict.lines)).toMatch(/^FAIL .*re-serialised/);
  });

  it('names the secret token when the secret is wrong', () => {
    const verdict = verifySavedWebhook(HEADERS, Buffer.from(RAW_BODY), 'another-secret', NOW_MS);
    expect(verdict.ok).toBe(false);
    expect(lastLine(verdict.lines)).toMatch(/^FAIL .*secret token/);
    expect(lastLine(verdict.lines)).not.toMatch(/trailing newline|re-serialised/);
  });

  it('fails naming each missing header', () => {
    const noSignature = verifySavedWebhook(
      { 'x-zm-request-timestamp': TIMESTAMP },
      Buffer.from(RAW_BODY),
      SECRET_TOKEN,
      NOW_MS,
    );
    expect(noSignature).toEqual({
      ok: false,
      lines: [expect.stringMatching(/^FAIL no x-zm-signature header/)],
    });
    const noTimestamp = verifySavedWebhook(
      { 'x-zm-signature': HEADERS['x-zm-signature'] },
      Buffer.from(RAW_BODY),
      SECRET_TOKEN,
      NOW_MS,
    );
    expect(noTimestamp).toEqual({
      ok: false,
      lines: [expect.stringMatching(/^FAIL no x-zm-request-timestamp header/)],
    });
  });

  it('flags a timestamp outside the 300 s tolerance even when the signature matches', () => {
    const verdict = verifySavedWebhook(HEADERS, Buffer.from(RAW_BODY), SECRET_TOKEN, NOW_MS + 600_000);
    expect(verdict.ok).toBe(true);
    expect(verdict.lines.find((l) => l.startsWith('timestamp'))).toContain('outside a 300 s tolerance');
  });
});

describe('parseHeaders', () => {
  it('reads a JSON object, lowercasing names and taking the first of repeated values', () => {
    const text = JSON.stringify({
      'X-Zm-Signature': 'v0=abc',
      'X-ZM-Request-Timestamp': ['1760000000', '1760000001'],
      'Content-Length': 42,
    });
    expect(parseHeaders(`\n${text}\n`)).toEqual({
      'x-zm-signature': 'v0=abc',
      'x-zm-request-timestamp': '1760000000',
      'content-length': '42',
    });
  });

  it('reads "Name: value" lines, lowercasing names and keeping colons inside values', () => {
    const text = [
      'POST /webhook HTTP/1.1',
      'Host: example.com:443',
      'X-Zm-Signature:  v0=abc ',
      'x-zm-request-timestamp: 1760000000',
      '',
    ].join('\r\n');
    expect(parseHeaders(text)).toEqual({
      host: 'example.com:443',
      'x-zm-signature': 'v0=abc',
      'x-zm-request-timestamp': '1760000000',
    });
  });

  it('refuses a file that starts with { but is not JSON', () => {
    expect(() => parseHeaders('{ "x-zm-signature": ')).toThrow(/not JSON/);
  });
});

describe('rtmskit webhook-verify (spawned)', () => {
  async function verify(body: string): Promise<Awaited<ReturnType<typeof runCli>>> {
    const cwd = await tempDir();
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers = {
      'X-Zm-Signature': sign(SECRET_TOKEN, timestamp, RAW_BODY),
      'X-Zm-Request-Timestamp': timestamp,
    };
    await writeFile(join(cwd, 'h.json'), JSON.stringify(headers));
    await writeFile(join(cwd, 'b.json'), body);
    return runCli(
      ['webhook-verify', '--headers', 'h.json', '--body', 'b.json', '--secret-token', SECRET_TOKEN],
      { cwd },
    );
  }

  it('exits 0 for a good pair', async () => {
    const run = await verify(RAW_BODY);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('PASS the signature matches the body');
  });

  it('takes the secret token from the file --dotenv names', async () => {
    const cwd = await tempDir();
    const timestamp = String(Math.floor(Date.now() / 1000));
    await writeFile(
      join(cwd, 'h.json'),
      JSON.stringify({
        'x-zm-signature': sign(SECRET_TOKEN, timestamp, RAW_BODY),
        'x-zm-request-timestamp': timestamp,
      }),
    );
    await writeFile(join(cwd, 'b.json'), RAW_BODY);
    await writeFile(join(cwd, 'zoom.env'), `ZOOM_WEBHOOK_SECRET_TOKEN=${SECRET_TOKEN}\n`);
    const run = await runCli(
      ['webhook-verify', '--headers', 'h.json', '--body', 'b.json', '--dotenv', 'zoom.env'],
      {
        cwd,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('PASS the signature matches the body');
  });

  it('exits 1 for a bad pair and prints the reason', async () => {
    const run = await verify(`${RAW_BODY}\n`);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL .*trailing newline/m);
    expect(run.stdout).not.toContain('PASS');
  });
});
