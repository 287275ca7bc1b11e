/**
 * `rtmskit demo`: the simulator and the service together on this machine, with generated credentials. A
 * meeting plays out, the service records it, and a summary says what happened and where the files are.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_MAX_CONCURRENT_HANDSHAKES } from '../manager/StreamManager.js';
import { ENCODE_FORMATS, type EncodeFormat, ffmpegVersion } from '../media/encode/index.js';
import { MEDIA_KINDS, StopReason } from '../protocol/enums.js';
import {
  AUDIO_CODECS,
  AUDIO_LAYOUTS,
  DEFAULT_ENCODE_JOBS,
  DEFAULT_HTTP_LIMITS,
  DEFAULT_RETENTION,
  type ServiceConfig,
  VIDEO_CODECS,
} from '../service/config.js';
import { readChoice, readChoiceList, type Sourced } from '../service/configValues.js';
import { createLogger } from '../service/logger.js';
import { RtmsService } from '../service/Service.js';
import { parseDurationMs, parseFault, type ScheduledFault } from '../simulator/faults.js';
import { Simulator } from '../simulator/Simulator.js';
import { fleetSizeOf, runFleetDemo } from './demoFleet.js';
import { printSummary, refreshManifests, type StreamOutcome } from './demoSummary.js';
import { onShutdownSignals } from './serve.js';
import { CliError } from './util.js';

interface DemoFlags {
  duration: string;
  streams?: string;
  fleet?: string;
  participants: string;
  fault: string[];
  dataDir: string;
  report?: string;
  timeScale: string;
  verbose?: boolean;
  keep?: boolean;
  port: string;
  media: string;
  audioLayout?: string;
  audioCodec: string;
  videoCodec: string;
  encode: string;
}

/** After the simulator is done, how long the service may take to close and finalize every stream. */
export const DEMO_DRAIN_MS = 15_000;
/** Time allowed per recording for its files made after the stream (decoding, copies, MP4). */
export const DEMO_ENCODE_MS_PER_STREAM = 20_000;
/** `--encode auto` makes copies for at most this many meetings: they are made one after the other. */
export const DEMO_AUTO_ENCODE_MAX_STREAMS = 10;

/** The demo records everything a meeting has. */
const DEMO_MEDIA = MEDIA_KINDS.join(',');

function token(): string {
  return randomBytes(18).toString('base64url');
}

function parseFlags(flags: DemoFlags): {
  durationMs: number;
  streams: number;
  participants: number;
  timeScale: number;
  faults: ScheduledFault[];
} {
  const durationMs = parseDurationMs(flags.duration);
  if (durationMs === undefined || durationMs <= 0)
    throw CliError.badValue('--duration', flags.duration, 'a duration such as 30s, 2m or 1500ms');
  const streams = Number(flags.streams ?? '1');
  if (!Number.isInteger(streams) || streams < 1 || streams > 500)
    throw CliError.badValue('--streams', flags.streams ?? '1', 'a whole number from 1 to 500');
  const participants = Number(flags.participants);
  if (!Number.isInteger(participants) || participants < 1 || participants > 50) {
    throw CliError.badValue('--participants', flags.participants, 'a whole number from 1 to 50');
  }
  const timeScale = Number(flags.timeScale);
  if (!(timeScale >= 1 && timeScale <= 100))
    throw CliError.badValue('--time-scale', flags.timeScale, 'a number from 1 to 100');
  try {
    return { durationMs, streams, participants, timeScale, faults: flags.fault.map(parseFault) };
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** The value of a flag read by one of the service's readers, or the reader's own line as a usage error. */
function flagValue<T>(
  flag: string,
  value: string,
  read: (input: Sourced, problems: string[]) => T | undefined,
): T {
  const problems: string[] = [];
  const out = read({ value, source: flag }, problems);
  if (out === undefined) throw new CliError(problems.join('; '));
  return out;
}

/** One value of `allowed`, as `serve` reads its settings. */
function choiceOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  return flagValue(flag, value, (input, problems) => readChoice(input, problems, allowed));
}

/** Comma-separated values of `allowed`, or `none`, as `serve` reads its settings. */
function choicesOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  if (value.trim().toLowerCase() === 'none') return [];
  return flagValue(flag, value, (input, problems) => readChoiceList(input, problems, allowed));
}

/** What the demo records and makes, from its flags; `--encode auto` asks for FFmpeg on the PATH. */
async function recordingFlags(flags: DemoFlags, streams: number) {
  const media = choicesOf('--media', flags.media, MEDIA_KINDS);
  const version = await ffmpegVersion({});
  // Per speaker and mixed needs FFmpeg to mix; without it, Zoom's mixed stream gives audio.wav.
  const audioLayout =
    flags.audioLayout === undefined
      ? version === undefined
        ? 'auto'
        : 'both'
      : choiceOf('--audio-layout', flags.audioLayout, AUDIO_LAYOUTS);
  const audioCodec = choiceOf('--audio-codec', flags.audioCodec, AUDIO_CODECS);
  const videoCodec = choiceOf('--video-codec', flags.videoCodec, VIDEO_CODECS);
  let encode: EncodeFormat[];
  let encodeNote: string | undefined;
  if (flags.encode === 'auto') {
    encode = version !== undefined && streams <= DEMO_AUTO_ENCODE_MAX_STREAMS ? [...ENCODE_FORMATS] : [];
    encodeNote =
      version === undefined
        ? 'no Opus, MP3 or MP4 copies: FFmpeg is not installed (apt-get install ffmpeg)'
        : encode.length === 0
          ? `no copies for ${streams} meetings at once (pass --encode opus,mp3,mp4 to ask)`
          : `copies by ${version.replace(/ Copyright.*$/, '')}`;
  } else encode = choicesOf('--encode', flags.encode, ENCODE_FORMATS);
  return { media, audioLayout, audioCodec, videoCodec, encode, encodeNote };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the simulator and the service together: a recorded meeting with no Zoom account')
    .option('--duration <time>', 'length of each meeting', '30s')
    .option('--streams <n>', 'meetings at once (default: 1, or 6 with --fleet)')
    .option('--participants <k>', 'participants per meeting', '3')
    .option(
      '--fault <spec>',
      'simulator fault NAME[@TIME][:ARG], repeatable (e.g. drop-media@10s)',
      collect,
      [],
    )
    .option('--data-dir <dir>', 'where recordings and the database go', './data')
    .option('--report <file>', 'write the simulator report and the service snapshot as JSON')
    .option('--time-scale <x>', 'play the meeting x times faster', '1')
    .option('--verbose', 'print the service log')
    .option('--port <n>', 'port of the service and its dashboard (0: any free port)', '0')
    .option('--keep', 'keep the service and its dashboard up after the meetings, until Ctrl-C')
    .option('--media <kinds>', `media kinds to record: ${MEDIA_KINDS.join(', ')}`, DEMO_MEDIA)
    .option(
      '--audio-layout <layout>',
      `audio files: ${AUDIO_LAYOUTS.join(', ')} (default: both when FFmpeg is installed, else auto)`,
    )
    .option('--audio-codec <codec>', `audio codec asked of Zoom: ${AUDIO_CODECS.join(', ')}`, 'l16')
    .option('--video-codec <codec>', `video codec asked of Zoom: ${VIDEO_CODECS.join(', ')}`, 'h264')
    .option(
      '--encode <formats>',
      `copies once each meeting ends: ${ENCODE_FORMATS.join(', ')}, none, or auto (all of them when FFmpeg is installed)`,
      'auto',
    )
    .option(
      '--fleet <n>',
      'run n instances on one Redis behind a proxy, kill -9 the busiest mid-meeting, and show the takeover',
    )
    .action(async (flags: DemoFlags) => {
      const code = flags.fleet === undefined ? await runDemo(flags) : await fleetDemo(flags);
      process.exitCode = code;
    });
}

async function fleetDemo(flags: DemoFlags): Promise<number> {
  const size = fleetSizeOf(flags.fleet ?? '');
  const { durationMs, streams, participants, timeScale, faults } = parseFlags({
    ...flags,
    streams: flags.streams ?? '6',
  });
  // Leases, heartbeats and takeovers run on the real clock: a faster meeting would end Zoom's windows first.
  if (timeScale !== 1) throw CliError.badValue('--time-scale', flags.timeScale, '1 with --fleet');
  if (faults.length > 0)
    throw new CliError('--fault cannot be used with --fleet: the fleet demo kills an instance itself');
  const out = (line: string) => process.stdout.write(`${line}\n`);
  return runFleetDemo({ size, streams, participants, durationMs, dataDir: flags.dataDir, out });
}

async function runDemo(flags: DemoFlags): Promise<number> {
  const { durationMs, streams, participants, timeScale, faults } = parseFlags(flags);
  const recording = await recordingFlags(flags, streams);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const dataDir = resolve(flags.dataDir);
  const app = { clientId: `demo_${token().slice(0, 12)}`, clientSecret: token(), secretToken: token() };
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw CliError.badValue('--port', flags.port, 'a port number, 0 to 65535');
  const config: ServiceConfig = {
    port,
    host: '127.0.0.1',
    webhookPath: '/webhook',
    dataDir,
    storeUrl: `sqlite:${resolve(dataDir, 'rtmskit.db')}`,
    redisPassword: undefined,
    instanceId: 'demo',
    media: recording.media,
    audioLayout: recording.audioLayout,
    audioCodec: recording.audioCodec,
    videoCodec: recording.videoCodec,
    encodeJobs: DEFAULT_ENCODE_JOBS,
    ...(recording.encode.length === 0 ? {} : { encode: recording.encode }),
    allowedHosts: ['*.zoom.us'],
    allowLoopback: true,
    maxConcurrentHandshakes: DEFAULT_MAX_CONCURRENT_HANDSHAKES,
    adminToken: undefined,
    trustProxy: false,
    http: { ...DEFAULT_HTTP_LIMITS },
    retention: { ...DEFAULT_RETENTION },
    logLevel: flags.verbose ? 'info' : 'error',
    app,
    videoSdk: undefined,
    insecureSkipVerify: false,
    rest: undefined,
  };
  const outcomes = new Map<string, StreamOutcome>();
  const outcome = (streamId: string): StreamOutcome => {
    let o = outcomes.get(streamId);
    if (!o) {
      o = {
        streamId,
        closed: undefined,
        snapshot: undefined,
        dir: undefined,
        manifest: undefined,
        reconnects: 0,
      };
      outcomes.set(streamId, o);
    }
    return o;
  };
  const logger = createLogger({ level: config.logLevel, pretty: false, destination: process.stderr });
  const service = await RtmsService.start(config, {
    logger,
    onRecordingFinalized: (manifest, ref) => {
      outcome(ref.streamId).manifest = manifest;
    },
  });
  const { manager } = service;
  // A recording is complete once the files made after the stream are (decoded audio, copies, MP4).
  const completed = new Set<string>();
  service.bus.subscribe({ types: new Set(['recordingFinished']) }, (event) => completed.add(event.streamId));
  // First, so a newcomer can open it and watch the meeting happen.
  out(`rtmskit demo: dashboard at ${service.url}/ (open it to watch the meeting live)`);
  manager.on('streamAdded', (ref) => {
    const recording = service.recorder.recordings().find((r) => r.ref.streamId === ref.streamId);
    outcome(ref.streamId).dir = recording?.dir;
    out(`  stream ${ref.streamId}: connecting to the simulator`);
  });
  manager.on('stateChange', (ref, { to }) => {
    if (to === 'ready') out(`  stream ${ref.streamId}: streaming`);
  });
  manager.on('reconnecting', (ref, e) => {
    if (e.attempt === 1)
      out(
        `  stream ${ref.streamId}: reconnecting ${e.scope === 'all' ? 'everything' : e.kinds.join('+')} (${e.reason})`,
      );
  });
  manager.on('reconnected', (ref, e) => {
    outcome(ref.streamId).reconnects++;
    out(`  stream ${ref.streamId}: recovered in ${Math.round(e.downtimeMs)} ms`);
  });
  manager.on('closed', (ref, closed) => {
    const o = outcome(ref.streamId);
    o.closed = closed;
    o.snapshot = manager.snapshot(ref.streamId);
  });

  const sim = await Simulator.start({
    webhookUrl: `${service.url}${config.webhookPath}`,
    credentials: app,
    timeScale,
    participants,
    durationMs,
    faults,
  });
  const stopAll = async () => {
    for (const id of sim.streamIds())
      if (sim.stream(id).state !== 'ended') sim.stopStream(id, StopReason.HOST_TRIGGERED);
  };
  const detach = onShutdownSignals(stopAll, out);
  out(`  simulator ${sim.url}, service ${service.url}`);
  out(
    `  ${streams} meeting${streams > 1 ? 's' : ''} of ${participants} participants for ${flags.duration}${faults.length ? `, faults: ${flags.fault.join(' ')}` : ''}`,
  );
  out(
    `  recording ${recording.media.join(', ')}; audio ${recording.audioLayout}, ${recording.audioCodec}; video ${recording.videoCodec}` +
      (recording.encode.length > 0 ? `; then ${recording.encode.join(', ')}` : '') +
      (recording.encodeNote ? ` (${recording.encodeNote})` : ''),
  );
  for (let i = 0; i < streams; i++) sim.startStream();
  await sim.whenIdle();
  const deadline = Date.now() + DEMO_DRAIN_MS;
  while (manager.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const encodeDeadline = Date.now() + DEMO_ENCODE_MS_PER_STREAM * outcomes.size;
  if ([...outcomes.keys()].some((id) => !completed.has(id))) out('  making the files of each recording…');
  while ([...outcomes.keys()].some((id) => !completed.has(id)) && Date.now() < encodeDeadline)
    await new Promise((r) => setTimeout(r, 50));
  const simReport = sim.stats();
  await sim.close();
  detach();
  if (flags.keep) {
    // The recordings are complete on disk before the summary reads them; the service stays up.
    await Promise.all([...outcomes.keys()].map((id) => service.recorder.settled(id)));
  } else await service.shutdown();

  await refreshManifests(outcomes.values());
  const ok = await printSummary(out, dataDir, [...outcomes.values()], simReport);
  if (flags.keep) {
    out('');
    out(`the dashboard stays at ${service.url}/ with the recordings; Ctrl-C to stop`);
    await new Promise<void>((resolve) => {
      const off = onShutdownSignals(async () => {
        off();
        resolve();
      }, out);
    });
    await service.shutdown();
  }
  if (flags.report) {
    const report = {
      simulator: simReport,
      service: [...outcomes.values()].map((o) => ({
        streamId: o.streamId,
        closed: o.closed
          ? { reason: o.closed.reason, stopReason: o.closed.stopReason, error: o.closed.error?.message }
          : null,
        snapshot: o.snapshot ?? null,
        recording: o.dir ?? null,
        manifest: o.manifest ?? null,
      })),
    };
    await writeFile(flags.report, `${JSON.stringify(report, null, 2)}\n`);
    out(`report written to ${flags.report}`);
  }
  return ok ? 0 : 1;
}
