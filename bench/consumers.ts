/**
 * The consumers an ingest child process can run, each built from nothing but its own imports:
 *
 * - `floor`: bare `ws` + JSON.parse + base64 (bench/floorConsumer.ts).
 * - `transport`: the same floor on rtmskit's own WebSocket client: the least rtmskit's sockets cost.
 * - `rtmskit`: a `StreamManager` with no-op listeners, live media only, as in the ingest comparison.
 * - `library`: a `StreamManager` with no-op listeners and the stream options the service gives it.
 * - `service`: `rtmskit serve`: an `RtmsService` configured the way the CLI configures it, recording
 *   every stream (WAV, transcripts, events) into a temporary data folder with the sqlite store.
 * - `outputs`: the same service on a Redis store, so every event also goes to Redis Streams
 *   (`rtmskit:events`); the benchmark adds SSE subscribers from outside the process.
 */
import type { StreamManager } from '../src/manager/StreamManager.js';
import { parseWebhookEvent, type RtmsStartedEvent } from '../src/webhook/events.js';

export type ConsumerKind = 'floor' | 'transport' | 'rtmskit' | 'library' | 'service' | 'outputs';

export const BENCH_CREDENTIALS = {
  clientId: 'bench-client',
  clientSecret: 'bench-secret',
  secretToken: 'bench-webhook-token',
} as const;

/** Media kinds every consumer takes. */
export const BENCH_MEDIA = ['audio', 'transcript'] as const;

/**
 * Connect and handshake timeout of the `rtmskit` consumer (Zoom's defaults are 10 s): the floor waits for
 * its sockets without a deadline; on 2 cores the low-priority simulator can be slow to accept while a
 * thousand streams start, and a retry only adds to its queue.
 */
const SLOW_START_TIMEOUT_MS = 30_000;

export interface Consumer {
  /** Where the simulator posts webhooks; absent when they are handed over with `onWebhook`. */
  webhookUrl: string | undefined;
  onWebhook(body: string): void;
  /** Streams whose media sockets are all up now. */
  connected(): number;
  /** Streams per status, and why streams ended, when not all are connected. */
  diagnosis(): string;
  /** The `rtmskit serve` command line this consumer amounts to, for the service. */
  describe: string | undefined;
}

export interface ConsumerSetup {
  kind: ConsumerKind;
  /** Called once per media message delivered. */
  count: () => void;
  /** Data folder of the service. */
  dataDir: string | undefined;
  /** Store of the service (`RTMSKIT_STORE_URL`); its default (sqlite in the data folder) without it. */
  storeUrl?: string | undefined;
}

function parsedStarted(body: string): RtmsStartedEvent | undefined {
  const parsed = parseWebhookEvent(JSON.parse(body) as Record<string, unknown>);
  return parsed.ok && parsed.event?.kind === 'started' ? parsed.event : undefined;
}

function tally(values: Iterable<string>): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
}

async function floor(setup: ConsumerSetup): Promise<Consumer> {
  const { floorConsumer } = await import('./floorConsumer.js');
  let ready = 0;
  let opened = 0;
  return {
    webhookUrl: undefined,
    describe: undefined,
    onWebhook: (body) => {
      const event = parsedStarted(body);
      if (!event) return;
      opened++;
      floorConsumer(
        event,
        BENCH_CREDENTIALS,
        setup.count,
        () => ready++,
        setup.kind === 'transport' ? 'wsclient' : 'ws',
      );
    },
    connected: () => ready,
    diagnosis: () => `${opened} streams opened, ${ready} with both media sockets up`,
  };
}

/** What a StreamManager-based consumer reports: ready streams, statuses, why streams ended. */
function managerView(manager: StreamManager, count: () => void): Pick<Consumer, 'connected' | 'diagnosis'> {
  const ended: string[] = [];
  manager.on('audio', count);
  manager.on('transcript', count);
  manager.on('streamRemoved', (_ref, closed) =>
    ended.push(`${closed.reason}${closed.error ? ` (${closed.error.code}: ${closed.error.message})` : ''}`),
  );
  return {
    connected: () => manager.streams().filter((s) => s.status === 'ready').length,
    diagnosis: () =>
      `statuses: ${tally(manager.streams().map((s) => s.status)) || 'none'}` +
      (ended.length > 0 ? `; ended: ${tally(ended)}` : ''),
  };
}

async function manager(setup: ConsumerSetup, asService: boolean): Promise<Consumer> {
  const { StreamManager } = await import('../src/manager/StreamManager.js');
  const m = new StreamManager({
    credentials: BENCH_CREDENTIALS,
    // `library` takes what RtmsService gives its manager (src/service/Service.ts), so that the service
    // comparison measures what the service adds and nothing else.
    stream: asService
      ? { media: [...BENCH_MEDIA], allowLoopback: true }
      : {
          allowLoopback: true,
          media: [...BENCH_MEDIA],
          bufferData: false,
          timeouts: { connectMs: SLOW_START_TIMEOUT_MS, handshakeMs: SLOW_START_TIMEOUT_MS },
        },
  });
  return {
    webhookUrl: undefined,
    describe: undefined,
    onWebhook: (body) => {
      const event = parsedStarted(body);
      if (event) void m.handleWebhook(event);
    },
    ...managerView(m, setup.count),
  };
}

async function service(setup: ConsumerSetup): Promise<Consumer> {
  const [{ loadConfig }, { RtmsService }] = await Promise.all([
    import('../src/service/config.js'),
    import('../src/service/Service.js'),
  ]);
  const dataDir = setup.dataDir;
  if (dataDir === undefined) throw new Error('the service consumer needs a data folder');
  // What `rtmskit serve` does with these flags and this environment (src/cli/serve.ts).
  const flags = { port: 0, dataDir, media: BENCH_MEDIA.join(','), logLevel: 'error' };
  const env = {
    ZOOM_CLIENT_ID: BENCH_CREDENTIALS.clientId,
    ZOOM_CLIENT_SECRET: BENCH_CREDENTIALS.clientSecret,
    ZOOM_SECRET_TOKEN: BENCH_CREDENTIALS.secretToken,
    RTMSKIT_ALLOW_LOOPBACK: 'true',
    ...(setup.storeUrl === undefined ? {} : { RTMSKIT_STORE_URL: setup.storeUrl }),
  };
  const config = loadConfig(flags, env, dataDir);
  const svc = await RtmsService.start(config);
  return {
    webhookUrl: `${svc.url}${config.webhookPath}`,
    describe:
      `RTMSKIT_ALLOW_LOOPBACK=true rtmskit serve --port 0 --data-dir <tmp> --media ${flags.media} ` +
      `--log-level error (store ${config.storeUrl.split(':')[0]}${config.redisStreams ? ', Redis Streams rtmskit:events' : ''}, ` +
      `audio layout ${config.audioLayout})`,
    onWebhook: () => undefined,
    ...managerView(svc.manager, setup.count),
  };
}

export function createConsumer(setup: ConsumerSetup): Promise<Consumer> {
  switch (setup.kind) {
    case 'floor':
    case 'transport':
      return floor(setup);
    case 'rtmskit':
      return manager(setup, false);
    case 'library':
      return manager(setup, true);
    case 'service':
    case 'outputs':
      return service(setup);
  }
}
