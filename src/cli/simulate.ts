/**
 * `rtmskit simulate`: the Zoom side of RTMS on localhost, for testing any RTMS app.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { StopReason } from '../protocol/enums.js';
import { PRODUCTS, type Product } from '../protocol/products.js';
import { parseDurationMs, parseFault, type ScheduledFault } from '../simulator/faults.js';
import type { FrameMode, SimulatorOptions } from '../simulator/options.js';
import { Simulator } from '../simulator/Simulator.js';
import { onShutdownSignals } from './serve.js';
import { CliError, envFirst } from './util.js';

interface SimulateFlags {
  webhookUrl?: string;
  clientId?: string;
  clientSecret?: string;
  secretToken?: string;
  product: string;
  streams: string;
  participants: string;
  duration: string;
  timeScale: string;
  frames: string;
  tls?: boolean;
  host: string;
  port: string;
  accountId?: string;
  s2sClientId?: string;
  s2sClientSecret?: string;
  fault: string[];
  report?: string;
  quiet?: boolean;
}

function intFlag(name: string, value: string, min: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw new CliError(`--${name} must be a whole number >= ${min}`);
  return Number(value);
}

/** Turns flags and environment into simulator options. Throws a CliError naming the bad flag. */
export function simulatorOptionsOf(flags: SimulateFlags, env: NodeJS.ProcessEnv): SimulatorOptions {
  if (!(PRODUCTS as readonly string[]).includes(flags.product)) {
    throw new CliError(`--product must be one of ${PRODUCTS.join(', ')}`);
  }
  if (!['text', 'binary', 'mixed'].includes(flags.frames))
    throw new CliError('--frames must be text, binary or mixed');
  const durationMs = parseDurationMs(flags.duration);
  if (durationMs === undefined || durationMs <= 0)
    throw new CliError('--duration must look like 30s, 2m or 1500ms');
  const timeScale = Number(flags.timeScale);
  if (!(timeScale >= 1) || !Number.isFinite(timeScale))
    throw new CliError('--time-scale must be a number >= 1');
  if (flags.webhookUrl !== undefined) {
    try {
      const url = new URL(flags.webhookUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    } catch {
      throw new CliError(`--webhook-url ${flags.webhookUrl} is not an http(s) URL`);
    }
  }
  let faults: ScheduledFault[];
  try {
    faults = flags.fault.map(parseFault);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const credentials: NonNullable<SimulatorOptions['credentials']> = {};
  const clientId = flags.clientId ?? envFirst(env, 'ZOOM_CLIENT_ID', 'ZM_CLIENT_ID', 'ZM_RTMS_CLIENT');
  const clientSecret =
    flags.clientSecret ?? envFirst(env, 'ZOOM_CLIENT_SECRET', 'ZM_CLIENT_SECRET', 'ZM_RTMS_SECRET');
  const secretToken = flags.secretToken ?? envFirst(env, 'ZOOM_SECRET_TOKEN', 'ZOOM_WEBHOOK_SECRET_TOKEN');
  const accountId = flags.accountId ?? envFirst(env, 'ZOOM_ACCOUNT_ID');
  const s2sClientId = flags.s2sClientId ?? envFirst(env, 'ZOOM_S2S_CLIENT_ID');
  const s2sClientSecret = flags.s2sClientSecret ?? envFirst(env, 'ZOOM_S2S_CLIENT_SECRET');
  const videoSdkKey = envFirst(env, 'ZOOM_VIDEO_SDK_KEY');
  const videoSdkSecret = envFirst(env, 'ZOOM_VIDEO_SDK_SECRET');
  const videoSdkSecretToken = envFirst(env, 'ZOOM_VIDEO_SDK_SECRET_TOKEN');
  if (clientId) credentials.clientId = clientId;
  if (clientSecret) credentials.clientSecret = clientSecret;
  if (secretToken) credentials.secretToken = secretToken;
  if (accountId) credentials.accountId = accountId;
  if (s2sClientId) credentials.s2sClientId = s2sClientId;
  if (s2sClientSecret) credentials.s2sClientSecret = s2sClientSecret;
  if (videoSdkKey) credentials.videoSdkKey = videoSdkKey;
  if (videoSdkSecret) credentials.videoSdkSecret = videoSdkSecret;
  if (videoSdkSecretToken) credentials.videoSdkSecretToken = videoSdkSecretToken;
  return {
    ...(flags.webhookUrl === undefined ? {} : { webhookUrl: flags.webhookUrl }),
    credentials,
    host: flags.host,
    port: intFlag('port', flags.port, 0),
    tls: flags.tls ?? false,
    timeScale,
    frames: flags.frames as FrameMode,
    faults,
    streams: intFlag('streams', flags.streams, 0),
    product: flags.product as Product,
    participants: intFlag('participants', flags.participants, 1),
    durationMs,
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('run the Zoom side of RTMS on localhost: webhooks, signaling, media, REST and OAuth')
    .option('--webhook-url <url>', 'where to send webhooks (your app)')
    .option('--client-id <id>', 'app client id (env ZOOM_CLIENT_ID; generated when absent)')
    .option('--client-secret <secret>', 'app client secret (env ZOOM_CLIENT_SECRET)')
    .option('--secret-token <token>', 'webhook secret token (env ZOOM_SECRET_TOKEN)')
    .option('--product <product>', `one of ${PRODUCTS.join(', ')}`, 'meeting')
    .option('--streams <n>', 'streams to start (0: wait for REST start calls)', '1')
    .option('--participants <k>', 'participants per stream', '3')
    .option('--duration <time>', 'simulated length of each stream', '30s')
    .option('--time-scale <x>', 'run simulated time x times faster', '1')
    .option('--frames <mode>', 'text, binary or mixed WebSocket frames', 'text')
    .option('--tls', 'serve wss:// and https:// with a self-signed certificate')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port for REST, OAuth, signaling and media (0: any)', '0')
    .option('--account-id <id>', 'S2S OAuth account id (env ZOOM_ACCOUNT_ID; default sim-account)')
    .option(
      '--s2s-client-id <id>',
      'S2S OAuth client id (env ZOOM_S2S_CLIENT_ID; default: the app client id)',
    )
    .option('--s2s-client-secret <secret>', 'S2S OAuth client secret (env ZOOM_S2S_CLIENT_SECRET)')
    .option('--fault <spec>', 'NAME[@TIME][:ARG], repeatable (e.g. drop-media@10s:audio)', collect, [])
    .option('--report <file>', 'write the JSON report here at the end')
    .option('--quiet', 'no line per event: only the credentials, warnings and the summary')
    .action(async (flags: SimulateFlags) => {
      const options = simulatorOptionsOf(flags, process.env);
      await runSimulate(options, flags);
    });
}

async function runSimulate(options: SimulatorOptions, flags: SimulateFlags): Promise<void> {
  let sim: Simulator;
  try {
    sim = await Simulator.start({ ...options, streams: 0 });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE')
      throw new CliError(`port ${options.port} on ${options.host} is in use; pick another with --port`);
    if (code === 'EADDRNOTAVAIL')
      throw new CliError(`cannot listen on ${options.host}; use a local address with --host`);
    throw err;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const { credentials: c } = sim;
  out(`rtmskit simulator listening on ${sim.url} (signaling ${sim.signalingUrl})`);
  out(`  client id      ${c.clientId}`);
  out(`  client secret  ${c.clientSecret}`);
  out(`  secret token   ${c.secretToken}`);
  if (c.videoSdkKey !== c.clientId) out(`  Video SDK key  ${c.videoSdkKey} (secret ${c.videoSdkSecret})`);
  out(`  REST/OAuth     account ${c.accountId}, S2S client ${c.s2sClientId}`);
  if (sim.certificate) {
    const certPath = join(tmpdir(), `rtmskit-simulator-${process.pid}.pem`);
    await writeFile(certPath, sim.certificate);
    out(`  certificate    ${certPath} (self-signed: trust it in your client, e.g. NODE_EXTRA_CA_CERTS)`);
  }
  out(`  webhooks       ${options.webhookUrl ?? '(none: pass --webhook-url to deliver them)'}`);
  if (!flags.quiet) {
    sim.on('log', (e) =>
      out(`${new Date(e.at).toISOString()} ${e.streamId ? e.streamId.slice(0, 8) : '-'.padEnd(8)} ${e.text}`),
    );
  }
  const stats = sim.stats();
  if (stats.urlValidation?.ok) out('endpoint.url_validation answered correctly');
  if (stats.urlValidation && !stats.urlValidation.ok) {
    out(
      `warning: endpoint.url_validation failed (${stats.urlValidation.reason ?? stats.urlValidation.status}); Zoom would not deliver events to this URL`,
    );
  }
  for (let i = 0; i < (options.streams ?? 0); i++) sim.startStream();

  let interrupted!: () => void;
  const stopped = new Promise<void>((resolve) => {
    interrupted = resolve;
  });
  const detach = onShutdownSignals(async () => {
    for (const id of sim.streamIds()) {
      if (sim.stream(id).state !== 'ended') sim.stopStream(id, StopReason.HOST_TRIGGERED);
    }
    interrupted();
  }, out);
  if ((options.streams ?? 0) === 0) {
    out('no stream started: waiting for PATCH /v2/live_meetings/{meetingId}/rtms_app/status (Ctrl-C to end)');
    await stopped;
  }
  await sim.whenIdle();
  const report = sim.stats();
  await sim.close();
  detach();
  out('');
  out(summaryOf(report));
  if (flags.report) {
    await writeFile(flags.report, `${JSON.stringify(report, null, 2)}\n`);
    out(`report written to ${flags.report}`);
  }
}

/** The end-of-run summary: one line per stream, then webhooks. */
export function summaryOf(report: ReturnType<Simulator['stats']>): string {
  const lines = ['summary'];
  for (const s of report.streams) {
    const frames = Object.entries(s.framesSent)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    const reason = s.endReason === undefined ? 'not ended' : (StopReason[s.endReason] ?? String(s.endReason));
    lines.push(
      `  ${s.streamId} ${s.product}: ${reason}; frames ${frames || 'none'}; keep-alives ${s.keepAlives.answered}/${s.keepAlives.sent} answered; ` +
        `interruptions ${s.interruptions}, recoveries ${s.recoveries}; max signaling ${s.maxConcurrentSignaling}` +
        (s.faults.length > 0 ? `; faults ${s.faults.join(', ')}` : ''),
    );
  }
  const delivered = report.webhooks.filter((w) => w.delivered).length;
  lines.push(`  webhooks: ${report.webhooks.length} attempts, ${delivered} delivered`);
  return lines.join('\n');
}
