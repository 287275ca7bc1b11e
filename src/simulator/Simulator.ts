/**
 * The Zoom side of RTMS on localhost: webhooks, signaling and media servers, REST and OAuth, with fault
 * injection. Shares only `protocol/` with the rtmskit client, so neither can hide the other's bugs.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { StopReason } from '../protocol/enums.js';
import { RtmsError } from '../protocol/errors.js';
import { ALL_MEDIA_URL_KEY, ZOOM_MEDIA_URL_KEYS } from '../protocol/mediaUrls.js';
import { PRODUCT_INFO, type Product, URL_VALIDATION_EVENT } from '../protocol/products.js';
import { CodedAudioLibrary } from './content/codedAudio.js';
import { PictureLibrary } from './content/pictures.js';
import { buildScenario, type Scenario } from './content/scenario.js';
import { readWav, WavAudioSource } from './content/wavSource.js';
import { checkFault, type Fault, parseFault } from './faults.js';
import { LifecycleWebhooks } from './lifecycleWebhooks.js';
import {
  type FrameMode,
  PRODUCT_KINDS,
  resolveCredentials,
  type SimulatorCredentials,
  type SimulatorOptions,
  type StreamOptions,
  type Timing,
  timingOf,
} from './options.js';
import { instanceIdFor, scenarioExtras } from './productScript.js';
import { PumpGroups } from './pumpGroups.js';
import { RtmsNode } from './RtmsNode.js';
import type { SimulatorReport } from './report.js';
import { RestApi } from './rest.js';
import { rtmsAction, simRoutes } from './restActions.js';
import { SimStream } from './SimStream.js';
import { routeSocket } from './socketRouting.js';
import type { StreamHost } from './stream/host.js';
import { Timeline } from './timeline.js';
import { generateCertificate } from './tls.js';
import type { WebhookNotice } from './webhookNotice.js';

export type { WebhookNotice };

export const DEFAULT_DURATION_MS = 30_000;
export const DEFAULT_PARTICIPANTS = 3;

export interface SimStreamInfo {
  streamId: string;
  product: Product;
  /** The signed id (meeting_uuid, webinar_uuid, session_id or engagement_id). */
  instanceId: string;
  instanceKey: string;
  meetingId: string;
  /** Signaling URL of the server that serves the stream now. */
  serverUrls: string[];
  durationMs: number;
  /** Epoch ms of the stream's simulated time 0: every timestamp it sends is this plus simulated ms. */
  clockBaseMs: number;
}

export interface SimLogEntry {
  at: number;
  streamId?: string;
  text: string;
}

export interface SimulatorEvents {
  log: [entry: SimLogEntry];
  webhook: [notice: WebhookNotice];
  streamStarted: [info: SimStreamInfo];
  streamEnded: [info: SimStreamInfo, stopReason: number];
}

export class Simulator extends EventEmitter<SimulatorEvents> implements AsyncDisposable {
  readonly credentials: SimulatorCredentials;
  readonly timing: Timing;
  private readonly options: SimulatorOptions;
  private readonly nodes: RtmsNode[] = [];
  private readonly streamsById = new Map<string, SimStream>();
  private readonly pump = new PumpGroups();
  private readonly rest: RestApi;
  private readonly webhooks: LifecycleWebhooks;
  private readonly tls: { key: string; cert: string } | undefined;
  private readonly host: StreamHost;
  private urlValidation: SimulatorReport['urlValidation'];
  private closed = false;

  private constructor(
    options: SimulatorOptions,
    tls: { key: string; cert: string } | undefined,
    fixtures: { pictures: PictureLibrary; codedAudio: CodedAudioLibrary },
    wav?: WavAudioSource,
  ) {
    super();
    this.options = options;
    this.credentials = resolveCredentials(options.credentials);
    this.timing = timingOf(options);
    this.tls = tls;
    // Webhook retries and token lifetimes are never slowed below real time.
    const realTimeOrFaster = Math.max(1, this.timing.timeScale);
    this.rest = new RestApi({
      credentials: {
        accountId: this.credentials.accountId,
        clientId: this.credentials.s2sClientId,
        clientSecret: this.credentials.s2sClientSecret,
      },
      appClientId: this.credentials.clientId,
      timeScale: realTimeOrFaster,
      onRtmsAction: (meetingId, action) =>
        rtmsAction(this.streamsById.values(), meetingId, action, (id) => this.startStream({ meetingId: id })),
    });
    this.webhooks = new LifecycleWebhooks({
      webhookUrl: options.webhookUrl,
      credentials: this.credentials,
      timeScale: realTimeOrFaster,
      signalingUrlOf: (stream) => this.nodeById(stream.nodeId).signalingUrl,
      announce: (notice) => this.emit('webhook', notice),
      log: (streamId, text) => this.log(streamId, text),
    });
    this.host = this.streamHost(wav, fixtures);
  }

  /** Starts the servers (and the streams asked for in `options.streams`). */
  static async start(options: SimulatorOptions = {}): Promise<Simulator> {
    const tls = options.tls ? await generateCertificate(options.host ?? '127.0.0.1') : undefined;
    const wav = options.audioWav ? new WavAudioSource(await readWav(options.audioWav)) : undefined;
    const [pictures, codedAudio] = await Promise.all([PictureLibrary.load(), CodedAudioLibrary.load()]);
    const sim = new Simulator(options, tls, { pictures, codedAudio }, wav);
    try {
      await sim.addNode(options.port ?? 0);
      sim.pump.start();
      if (options.webhookUrl) {
        sim.urlValidation = await sim.webhooks.validateUrl();
        const v = sim.urlValidation;
        sim.log(undefined, `${URL_VALIDATION_EVENT}: ${v.ok ? 'ok' : `FAILED (${v.reason ?? v.status})`}`);
      }
      for (let i = 0; i < (options.streams ?? 0); i++) sim.startStream();
    } catch (err) {
      // A start that fails half way leaves no server listening and no timer running.
      await sim.close();
      throw err;
    }
    return sim;
  }

  /** Base URL of REST and OAuth (`http://host:port`). */
  get url(): string {
    return this.firstNode.httpUrl;
  }

  /** Signaling URL of the first server. */
  get signalingUrl(): string {
    return this.firstNode.signalingUrl;
  }

  /** The certificate of `wss://` / `https://`, to trust in clients. */
  get certificate(): string | undefined {
    return this.tls?.cert;
  }

  private get frames(): FrameMode {
    return this.options.frames ?? 'text';
  }

  private get firstNode(): RtmsNode {
    const node = this.nodes[0];
    if (!node) throw RtmsError.closed('simulator');
    return node;
  }

  private async addNode(port: number): Promise<RtmsNode> {
    const node = await RtmsNode.listen(
      this.nodes.length,
      this.options.host ?? '127.0.0.1',
      port,
      {
        http: (req, res) => {
          if (!this.rest.handle(req, res)) simRoutes(req, res, () => this.stats());
        },
        signaling: (ws, n) => routeSocket(ws, n, 'signaling', this.frames, (id) => this.streamsById.get(id)),
        media: (ws, n) => routeSocket(ws, n, 'media', this.frames, (id) => this.streamsById.get(id)),
      },
      this.tls,
    );
    // A failover's new server that finishes listening after close() must not outlive the simulator.
    if (this.closed) {
      await node.close();
      throw RtmsError.closed('simulator');
    }
    this.nodes.push(node);
    return node;
  }

  private nodeById(id: number): RtmsNode {
    return this.nodes[id] ?? this.firstNode;
  }

  // -------------------------------------------------------------------------------------------------
  // Streams

  /** Starts a stream: sends its `rtms_started` webhook and waits for the app to connect. */
  startStream(options: StreamOptions = {}): SimStreamInfo {
    if (this.closed) throw RtmsError.closed('simulator');
    const product = options.product ?? this.options.product ?? 'meeting';
    const durationMs = options.durationMs ?? this.options.durationMs ?? DEFAULT_DURATION_MS;
    const participants = options.participants ?? this.options.participants ?? DEFAULT_PARTICIPANTS;
    for (const { fault } of [...(this.options.faults ?? []), ...(options.faults ?? [])]) checkFault(fault);
    const scenario = buildScenario({
      participants,
      durationMs,
      seed: options.seed ?? randomInt(1, 2 ** 31),
      ...(options.speech === undefined ? {} : { speech: options.speech }),
      ...scenarioExtras(product, options.ivr ?? true, options.interpretation ?? this.options.interpretation),
    });
    const instanceId = instanceIdFor(product);
    const stream = new SimStream(this.host, {
      streamId: randomBytes(16).toString('hex'),
      product,
      instanceId,
      meetingId: options.meetingId ?? String(randomInt(80_000_000_000, 99_999_999_999)),
      ...(product === 'session' ? { sessionKey: `session-${randomBytes(4).toString('hex')}` } : {}),
      operatorId: randomBytes(11).toString('base64url'),
      accountId: this.credentials.accountId,
      timeline: new Timeline(scenario),
      durationMs,
      faults: [...(this.options.faults ?? []), ...(options.faults ?? [])],
      nodeId: this.firstNode.id,
    });
    this.pump.add(stream);
    this.streamsById.set(stream.streamId, stream);
    stream.start();
    const info = this.info(stream);
    this.emit('streamStarted', info);
    return info;
  }

  /**
   * What the stream's meeting holds, as scripted when it started: who joins, speaks (with each turn's
   * start and end in simulated ms), shares and chats when. For checking what an app recorded.
   *
   * @throws RtmsError `INVALID_OPTIONS` for a stream this simulator never started.
   */
  scenario(streamId: string): Scenario {
    const stream = this.streamsById.get(streamId);
    if (stream === undefined)
      throw RtmsError.invalidOptions(
        `no stream ${streamId} in this simulator`,
        'pass a streamId startStream returned',
      );
    return stream.timeline.scenario;
  }

  private info(stream: SimStream): SimStreamInfo {
    return {
      streamId: stream.streamId,
      product: stream.product,
      instanceId: stream.instanceId,
      instanceKey: PRODUCT_INFO[stream.product].instanceKey,
      meetingId: stream.meetingId,
      serverUrls: [this.nodeById(stream.nodeId).signalingUrl],
      durationMs: stream.durationMs,
      clockBaseMs: stream.tsBase,
    };
  }

  private requireStream(streamId: string): SimStream {
    const stream = this.streamsById.get(streamId);
    if (!stream)
      throw RtmsError.invalidOptions(`no simulated stream ${streamId}`, 'use an id from startStream()');
    return stream;
  }

  /** A stream's ids, current server and state. */
  stream(streamId: string): SimStreamInfo & { state: string } {
    const stream = this.requireStream(streamId);
    return { ...this.info(stream), state: stream.status };
  }

  streamIds(): string[] {
    return [...this.streamsById.keys()];
  }

  /** Injects a fault now, e.g. `sim.fault(id, { type: 'drop-media', kind: 'audio' })` or `sim.fault(id, 'failover')`. */
  fault(streamId: string, fault: Fault | string): void {
    const parsed = typeof fault === 'string' ? parseFault(fault).fault : fault;
    checkFault(parsed);
    this.requireStream(streamId).applyFault(parsed);
  }

  /** Ends a stream as Zoom would (default: the host stopped it). */
  stopStream(streamId: string, reason: number = StopReason.HOST_TRIGGERED): void {
    this.requireStream(streamId).end(reason);
  }

  /** Resolves when every stream has ended and every webhook delivery has settled. */
  async whenIdle(): Promise<void> {
    for (;;) {
      const live = [...this.streamsById.values()].some((s) => !s.ended);
      if (!live && this.webhooks.settled) return;
      if (live) {
        await new Promise<void>((resolve) => this.once('streamEnded', () => resolve()));
      } else {
        await this.webhooks.settle();
      }
    }
  }

  /** Makes every REST token expired (to test renewal). */
  expireTokens(): void {
    this.rest.expireTokens();
  }

  // -------------------------------------------------------------------------------------------------
  // Host

  private streamHost(
    wav: WavAudioSource | undefined,
    fixtures: { pictures: PictureLibrary; codedAudio: CodedAudioLibrary },
  ): StreamHost {
    const sim = this;
    const options = this.options;
    return {
      timing: this.timing,
      frames: this.frames,
      keepAliveMode: options.keepAlive ?? 'idle',
      duplicateSignaling: options.duplicateSignaling ?? 'reject',
      structuredChat: options.structuredChat ?? false,
      wav,
      audioCache: new Map(),
      ...fixtures,
      credentialsFor(product) {
        const c = sim.credentials;
        return product === 'session'
          ? { clientId: c.videoSdkKey, clientSecret: c.videoSdkSecret }
          : { clientId: c.clientId, clientSecret: c.clientSecret };
      },
      mediaServerUrls(stream) {
        const node = sim.nodeById(stream.nodeId);
        const urls: Record<string, string> = {};
        for (const kind of PRODUCT_KINDS[stream.product]) {
          const chosen = options.mediaUrlKeys?.[kind];
          const key = chosen === undefined ? ZOOM_MEDIA_URL_KEYS[kind] : chosen;
          if (key !== null) urls[key] = node.mediaUrl(key);
        }
        urls[ALL_MEDIA_URL_KEY] = node.mediaUrl(ALL_MEDIA_URL_KEY);
        return urls;
      },
      webhook: (stream, kind) => sim.webhooks.send(stream, kind),
      failover(stream) {
        void sim.addNode(0).then(
          (node) => {
            stream.onFailover(node.id);
            sim.log(stream.streamId, `failover to ${node.signalingUrl}`);
            sim.webhooks.send(stream, 'started');
          },
          (err: unknown) => sim.log(stream.streamId, `failover failed: ${(err as Error).message}`),
        );
      },
      resendStarted: (stream) => sim.webhooks.resendStarted(stream),
      log: (stream, line) => sim.log(stream.streamId, line),
      ended(stream) {
        sim.emit('streamEnded', sim.info(stream), stream.report().endReason ?? StopReason.UNDEFINED);
      },
    };
  }

  private log(streamId: string | undefined, text: string): void {
    this.emit('log', { at: Date.now(), ...(streamId === undefined ? {} : { streamId }), text });
  }

  // -------------------------------------------------------------------------------------------------
  // Report and teardown

  /** Everything the simulator saw: per stream counters and every webhook attempt. */
  stats(): SimulatorReport {
    return {
      streams: [...this.streamsById.values()].map((s) => s.report()),
      webhooks: this.webhooks.attempts(),
      ...(this.urlValidation ? { urlValidation: this.urlValidation } : {}),
    };
  }

  /** Stops everything: streams are dropped (no webhooks), pending deliveries cancelled. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pump.stop();
    for (const stream of this.streamsById.values()) stream.destroy();
    await this.webhooks.close();
    await Promise.all(this.nodes.map((n) => n.close()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
