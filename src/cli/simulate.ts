/**
 * `rtmskit simulate`: the Zoom side of RTMS on localhost, for testing any RTMS app.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Command } from 'commander';
import { StopReason } from '../protocol/enums.js';
import { PRODUCTS, type Product } from '../protocol/products.js';
import { parseDurationMs, parseFault, type ScheduledFault } from '../simulator/faults.js';
import type { FrameMode, KeepAliveMode, SimulatorOptions } from '../simulator/options.js';
import { Simulator } from '../simulator/Simulator.js';
import { type CliEnv, cliEnv, dotenvOption, settingValue } from './env.js';
import { settingFlagText, settingsSection } from './help.js';
import { onShutdownSignals } from './serve.js';
import { CliError, EXIT_FAILED } from './util.js';

/**
 * After Ctrl-C / SIGTERM, how long the `rtms_stopped` webhooks get to go out before the simulator closes.
 * Zoom retries a failed delivery minutes later; waiting for that would make the signal look ignored.
 */
export const SIGNAL_DRAIN_MS = 400;

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
  keepAlive: string;
  interpretation?: boolean;
  tls?: boolean;
  host: string;
  port: string;
  accountId?: string;
  s2sClientId?: string;
  s2sClientSecret?: string;
  fault: string[];
  report?: string;
  quiet?: boolean;
  dotenv?: string;
}

function intFlag(name: string, value: string, min: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw CliError.badValue(`--${name}`, value, `a whole number of at least ${min}`);
  return Number(value);
}

/** Turns flags and environment into simulator options. Throws a CliError naming the bad flag. */
export function simulatorOptionsOf(flags: SimulateFlags, env: CliEnv): SimulatorOptions {
  if (!(PRODUCTS as readonly string[]).includes(flags.product)) {
    throw CliError.badValue('--product', flags.product, `one of ${PRODUCTS.join(', ')}`);
  }
  if (!(FRAME_MODES as readonly string[]).includes(flags.frames))
    throw CliError.badValue('--frames', flags.frames, `one of ${FRAME_MODES.join(', ')}`);
  if (!(KEEP_ALIVE_MODES as readonly string[]).includes(flags.keepAlive))
    throw CliError.badValue('--keep-alive', flags.keepAlive, `one of ${KEEP_ALIVE_MODES.join(', ')}`);
  const durationMs = parseDurationMs(flags.duration);
  if (durationMs === undefined || durationMs <= 0)
    throw CliError.badValue('--duration', flags.duration, 'a duration such as 30s, 2m or 1500ms');
  const timeScale = Number(flags.timeScale);
  if (!(timeScale >= 1) || !Number.isFinite(timeScale))
    throw CliError.badValue('--time-scale', flags.timeScale, 'a number of at least 1');
  if (flags.webhookUrl !== undefined) {
    try {
      const url = new URL(flags.webhookUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    } catch {
      throw CliError.badValue('--webhook-url', flags.webhookUrl, 'an http:// or https:// URL');
    }
  }
  let faults: ScheduledFault[];
  try {
    faults = flags.fault.map(parseFault);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const credentials: NonNullable<SimulatorOptions['credentials']> = {};
  const clientId = flags.clientId ?? settingValue(env, 'ZOOM_CLIENT_ID');
  const clientSecret = flags.clientSecret ?? settingValue(env, 'ZOOM_CLIENT_SECRET');
  const secretToken = flags.secretToken ?? settingValue(env, 'ZOOM_SECRET_TOKEN');
  const accountId = flags.accountId ?? settingValue(env, 'ZOOM_ACCOUNT_ID');
  const s2sClientId = flags.s2sClientId ?? settingValue(env, 'ZOOM_S2S_CLIENT_ID');
  const s2sClientSecret = flags.s2sClientSecret ?? settingValue(env, 'ZOOM_S2S_CLIENT_SECRET');
  const videoSdkKey = settingValue(env, 'ZOOM_VIDEO_SDK_KEY');
  const videoSdkSecret = settingValue(env, 'ZOOM_VIDEO_SDK_SECRET');
  const videoSdkSecretToken = settingValue(env, 'ZOOM_VIDEO_SDK_SECRET_TOKEN');
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
    keepAlive: flags.keepAlive as KeepAliveMode,
    interpretation: flags.interpretation ?? false,
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

const FRAME_MODES = ['text', 'binary', 'mixed'] as const satisfies readonly FrameMode[];
const KEEP_ALIVE_MODES = ['idle', 'always'] as const satisfies readonly KeepAliveMode[];

export function registerSimulate(program: Command): void {
  const simulate = program.command('simulate');
  simulate
    .description('run the Zoom side of RTMS on localhost: webhooks, signaling, media, REST and OAuth')
    .option('--webhook-url <url>', 'where to send webhooks (your app)')
    .option('--client-id <id>', settingFlagText('ZOOM_CLIENT_ID', { default: 'generated' }))
    .option('--client-secret <secret>', settingFlagText('ZOOM_CLIENT_SECRET', { default: 'generated' }))
    .option('--secret-token <token>', settingFlagText('ZOOM_SECRET_TOKEN', { default: 'generated' }))
    .option('--product <product>', `one of ${PRODUCTS.join(', ')}`, 'meeting')
    .option('--streams <n>', 'streams to start (0: wait for REST start calls)', '1')
    .option('--participants <k>', 'participants per stream', '3')
    .option('--duration <time>', 'simulated length of each stream', '30s')
    .option('--time-scale <x>', 'run simulated time x times faster', '1')
    .option('--frames <mode>', `WebSocket frames: ${FRAME_MODES.join(', ')}`, 'text')
    .option(
      '--keep-alive <mode>',
      'keep-alive requests on idle sockets only, as Zoom does (idle), or on every socket (always)',
      'idle',
    )
    .option('--interpretation', 'the AI interpreter is on: audio sockets get its metadata (msg 23)')
    .option('--tls', 'serve wss:// and https:// with a self-signed certificate')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port for REST, OAuth, signaling and media (0: any)', '0')
    .option('--account-id <id>', settingFlagText('ZOOM_ACCOUNT_ID', { default: 'sim-account' }))
    .option('--s2s-client-id <id>', settingFlagText('ZOOM_S2S_CLIENT_ID'))
    .option('--s2s-client-secret <secret>', settingFlagText('ZOOM_S2S_CLIENT_SECRET'))
    .option('--fault <spec>', 'NAME[@TIME][:ARG], repeatable (e.g. drop-media@10s:audio)', collect, [])
    .option('--report <file>', 'write the JSON report here at the end')
    .option('--quiet', 'no line per event: only the credentials, warnings and the summary')
    .addOption(dotenvOption())
    .addHelpText(
      'after',
      () =>
        '\nCredentials a flag does not give are read from the environment, then from ./.env (or --dotenv <path>),\n' +
        'as rtmskit serve reads them: started side by side in one folder, the two agree.\n' +
        settingsSection(simulate, 'The Video SDK app (sessions), which has no flags:', [
          { name: 'ZOOM_VIDEO_SDK_KEY', use: { default: 'the client id' } },
          { name: 'ZOOM_VIDEO_SDK_SECRET', use: { default: 'the client secret' } },
          { name: 'ZOOM_VIDEO_SDK_SECRET_TOKEN', use: { default: 'the secret token' } },
        ]),
    )
    .action(async (flags: SimulateFlags) => {
      // The same `.env` as `rtmskit serve` in this folder, or the webhooks would be signed with other secrets.
      const options = simulatorOptionsOf(flags, cliEnv(flags.dotenv));
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
      throw new CliError(
        `port ${options.port} on ${options.host} is in use; pick another with --port`,
        EXIT_FAILED,
      );
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

  let interrupt!: () => void;
  const interrupted = new Promise<void>((resolve) => {
    interrupt = resolve;
  });
  const detach = onShutdownSignals(async () => {
    for (const id of sim.streamIds()) {
      if (sim.stream(id).state !== 'ended') sim.stopStream(id, StopReason.HOST_TRIGGERED);
    }
    interrupt();
  }, out);
  // After a signal: a moment for the rtms_stopped webhooks, then close, which cancels pending retries.
  const drained = interrupted.then(() =>
    Promise.race([sim.whenIdle(), delay(SIGNAL_DRAIN_MS, undefined, { ref: false })]),
  );
  if ((options.streams ?? 0) === 0) {
    out('no stream started: waiting for PATCH /v2/live_meetings/{meetingId}/rtms_app/status (Ctrl-C to end)');
    await drained;
  } else {
    await Promise.race([sim.whenIdle(), drained]);
  }
  const report = sim.stats();
  await sim.close();
  out('');
  out(summaryOf(report));
  if (flags.report) {
    await writeFile(flags.report, `${JSON.stringify(report, null, 2)}\n`);
    out(`report written to ${flags.report}`);
  }
  // Only now: a second signal while the report is being written still exits at once.
  detach();
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
