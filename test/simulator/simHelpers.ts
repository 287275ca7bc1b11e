/**
 * Helpers for driving the simulator over loopback with the bare client of `rawClient.ts`: fast timings,
 * a webhook log, polling waits, and a stream opened up to its signaling handshake.
 */
import {
  type SimStreamInfo,
  Simulator,
  type SimulatorOptions,
  type StreamOptions,
  type StreamReport,
  type WebhookNotice,
} from '../../src/simulator/index.js';
import {
  connectMedia,
  connectSignaling,
  type RawMessage,
  type RawSocket,
  type StreamCredentials,
  type StreamIds,
} from './rawClient.js';

/** RTMS message types, spelled out here so the tests do not lean on rtmskit's own enums. */
export const MSG = {
  SIGNALING_RESP: 2,
  DATA_RESP: 4,
  EVENT_SUBSCRIPTION: 5,
  EVENT_UPDATE: 6,
  CLIENT_READY_ACK: 7,
  STREAM_STATE_UPDATE: 8,
  SESSION_STATE_UPDATE: 9,
  SESSION_STATE_REQ: 10,
  SESSION_STATE_RESP: 11,
  KEEP_ALIVE_REQ: 12,
  KEEP_ALIVE_RESP: 13,
  AUDIO: 14,
  VIDEO: 15,
  STREAM_STATE_REQ: 19,
  STREAM_STATE_RESP: 20,
  STREAM_CLOSE_REQ: 21,
  STREAM_CLOSE_RESP: 22,
  VIDEO_SUBSCRIPTION_REQ: 28,
  VIDEO_SUBSCRIPTION_RESP: 29,
} as const;

export const TIME_SCALE = 20;
/** Nominal ms; 100 ms real at {@link TIME_SCALE}. */
export const KEEP_ALIVE_NOMINAL_MS = 2_000;
export const KEEP_ALIVE_REAL_MS = KEEP_ALIVE_NOMINAL_MS / TIME_SCALE;
/** Nominal ms of both reconnect windows; 1 s real at {@link TIME_SCALE}. */
export const WINDOW_NOMINAL_MS = 20_000;
export const WINDOW_REAL_MS = WINDOW_NOMINAL_MS / TIME_SCALE;
/** Simulated length of a test stream: 30 s real, so no stream ends on its own during a test. */
export const LONG_STREAM_MS = 600_000;

export const FAST_OPTIONS = {
  timeScale: TIME_SCALE,
  keepAliveIntervalMs: KEEP_ALIVE_NOMINAL_MS,
  signalingWindowMs: WINDOW_NOMINAL_MS,
  mediaWindowMs: WINDOW_NOMINAL_MS,
} satisfies SimulatorOptions;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 10 ms; rejects with `what` after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean,
  timeoutMs = 3_000,
  what = 'a condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export type LifecycleKind = 'started' | 'stopped' | 'interrupted';

/** Every webhook notice the simulator emitted, in order. */
export class WebhookLog {
  readonly notices: WebhookNotice[] = [];

  constructor(sim: Simulator) {
    sim.on('webhook', (notice) => this.notices.push(notice));
  }

  of(kind: LifecycleKind, streamId?: string): WebhookNotice[] {
    return this.notices.filter(
      (n) => n.event.endsWith(`_${kind}`) && (streamId === undefined || n.streamId === streamId),
    );
  }

  /** Resolves with the `count`-th notice of a kind. */
  async waitFor(kind: LifecycleKind, count = 1, timeoutMs = 3_000): Promise<WebhookNotice> {
    await waitUntil(() => this.of(kind).length >= count, timeoutMs, `${count} ${kind} webhook(s)`);
    return this.of(kind)[count - 1] as WebhookNotice;
  }
}

/** Starts simulators with fast timings and closes them all in `cleanup`. */
export class SimHarness {
  private readonly sims: Simulator[] = [];

  async start(options: SimulatorOptions = {}): Promise<{ sim: Simulator; webhooks: WebhookLog }> {
    const sim = await Simulator.start({ ...FAST_OPTIONS, ...options });
    this.sims.push(sim);
    return { sim, webhooks: new WebhookLog(sim) };
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.sims.splice(0).map((sim) => sim.close()));
  }
}

/** The credentials a product signs with: Video SDK key and secret for sessions, the General app's else. */
export function credsFor(sim: Simulator, product: SimStreamInfo['product']): StreamCredentials {
  const c = sim.credentials;
  return product === 'session'
    ? { clientId: c.videoSdkKey, clientSecret: c.videoSdkSecret }
    : { clientId: c.clientId, clientSecret: c.clientSecret };
}

export function idsOf(info: SimStreamInfo): StreamIds {
  return { streamId: info.streamId, instanceId: info.instanceId, instanceKey: info.instanceKey };
}

export function signalingUrlOf(info: SimStreamInfo): string {
  const url = info.serverUrls[0];
  if (url === undefined) throw new Error(`stream ${info.streamId} has no server URL`);
  return url;
}

/** `media_server.server_urls` of a msg 2. */
export function mediaUrlsOf(response: RawMessage): Record<string, string> {
  const server = response.media_server as { server_urls?: Record<string, string> } | undefined;
  return server?.server_urls ?? {};
}

export function urlOf(urls: Record<string, string>, key: string): string {
  const url = urls[key];
  if (url === undefined) throw new Error(`no media URL "${key}" in ${JSON.stringify(urls)}`);
  return url;
}

export function reportOf(sim: Simulator, streamId: string): StreamReport {
  const report = sim.stats().streams.find((s) => s.streamId === streamId);
  if (!report) throw new Error(`no report for stream ${streamId}`);
  return report;
}

export interface OpenStream {
  info: SimStreamInfo;
  ids: StreamIds;
  creds: StreamCredentials;
  signaling: RawSocket;
  response: RawMessage;
  urls: Record<string, string>;
}

/** Starts a (long) stream and connects its signaling; throws unless the handshake succeeded. */
export async function openStream(sim: Simulator, options: StreamOptions = {}): Promise<OpenStream> {
  const info = sim.startStream({ durationMs: LONG_STREAM_MS, ...options });
  const creds = credsFor(sim, info.product);
  const ids = idsOf(info);
  const { socket, response } = await connectSignaling(signalingUrlOf(info), creds, ids);
  if (response.status_code !== 0) throw new Error(`signaling handshake failed: ${JSON.stringify(response)}`);
  return { info, ids, creds, signaling: socket, response, urls: mediaUrlsOf(response) };
}

/** Handshakes one media socket of an open stream (URL `key`), whatever the answer. */
export function connectStreamMedia(
  stream: OpenStream,
  key: string,
  mediaType: number,
  mediaParams?: Record<string, unknown>,
): ReturnType<typeof connectMedia> {
  return connectMedia(
    urlOf(stream.urls, key),
    stream.creds,
    stream.ids,
    stream.signaling,
    mediaType,
    mediaParams,
  );
}

/** Connects one media kind (and acks it); throws unless the handshake succeeded. */
export async function openMedia(
  stream: OpenStream,
  key: string,
  mediaType: number,
  mediaParams?: Record<string, unknown>,
): Promise<RawSocket> {
  const { socket, response } = await connectStreamMedia(stream, key, mediaType, mediaParams);
  if (response.status_code !== 0) throw new Error(`media handshake failed: ${JSON.stringify(response)}`);
  return socket;
}

export function openAudio(stream: OpenStream, mediaParams?: Record<string, unknown>): Promise<RawSocket> {
  return openMedia(stream, 'audio', 1, mediaParams);
}

/** Counts of one message type, for before/after comparisons. */
export function count(socket: RawSocket, type: number): number {
  return socket.ofType(type).length;
}

/** Index of the next message a `waitFor(..., from)` should look at. */
export function mark(socket: RawSocket): number {
  return socket.received.length;
}
