/**
 * `rtmskit signature` and `rtmskit webhook-verify`: the two "invalid signature" rows of Zoom's
 * troubleshooting page, answered.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { handshakeSignature, handshakeSignedString } from '../protocol/signature.js';
import { webhookSignature } from '../protocol/webhookSignature.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../webhook/receiver.js';
import { cliEnv, dotenvOption, settingValue } from './env.js';
import { settingFlagText } from './help.js';
import { CliError, EXIT_FAILED } from './util.js';

/** Where both commands find credentials a flag does not give, said in their help. */
const READS_DOTENV =
  '\nCredentials a flag does not give are read from the environment, then from ./.env, or from the file\n' +
  '--dotenv <path> names (the environment wins over the file).';

/** A file named by a flag, read whole; a missing or unreadable one is a usage error naming the flag. */
async function readNamedFile(flag: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : (code ?? String(err));
    throw new CliError(`${flag} ${path}: ${why}`);
  }
}

export function registerTools(program: Command): void {
  program
    .command('signature')
    .description('print the RTMS handshake signature and the exact string that was signed')
    .option('--client-id <id>', settingFlagText('ZOOM_CLIENT_ID'))
    .option('--client-secret <secret>', settingFlagText('ZOOM_CLIENT_SECRET'))
    .requiredOption(
      '--instance-id <id>',
      'meeting_uuid / webinar_uuid / session_id / engagement_id of the event',
    )
    .requiredOption('--stream-id <id>', 'rtms_stream_id of the event')
    .addOption(dotenvOption())
    .addHelpText('after', READS_DOTENV)
    .action(
      (flags: {
        clientId?: string;
        clientSecret?: string;
        instanceId: string;
        streamId: string;
        dotenv?: string;
      }) => {
        const env = cliEnv(flags.dotenv);
        const clientId = flags.clientId ?? settingValue(env, 'ZOOM_CLIENT_ID');
        const clientSecret = flags.clientSecret ?? settingValue(env, 'ZOOM_CLIENT_SECRET');
        if (!clientId || !clientSecret)
          throw new CliError('give --client-id and --client-secret (or set ZOOM_CLIENT_ID/SECRET)');
        const input = { clientId, clientSecret, instanceId: flags.instanceId, streamId: flags.streamId };
        process.stdout.write(`signed string  ${handshakeSignedString(input)}\n`);
        process.stdout.write(`signature      ${handshakeSignature(input)}\n`);
        process.stdout.write('(HMAC-SHA256 keyed by the client secret, lowercase hex)\n');
      },
    );

  program
    .command('webhook-verify')
    .description('check a saved webhook (headers and raw body) against a secret token, and say why it fails')
    .requiredOption('--headers <file>', 'the request headers: a JSON object, or "Name: value" lines')
    .requiredOption('--body <file>', 'the raw request body, byte for byte')
    .option('--secret-token <token>', settingFlagText('ZOOM_SECRET_TOKEN'))
    .addOption(dotenvOption())
    .addHelpText('after', READS_DOTENV)
    .action(async (flags: { headers: string; body: string; secretToken?: string; dotenv?: string }) => {
      const env = cliEnv(flags.dotenv);
      const secret = flags.secretToken ?? settingValue(env, 'ZOOM_SECRET_TOKEN');
      if (!secret) throw new CliError('give --secret-token (or set ZOOM_SECRET_TOKEN)');
      const headers = parseHeaders((await readNamedFile('--headers', flags.headers)).toString('utf8'));
      const body = await readNamedFile('--body', flags.body);
      const verdict = verifySavedWebhook(headers, body, secret);
      for (const line of verdict.lines) process.stdout.write(`${line}\n`);
      if (!verdict.ok) process.exitCode = EXIT_FAILED;
    });
}

/** Headers from a JSON object or `Name: value` lines, names lowercased. */
export function parseHeaders(text: string): Record<string, string> {
  const trimmed = text.trim();
  const out: Record<string, string> = {};
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new CliError('the headers file starts with { but is not JSON');
    }
    for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
      out[name.toLowerCase()] = Array.isArray(value) ? String(value[0]) : String(value);
    }
    return out;
  }
  for (const line of trimmed.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return out;
}

export interface WebhookVerdict {
  ok: boolean;
  lines: string[];
}

/** Checks a saved webhook and explains a mismatch by trying the usual causes. */
export function verifySavedWebhook(
  headers: Readonly<Record<string, string>>,
  body: Buffer,
  secretToken: string,
  nowMs: number = Date.now(),
): WebhookVerdict {
  const signature = headers[SIGNATURE_HEADER];
  const timestamp = headers[TIMESTAMP_HEADER];
  if (!signature)
    return {
      ok: false,
      lines: [`FAIL no ${SIGNATURE_HEADER} header: save the request's headers as Zoom sent them`],
    };
  if (!timestamp)
    return {
      ok: false,
      lines: [`FAIL no ${TIMESTAMP_HEADER} header: save the request's headers as Zoom sent them`],
    };
  const expected = webhookSignature(secretToken, timestamp, body);
  const ageS = Math.round((nowMs - Number(timestamp) * 1000) / 1000);
  const lines = [
    `signed message  v0:${timestamp}:<${body.length} body bytes>`,
    `expected        ${expected}`,
    `received        ${signature}`,
    `timestamp       ${timestamp} (${ageS} s ago${Math.abs(ageS) > 300 ? ': outside a 300 s tolerance, a live receiver would refuse it as a replay' : ''})`,
  ];
  if (expected === signature) return { ok: true, lines: [...lines, 'PASS the signature matches the body'] };
  const text = body.toString('utf8');
  const tries: [string, string][] = [
    [
      text.replace(/\r?\n$/, ''),
      'the saved body has a trailing newline the request did not have: save it byte for byte',
    ],
    [text.trim(), 'the saved body has extra whitespace around it: save it byte for byte'],
  ];
  try {
    tries.push([
      JSON.stringify(JSON.parse(text)),
      'the body was re-serialised (JSON.parse + stringify changes bytes): verify over the raw body, before any JSON parser',
    ]);
  } catch {
    // Not JSON: nothing to re-serialise.
  }
  for (const [candidate, why] of tries) {
    if (candidate !== text && webhookSignature(secretToken, timestamp, candidate) === signature) {
      return { ok: false, lines: [...lines, `FAIL ${why}`] };
    }
  }
  return {
    ok: false,
    lines: [
      ...lines,
      'FAIL the signature does not match: the secret token is not the one this event subscription uses ' +
        '(Marketplace → your app → Access → Secret Token; a Video SDK app has its own), or the body was changed',
    ],
  };
}
