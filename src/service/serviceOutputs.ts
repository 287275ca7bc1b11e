/**
 * The service's optional outputs, built from its configuration: outbound webhooks (`RTMSKIT_NOTIFY_URL`)
 * and encoded copies of recordings (`RTMSKIT_ENCODE`).
 */
import type { Logger } from 'pino';
import type { StreamRef } from '../manager/StreamManager.js';
import { Encoder, ffmpegVersion, hasEncodingWork } from '../media/encode/index.js';
import type { RecordingManifest } from '../media/manifest.js';
import { RECORDER_CLOSED_REASON } from '../media/Recorder.js';
import type { EventBus } from '../outputs/EventBus.js';
import { Notifier, type NotifierTuning } from '../outputs/notify/Notifier.js';
import { recordingFinishedData } from '../outputs/recordingEvent.js';
import { StopReason } from '../protocol/enums.js';
import type { Store } from '../store/Store.js';
import type { ServiceConfig } from './config.js';

/** How a run ends when this process's own shutdown closes its stream: Zoom's stream goes on. */
const CUT_BY_SHUTDOWN: ReadonlySet<string> = new Set(['closed', RECORDER_CLOSED_REASON]);

/**
 * The outbound webhooks of `config.notify`, listening and sending. What the service's own shutdown does
 * to a stream is no news for a receiver: the stream goes on at Zoom and a restart resumes it, so its
 * `stream.ended` and the `recording.completed` of the run cut short are not sent (the run that really
 * ends, later, lists the earlier runs too).
 */
export function startNotifier(
  config: ServiceConfig,
  store: Store,
  bus: EventBus,
  context: { logger: Logger; now: () => number; stopping: () => boolean; tuning?: NotifierTuning },
): Notifier | undefined {
  const { logger, now, stopping } = context;
  if (config.notify === undefined) return undefined;
  const notifier = new Notifier({
    ...context.tuning,
    store,
    url: config.notify.url,
    secret: config.notify.secret,
    logger: logger.child({ component: 'notify' }),
    now,
  });
  notifier.listen(bus, new Set(config.notify.events), {
    skip: (event) =>
      stopping() &&
      ((event.type === 'streamEnded' && event.data.reason === 'closed') ||
        (event.type === 'recordingFinished' && CUT_BY_SHUTDOWN.has(String(event.data.endReason)))),
  });
  notifier.start();
  logger.info({ url: redactedUrl(config.notify.url), events: config.notify.events }, 'outbound webhooks on');
  return notifier;
}

/** The URL without its query, which may hold a token of the receiver's. */
function redactedUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}${parsed.search ? '?…' : ''}`;
}

/**
 * The post-processor of finished recordings: G.722 and Opus audio decoded to WAV, and the copies of
 * `RTMSKIT_ENCODE`. Each recording, once done, is published as finished (with its outputs); `unfinished`,
 * recordings whose post-processing a stop or crash cut short, are queued again now.
 */
export function startEncoder(
  config: ServiceConfig,
  bus: EventBus,
  logger: Logger,
  unfinished: readonly string[],
): Encoder {
  const encoder = new Encoder({
    formats: config.encode ?? [],
    concurrency: config.encodeJobs,
    onEncoded: (dir, manifest) => {
      const { outputs = [], failures = [] } = manifest.encoding ?? {};
      if (failures.length > 0)
        logger.error(
          { dir, failures: failures.map((f) => `${f.path}: ${f.error}`) },
          'recording not encoded',
        );
      logger.info({ dir, outputs: outputs.map((o) => o.path) }, 'recording encoded');
      if (manifest.streamId === undefined) return;
      const ref: StreamRef = {
        streamId: manifest.streamId,
        product: (manifest.product ?? 'meeting') as StreamRef['product'],
        instanceId: manifest.instanceId ?? '',
        meetingId: manifest.meetingId ?? undefined,
      };
      bus.publish(ref, 'recordingFinished', recordingFinishedData(manifest, dir, config.dataDir));
    },
    onError: (dir, err) => logger.error({ err, dir }, 'recording encoding failed'),
  });
  for (const dir of unfinished) void encoder.add(dir);
  if (ffmpegNeeds(config).length > 0) void warnWithoutFfmpeg(config, logger);
  return encoder;
}

/**
 * Whether a finished run waits for the encoder before it is complete: it has audio to decode or copies
 * to make. Nothing is made from a revoked stream's files (they are about to be deleted), nor from a run
 * that goes on later (handed to another instance, or cut by this shutdown): the run that ends the
 * stream makes it all, its earlier runs' files included.
 */
export function needsPostProcessing(
  manifest: Partial<RecordingManifest>,
  encoder: Encoder,
  stopping: boolean,
): boolean {
  if (manifest.stopReason === StopReason.STREAM_REVOKED) return false;
  const goesOn =
    manifest.endReason === 'released' || (stopping && CUT_BY_SHUTDOWN.has(manifest.endReason ?? ''));
  return !goesOn && hasEncodingWork(manifest, encoder.formats);
}

/** The settings that make the service run FFmpeg after each stream, as `NAME=value`. */
function ffmpegNeeds(config: ServiceConfig): string[] {
  return [
    ...(config.encode === undefined || config.encode.length === 0
      ? []
      : [`RTMSKIT_ENCODE=${config.encode.join(',')}`]),
    ...(config.audioCodec === 'g722' || config.audioCodec === 'opus'
      ? [`RTMSKIT_AUDIO_CODEC=${config.audioCodec}`]
      : []),
    ...(config.audioLayout === 'both' ? ['RTMSKIT_AUDIO_LAYOUT=both'] : []),
  ];
}

/** Says once, at start, that FFmpeg is missing when the configuration needs it. */
async function warnWithoutFfmpeg(config: ServiceConfig, logger: Logger): Promise<void> {
  if ((await ffmpegVersion({})) !== undefined) return;
  const needs = ffmpegNeeds(config);
  logger.error(
    {
      needs,
      fix: 'install it (apt-get install ffmpeg) and restart; `rtmskit doctor` checks its encoders',
    },
    'FFmpeg is not installed: no copies or mix will be made and G.722 or Opus audio stays as received; WAV and video files are written all the same, and each manifest says why',
  );
}
