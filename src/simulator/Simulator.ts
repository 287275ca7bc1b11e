/**
 * The Zoom side of RTMS on localhost: webhooks, signaling and media servers, REST and OAuth, with fault
 * injection. Shares only `protocol/` with the rtmskit client, so neither can hide the other's bugs.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import type WebSocket from 'ws';
import { CloseCode } from '../protocol/closeCodes.js';
import { decodeFrame } from '../protocol/codec.js';
import { MessageType, StatusCode, StopReason } from '../protocol/enums.js';
import { RtmsError } from '../protocol/errors.js';
import type { RtmsMessage } from '../protocol/messages.js';
import {
  lifecycleEventName,
  PRODUCT_INFO,
  type Product,
  URL_VALIDATION_EVENT,
} from '../protocol/products.js';
import { HANDSHAKE_WAIT_MS, PROTOCOL_VERSION } from '../protocol/timing.js';
import { buildScenario } from './content/scenario.js';
import { readWav, WavAudioSource } from './content/wavSource.js';
import { checkFault, type Fault, parseFault } from './faults.js';
import {
  PRODUCT_KINDS,
  PUMP_SLOTS,
  PUMP_TICK_MS,
  resolveCredentials,
  type SimulatorCredentials,
  type SimulatorOptions,
  type StreamOptions,
  type Timing,
  timingOf,
} from './options.js';
import { RtmsNode } from './RtmsNode.js';
import type { SimulatorReport } from './report.js';
import { RestApi, type RtmsAction, type RtmsActionResult } from './rest.js';
import { sendUnwrapped } from './SimSocket.js';
import { SimStream } from './SimStream.js';
import type { LifecycleWebhook, StreamHost } from './stream/host.js';
import { Timeline } from './timeline.js';
import { generateCertificate } from './tls.js';
import { WebhookSender } from './webhookSender.js';

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
}

/** A webhook the simulator sent (or would have sent, without a webhook URL). */
export interface WebhookNotice {
  event: string;
  streamId?: string;
  eventTs: number;
  /** The exact body bytes. */
  body: Buffer;
  payload: Record<string, unknown>;
  /** A re-delivery of an earlier body (duplicate or late retry fault). */
  duplicate: boolean;
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

function base64Id(): string {
  return randomBytes(16).toString('base64');
}

export class Simulator extends EventEmitter<SimulatorEvents> implements AsyncDisposable {
  readonly credentials: SimulatorCredentials;
  readonly timing: Timing;
  private readonly options: SimulatorOptions;
  private readonly nodes: RtmsNode[] = [];
  private readonly streamsById = new Map<string, SimStream>();
  /** Live streams by pump group; a stream leaves its group once it has ended. */
  private readonly pumpSlots: SimStream[][] = Array.from({ length: PUMP_SLOTS }, () => []);
  /** Index of the last pump group run, counted in slot periods since the time origin. */
  private lastPumpSlot = -1;
  private readonly rest: RestApi;
  private readonly senders = new Map<string, WebhookSender>();
  private readonly pendingDeliveries = new Set<Promise<unknown>>();
  /** Per stream, its latest lifecycle delivery. */
  private readonly lastDelivery = new Map<string, Promise<unknown>>();
  private readonly tls: { key: string; cert: string } | undefined;
  private readonly host: StreamHost;
  private ticker: NodeJS.Timeout | undefined;
  private urlValidation: SimulatorReport['urlValidation'];
  private closed = false;

  private constructor(
    options: SimulatorOptions,
    tls: { key: string; cert: string } | undefined,
    wav?: WavAudioSource,
  ) {
    super();
    this.options = options;
    this.credentials = resolveCredentials(options.credentials);
    this.timing = timingOf(options);
    this.tls = tls;
    this.rest = new RestApi({
      credentials: {
        accountId: this.credentials.accountId,
        clientId: this.credentials.s2sClientId,
        clientSecret: this.credentials.s2sClientSecret,
      },
      appClientId: this.credentials.clientId,
      timeScale: Math.max(1, this.timing.timeScale),
      onRtmsAction: (meetingId, action) => this.onRtmsAction(meetingId, action),
    });
    this.host = this.streamHost(wav);
  }

  /** Starts the servers (and the streams asked for in `options.streams`). */
  static async start(options: SimulatorOptions = {}): Promise<Simulator> {
    const tls = options.tls ? await generateCertificate(options.host ?? '127.0.0.1') : undefined;
    const wav = options.audioWav ? new WavAudioSource(await readWav(options.audioWav)) : undefined;
    const sim = new Simulator(options, tls, wav);
    await sim.addNode(options.port ?? 0);
    sim.ticker = setInterval(() => sim.tick(), PUMP_TICK_MS / PUMP_SLOTS);
    sim.ticker.unref();
    if (options.webhookUrl) {
      sim.urlValidation = await sim
        .sender(sim.credentials.secretToken, sim.credentials.clientId)
        .validateUrl();
      const v = sim.urlValidation;
      sim.log(undefined, `${URL_VALIDATION_EVENT}: ${v.ok ? 'ok' : `FAILED (${v.reason ?? v.status})`}`);
    }
    for (let i = 0; i < (options.streams ?? 0); i++) sim.startStream();
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
        http: (req, res) => this.onHttp(req, res),
        signaling: (ws, n) => this.onSocket(ws, n, 'signaling'),
        media: (ws, n) => this.onSocket(ws, n, 'media'),
      },
      this.tls,
    );
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
    const scenario = buildScenario({ participants, durationMs, seed: options.seed ?? randomInt(1, 2 ** 31) });
    const instanceId = product === 'contact_center' ? `engm_${randomBytes(12).toString('hex')}` : base64Id();
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
    // Streams are never forgotten, so the count spreads them over the groups in turn.
    this.pumpSlots[this.streamsById.size % PUMP_SLOTS]?.push(stream);
    this.streamsById.set(stream.streamId, stream);
    stream.start();
    const info = this.info(stream);
    this.emit('streamStarted', info);
    return info;
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
      if (!live && this.pendingDeliveries.size === 0) return;
      if (live) {
        await new Promise<void>((resolve) => this.once('streamEnded', () => resolve()));
      } else {
        await Promise.allSettled([...this.pendingDeliveries]);
      }
    }
  }

  /** Runs the pump groups that came due since the last run (each group every `PUMP_TICK_MS`). */
  private tick(): void {
    const slot = Math.floor(performance.now() / (PUMP_TICK_MS / PUMP_SLOTS));
    const first = Math.max(this.lastPumpSlot + 1, slot - PUMP_SLOTS + 1);
    this.lastPumpSlot = slot;
    for (let s = first; s <= slot; s++) {
      const group = this.pumpSlots[s % PUMP_SLOTS];
      if (!group) continue;
      let live = 0;
      for (const stream of group) {
        stream.tick();
        if (!stream.ended) group[live++] = stream;
      }
      group.length = live;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Webhooks

  private sender(secretToken: string, clientId: string): WebhookSender {
    const key = `${clientId}\n${secretToken}`;
    let sender = this.senders.get(key);
    if (!sender) {
      sender = new WebhookSender({
        url: this.options.webhookUrl ?? 'http://127.0.0.1:9/',
        secretToken,
        clientId,
        timeScale: Math.max(1, this.timing.timeScale),
        onAttempt: (a) =>
          this.log(
            a.streamId,
            `webhook ${a.event} attempt ${a.attempt}: ${a.status} in ${Math.round(a.latencyMs)} ms`,
          ),
      });
      this.senders.set(key, sender);
    }
    return sender;
  }

  private senderFor(product: Product): WebhookSender {
    const c = this.credentials;
    return product === 'session'
      ? this.sender(c.videoSdkSecretToken, c.videoSdkKey)
      : this.sender(c.secretToken, c.clientId);
  }

  private payloadOf(stream: SimStream, kind: LifecycleWebhook): Record<string, unknown> {
    const key = PRODUCT_INFO[stream.product].instanceKey;
    const payload: Record<string, unknown> = { [key]: stream.instanceId };
    if (stream.product === 'session') payload.session_key = stream.sessionKey;
    if (kind === 'started') payload.operator_id = stream.operatorId;
    payload.rtms_stream_id = stream.streamId;
    if (kind === 'started') {
      payload.server_urls = this.nodeById(stream.nodeId).signalingUrl;
      payload.account_id = stream.accountId;
      if (stream.product === 'meeting' || stream.product === 'webinar') {
        payload.meeting_id = /^\d+$/.test(stream.meetingId) ? Number(stream.meetingId) : stream.meetingId;
        payload.is_original_host = true;
      }
      if (stream.product === 'webinar') payload.webinar_id = payload.meeting_id;
    }
    if (kind === 'stopped') payload.stop_reason = stream.report().endReason ?? StopReason.UNDEFINED;
    return payload;
  }

  /**
   * Emits a webhook and delivers it (when a URL is set) once `after` has settled, so a stream's webhooks
   * reach the app in the order they were sent.
   */
  private deliver(
    notice: WebhookNotice,
    product: Product,
    delayMs: number,
    after?: Promise<unknown>,
  ): Promise<unknown> {
    const send = (): Promise<unknown> => {
      if (this.closed) return Promise.resolve();
      this.emit('webhook', notice);
      if (!this.options.webhookUrl) return Promise.resolve();
      return this.senderFor(product).resend({
        event: notice.event,
        eventTs: notice.eventTs,
        body: notice.body,
        ...(notice.streamId === undefined ? {} : { streamId: notice.streamId }),
      });
    };
    const delayed = delayMs > 0 ? new Promise((resolve) => setTimeout(resolve, delayMs).unref()) : undefined;
    const pending = after || delayed ? Promise.all([after, delayed]).then(send) : send();
    this.pendingDeliveries.add(pending);
    void pending.finally(() => this.pendingDeliveries.delete(pending));
    return pending;
  }

  private sendLifecycle(stream: SimStream, kind: LifecycleWebhook): void {
    const event = lifecycleEventName(stream.product, kind);
    let eventTs = Date.now();
    // A failover's new rtms_started must differ from the first: that is how apps tell them apart.
    if (kind === 'started' && eventTs <= stream.startedEventTs) eventTs = stream.startedEventTs + 1;
    const payload = this.payloadOf(stream, kind);
    const body = Buffer.from(JSON.stringify({ event, event_ts: eventTs, payload }), 'utf8');
    if (kind === 'started') {
      stream.startedBody = body;
      stream.startedEventTs = eventTs;
    }
    const notice: WebhookNotice = {
      event,
      streamId: stream.streamId,
      eventTs,
      body,
      payload,
      duplicate: false,
    };
    this.lastDelivery.set(stream.streamId, this.deliver(notice, stream.product, stream.webhookDelayMs));
  }

  /**
   * Delivers the stream's `rtms_started` again, byte for byte. For an ended stream (a late retry) it goes
   * after the `rtms_stopped` delivery has settled.
   */
  private resendStarted(stream: SimStream): void {
    const body = stream.startedBody;
    if (!body) return;
    const event = lifecycleEventName(stream.product, 'started');
    const payload = JSON.parse(body.toString('utf8')).payload as Record<string, unknown>;
    const notice: WebhookNotice = {
      event,
      streamId: stream.streamId,
      eventTs: stream.startedEventTs,
      body,
      payload,
      duplicate: true,
    };
    const after = stream.ended ? this.lastDelivery.get(stream.streamId) : undefined;
    this.deliver(notice, stream.product, stream.webhookDelayMs, after);
  }

  // -------------------------------------------------------------------------------------------------
  // Sockets and HTTP

  private onSocket(ws: WebSocket, node: RtmsNode, path: 'signaling' | 'media'): void {
    ws.on('error', () => undefined);
    const timer = setTimeout(() => ws.close(CloseCode.NORMAL, 'no handshake'), HANDSHAKE_WAIT_MS);
    timer.unref();
    ws.once('close', () => clearTimeout(timer));
    ws.once('message', (data, isBinary) => {
      clearTimeout(timer);
      const expected =
        path === 'signaling' ? MessageType.SIGNALING_HAND_SHAKE_REQ : MessageType.DATA_HAND_SHAKE_REQ;
      const responseType =
        path === 'signaling' ? MessageType.SIGNALING_HAND_SHAKE_RESP : MessageType.DATA_HAND_SHAKE_RESP;
      const refuse = (status: StatusCode, reason: string) => {
        sendUnwrapped(ws, this.options.frames ?? 'text', {
          msg_type: responseType,
          protocol_version: PROTOCOL_VERSION,
          sequence: 0,
          status_code: status,
          reason,
        } as RtmsMessage);
        ws.close(CloseCode.NORMAL);
      };
      const decoded = decodeFrame(data as Buffer, isBinary);
      if (!decoded.ok) {
        const type =
          decoded.error.code === 'UNKNOWN_MSG_TYPE'
            ? StatusCode.STATUS_INVALID_MESSAGE_TYPE
            : StatusCode.STATUS_INVALID_PAYLOAD;
        return refuse(type, decoded.error.message);
      }
      const msg = decoded.message;
      if (msg.msg_type !== expected) {
        return refuse(StatusCode.STATUS_INVALID_MESSAGE_TYPE, `expected ${MessageType[expected]} first`);
      }
      const stream = this.streamsById.get(msg.rtms_stream_id);
      if (!stream) return refuse(StatusCode.STATUS_INVALID_RTMS_STREAM_ID, 'unknown rtms_stream_id');
      if (msg.msg_type === MessageType.SIGNALING_HAND_SHAKE_REQ) stream.acceptSignaling(ws, msg, node.id);
      else stream.acceptMedia(ws, msg, node.id);
    });
  }

  private onHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.rest.handle(req, res)) return;
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && path === '/sim/report') {
      const text = JSON.stringify(this.stats());
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(text);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ code: 404, message: `no route ${req.method} ${path}` }));
  }

  private onRtmsAction(meetingId: string, action: RtmsAction): RtmsActionResult {
    const live = [...this.streamsById.values()].find((s) => s.meetingId === meetingId && !s.ended);
    if (action === 'start') {
      if (live)
        return { ok: false, httpStatus: 400, code: 2310, message: 'Failed to perform RTMS app operation.' };
      this.startStream({ meetingId });
      return { ok: true };
    }
    if (!live)
      return { ok: false, httpStatus: 404, code: 3001, message: `Meeting does not exist: ${meetingId}.` };
    switch (action) {
      case 'stop':
        live.end(StopReason.USER_TRIGGERED);
        return { ok: true };
      case 'pause':
        return live.pause()
          ? { ok: true }
          : { ok: false, httpStatus: 400, code: 2310, message: 'Failed to perform RTMS app operation.' };
      case 'resume':
        return live.resume()
          ? { ok: true }
          : { ok: false, httpStatus: 400, code: 2310, message: 'Failed to perform RTMS app operation.' };
    }
  }

  /** Makes every REST token expired (to test renewal). */
  expireTokens(): void {
    this.rest.expireTokens();
  }

  // -------------------------------------------------------------------------------------------------
  // Host

  private streamHost(wav: WavAudioSource | undefined): StreamHost {
    const sim = this;
    const options = this.options;
    return {
      timing: this.timing,
      frames: options.frames ?? 'text',
      keepAliveMode: options.keepAlive ?? 'always',
      duplicateSignaling: options.duplicateSignaling ?? 'reject',
      structuredChat: options.structuredChat ?? false,
      wav,
      audioCache: new Map(),
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
          const key = options.mediaUrlKeys?.[kind] === undefined ? kind : options.mediaUrlKeys[kind];
          if (key !== null) urls[key] = node.mediaUrl(key);
        }
        urls.all = node.mediaUrl('all');
        return urls;
      },
      webhook: (stream, kind) => sim.sendLifecycle(stream, kind),
      failover(stream) {
        void sim.addNode(0).then(
          (node) => {
            stream.onFailover(node.id);
            sim.log(stream.streamId, `failover to ${node.signalingUrl}`);
            sim.sendLifecycle(stream, 'started');
          },
          (err: unknown) => sim.log(stream.streamId, `failover failed: ${(err as Error).message}`),
        );
      },
      resendStarted: (stream) => sim.resendStarted(stream),
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
    const webhooks = [...this.senders.values()].flatMap((s) => [...s.attempts()]).sort((a, b) => a.at - b.at);
    return {
      streams: [...this.streamsById.values()].map((s) => s.report()),
      webhooks,
      ...(this.urlValidation ? { urlValidation: this.urlValidation } : {}),
    };
  }

  /** Stops everything: streams are dropped (no webhooks), pending deliveries cancelled. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    for (const stream of this.streamsById.values()) stream.destroy();
    await Promise.all([...this.senders.values()].map((s) => s.close()));
    await Promise.all(this.nodes.map((n) => n.close()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
