/**
 * One simulated RTMS stream: its participants' timeline, its signaling and media connections, Zoom's
 * keep-alive and reconnect windows, webhooks, faults, and the counters of the report.
 */
import { randomUUID } from 'node:crypto';
import type WebSocket from 'ws';
import { CloseCode } from '../protocol/closeCodes.js';
import { decodeFrame } from '../protocol/codec.js';
import {
  DataOption,
  EventType,
  type MediaKind,
  MessageType,
  mediaKindsOf,
  mediaMaskOf,
  SessionState,
  StatusCode,
  StopReason,
  StreamState,
  ZccVoiceEventType,
} from '../protocol/enums.js';
import {
  type DataHandshakeRequest,
  type EventPayload,
  INSTANCE_ID_KEYS,
  type InstanceIdKey,
  type MediaParams,
  type RtmsMessage,
  type SignalingHandshakeRequest,
} from '../protocol/messages.js';
import { PRODUCT_INFO, type Product } from '../protocol/products.js';
import { handshakeSignature } from '../protocol/signature.js';
import { AUDIO_BUFFER_MS, PROTOCOL_VERSION } from '../protocol/timing.js';
import type { ScenarioEvent } from './content/scenario.js';
import type { WavAudioSource } from './content/wavSource.js';
import { describeFault, type Fault, type ScheduledFault } from './faults.js';
import { type PumpContext, type PumpState, pumpKind } from './MediaPump.js';
import { negotiateMedia } from './mediaParams.js';
import { type FrameMode, PRODUCT_KINDS, type Timing } from './options.js';
import { emptyKindCounters, type SimStreamState, type StreamReport } from './report.js';
import { BACKPRESSURE_BYTES, SimSocket, sendUnwrapped } from './SimSocket.js';
import type { Timeline } from './timeline.js';

/** Frames one connection may send per pump tick, so a backlog drains without starving the event loop. */
export const MAX_FRAMES_PER_TICK = 200;

export type LifecycleWebhook = 'started' | 'stopped' | 'interrupted';

/** What a stream needs from the simulator that owns it. */
export interface StreamHost {
  timing: Timing;
  frames: FrameMode;
  keepAliveMode: 'always' | 'idle';
  duplicateSignaling: 'reject' | 'evict';
  structuredChat: boolean;
  wav: WavAudioSource | undefined;
  /** Tone frames shared by every stream. */
  audioCache: Map<string, Buffer>;
  credentialsFor(product: Product): { clientId: string; clientSecret: string };
  /** `media_server.server_urls` for the stream. */
  mediaServerUrls(stream: SimStream): Record<string, string>;
  webhook(stream: SimStream, kind: LifecycleWebhook): void;
  /** Move the stream to a new RTMS server and announce it with a fresh `rtms_started`. */
  failover(stream: SimStream): void;
  resendStarted(stream: SimStream): void;
  log(stream: SimStream, line: string): void;
  ended(stream: SimStream): void;
}

export interface SimStreamInit {
  streamId: string;
  product: Product;
  instanceId: string;
  meetingId: string;
  sessionKey?: string;
  operatorId: string;
  accountId: string;
  timeline: Timeline;
  durationMs: number;
  faults: readonly ScheduledFault[];
  /** Which server (node) currently serves it. */
  nodeId: number;
}

/** Zoom's wait for a lost media connection; recovered when every kind it carried is connected again. */
interface MediaWindow {
  timer: NodeJS.Timeout;
  kinds: Set<MediaKind>;
  lost: readonly MediaKind[];
  /** False when the loss was part of a signaling interruption, already counted when signaling came back. */
  countsRecovery: boolean;
}

interface MediaConn {
  socket: SimSocket;
  kinds: MediaKind[];
  params: MediaParams;
  /** Media flows only after a CLIENT_READY_ACK that follows this connection's handshake. */
  ready: boolean;
  pump: PumpState;
}

export class SimStream {
  readonly streamId: string;
  readonly product: Product;
  readonly instanceId: string;
  readonly meetingId: string;
  readonly sessionKey: string | undefined;
  readonly operatorId: string;
  readonly accountId: string;
  readonly sessionId = randomUUID();
  readonly timeline: Timeline;
  readonly durationMs: number;
  /** Epoch ms of simulated time 0. */
  readonly tsBase = Date.now();
  nodeId: number;
  state: SimStreamState = 'starting';
  /** Last `rtms_started` body sent, for duplicate and late deliveries. */
  startedBody: Buffer | undefined;
  startedEventTs = 0;
  webhookDelayMs = 0;

  private readonly host: StreamHost;
  private readonly startPerf = performance.now();
  private readonly allowedKinds: ReadonlySet<MediaKind>;
  private readonly pendingFaults: ScheduledFault[];
  private signaling: SimSocket | undefined;
  private readonly media = new Set<MediaConn>();
  private readonly cursors = new Map<MediaKind, number>();
  private readonly subscriptions = new Set<number>();
  private videoSubscription: number | undefined;
  private eventCursorMs = 0;
  private lastActiveSpeaker: number | undefined;
  private firstPacketSent = false;
  private signalingWindow: NodeJS.Timeout | undefined;
  private readonly mediaWindows = new Map<MediaKind, MediaWindow>();
  /** Open sockets that identified themselves as this stream's, accepted or not: what "concurrent" counts. */
  private openSignaling = 0;
  private readonly openMedia = emptyKindCounters();
  private lostByKeepAlive = false;
  private mediaStopped = false;
  private keepAliveStopped = false;
  private readonly rejectNext: number[] = [];
  private handshakeDelayMs = 0;
  private lateRetry = false;
  /** Media kinds that were connected when signaling was lost: they must come back too. */
  private readonly kindsLostWithSignaling = new Set<MediaKind>();
  /** Paused by REST or fault; survives an interruption, so a reconnect does not resume the stream. */
  private paused = false;
  /** `buffer_data` of the first signaling handshake: deliver audio said before the app connected. */
  private bufferData = true;
  /** The report's counters, kept live; {@link report} copies them. */
  private readonly counters: Omit<
    StreamReport,
    'streamId' | 'product' | 'instanceId' | 'meetingId' | 'state'
  >;

  constructor(host: StreamHost, init: SimStreamInit) {
    this.host = host;
    this.streamId = init.streamId;
    this.product = init.product;
    this.instanceId = init.instanceId;
    this.meetingId = init.meetingId;
    this.sessionKey = init.sessionKey;
    this.operatorId = init.operatorId;
    this.accountId = init.accountId;
    this.timeline = init.timeline;
    this.durationMs = init.durationMs;
    this.nodeId = init.nodeId;
    this.allowedKinds = new Set(PRODUCT_KINDS[init.product]);
    this.pendingFaults = [...init.faults].sort((a, b) => a.atMs - b.atMs);
    this.counters = {
      keepAlives: { sent: 0, answered: 0, missed: 0 },
      framesSent: emptyKindCounters(),
      bytesSent: emptyKindCounters(),
      maxConcurrentSignaling: 0,
      maxConcurrentMedia: emptyKindCounters(),
      handshakes: { signaling: { ok: 0, rejected: {} }, media: { ok: 0, rejected: {} } },
      interruptions: 0,
      recoveries: 0,
      faults: [],
      startedAt: this.tsBase,
    };
  }

  get kinds(): ReadonlySet<MediaKind> {
    return this.allowedKinds;
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  /** Simulated ms since the stream started. */
  simNow(): number {
    return (performance.now() - this.startPerf) * this.host.timing.timeScale;
  }

  start(): void {
    this.host.webhook(this, 'started');
    this.host.log(
      this,
      `started ${this.product} stream, ${this.timeline.scenario.participants.length} participants`,
    );
  }

  // -------------------------------------------------------------------------------------------------
  // Pump

  /** Advances the stream to now: scripted faults, events, media, and the end of the meeting. */
  tick(): void {
    if (this.ended) return;
    const now = this.simNow();
    while (this.pendingFaults.length > 0 && (this.pendingFaults[0]?.atMs ?? Infinity) <= now) {
      const next = this.pendingFaults.shift();
      if (next) this.applyFault(next.fault);
      if (this.ended) return;
    }
    this.sendScenarioEvents(now);
    if (this.state === 'active' && !this.mediaStopped) this.pumpMedia(now);
    if (now >= this.durationMs) this.end(StopReason.MEETING_ENDED);
  }

  private pumpContext(): PumpContext {
    return {
      timeline: this.timeline,
      tsBase: this.tsBase,
      product: this.product,
      wav: this.host.wav,
      structuredChat: this.host.structuredChat,
      videoSubscription: this.videoSubscription,
      send: () => undefined,
      audioCache: this.host.audioCache,
    };
  }

  private pumpMedia(now: number): void {
    const ctx = this.pumpContext();
    for (const conn of this.media) {
      if (!conn.ready || !conn.socket.isOpen) continue;
      for (const kind of conn.kinds) {
        if (conn.socket.bufferedAmount > BACKPRESSURE_BYTES) break;
        const cursor = this.cursors.get(kind) ?? now;
        ctx.send = (msg) => this.sendMedia(conn, kind, msg);
        this.cursors.set(
          kind,
          pumpKind(ctx, this.streamId, kind, conn.params, conn.pump, cursor, now, MAX_FRAMES_PER_TICK),
        );
      }
    }
  }

  private sendMedia(conn: MediaConn, kind: MediaKind, msg: RtmsMessage): void {
    conn.socket.send(msg);
    this.counters.framesSent[kind]++;
    const content = (msg as { content?: { data?: unknown } }).content;
    const data = content?.data;
    this.counters.bytesSent[kind] += Buffer.isBuffer(data)
      ? data.length
      : typeof data === 'string'
        ? data.length
        : 0;
  }

  private sendEvent(event: EventPayload): void {
    this.signaling?.send({ msg_type: MessageType.EVENT_UPDATE, event });
  }

  private subscribed(type: number): boolean {
    return this.subscriptions.has(type);
  }

  private sendScenarioEvents(now: number): void {
    if (now <= this.eventCursorMs) return;
    const events = this.timeline.eventsIn(this.eventCursorMs, now);
    this.eventCursorMs = now;
    if (this.state !== 'active' && this.state !== 'paused') return;
    for (const e of events) this.sendScenarioEvent(e);
  }

  private sendScenarioEvent(e: ScenarioEvent): void {
    const p = this.timeline.participant(e.userId);
    const timestamp = this.tsBase + e.atMs;
    const zcc = this.product === 'contact_center';
    const user = { user_id: e.userId, ...(p ? { user_name: p.userName } : {}) };
    switch (e.type) {
      case 'join': {
        if (zcc) {
          const type = p?.index === 0 ? ZccVoiceEventType.CONSUMER_ANSWERED : ZccVoiceEventType.USER_ANSWERED;
          if (this.subscribed(type))
            this.sendEvent({ event_type: type, event_ts: timestamp, paticipant_info: { ...user } });
        } else if (this.subscribed(EventType.PARTICIPANT_JOIN)) {
          this.sendEvent({ event_type: EventType.PARTICIPANT_JOIN, timestamp, participants: [user] });
        }
        break;
      }
      case 'leave': {
        if (zcc) {
          const type = p?.index === 0 ? ZccVoiceEventType.CONSUMER_END : ZccVoiceEventType.USER_END;
          if (this.subscribed(type))
            this.sendEvent({ event_type: type, event_ts: timestamp, paticipant_info: { ...user } });
        } else if (this.subscribed(EventType.PARTICIPANT_LEAVE)) {
          this.sendEvent({
            event_type: EventType.PARTICIPANT_LEAVE,
            timestamp,
            participants: [{ user_id: e.userId }],
          });
        }
        break;
      }
      case 'speak':
        if (this.lastActiveSpeaker !== e.userId) {
          this.lastActiveSpeaker = e.userId;
          if (!zcc && this.subscribed(EventType.ACTIVE_SPEAKER_CHANGE)) {
            this.sendEvent({ event_type: EventType.ACTIVE_SPEAKER_CHANGE, timestamp, ...user });
          }
        }
        break;
      case 'share-start':
        if (this.subscribed(EventType.SHARING_START))
          this.sendEvent({ event_type: EventType.SHARING_START, timestamp, ...user });
        break;
      case 'share-stop':
        if (this.subscribed(EventType.SHARING_STOP))
          this.sendEvent({ event_type: EventType.SHARING_STOP, timestamp });
        break;
      case 'video-on':
      case 'video-off': {
        const type = e.type === 'video-on' ? EventType.PARTICIPANT_VIDEO_ON : EventType.PARTICIPANT_VIDEO_OFF;
        if (!zcc && this.subscribed(type))
          this.sendEvent({ event_type: type, timestamp, participants: [{ user_id: e.userId }] });
        break;
      }
      case 'chat':
        break;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Handshakes

  private newSocket(ws: WebSocket, onTimeout: () => void): SimSocket {
    const { timing } = this.host;
    const socket = new SimSocket(ws, {
      frames: this.host.frames,
      keepAliveIntervalMs: timing.keepAliveIntervalMs,
      keepAliveMaxMissed: timing.keepAliveMaxMissed,
      keepAliveMode: this.host.keepAliveMode,
      counters: this.counters.keepAlives,
      onKeepAliveTimeout: onTimeout,
    });
    if (this.keepAliveStopped) socket.stopKeepAlive();
    return socket;
  }

  private instanceIdOf(msg: SignalingHandshakeRequest | DataHandshakeRequest): string | undefined {
    const own = PRODUCT_INFO[this.product].instanceKey;
    const keys: InstanceIdKey[] = [own, ...INSTANCE_ID_KEYS.filter((k) => k !== own)];
    for (const key of keys) {
      const value = msg[key];
      if (typeof value === 'string') return value;
    }
    return undefined;
  }

  /** Checks ids and signature; returns a status code (0 when good). */
  private authenticate(msg: SignalingHandshakeRequest | DataHandshakeRequest, nodeId: number): StatusCode {
    if (this.ended || nodeId !== this.nodeId) return StatusCode.STATUS_INVALID_RTMS_STREAM_ID;
    const instanceId = this.instanceIdOf(msg);
    if (instanceId === undefined) return StatusCode.STATUS_INVALID_PAYLOAD;
    const { clientId, clientSecret } = this.host.credentialsFor(this.product);
    const expected = handshakeSignature({
      clientId,
      clientSecret,
      instanceId: this.instanceId,
      streamId: this.streamId,
    });
    if (instanceId !== this.instanceId || msg.signature !== expected)
      return StatusCode.STATUS_INVALID_SIGNATURE;
    return StatusCode.STATUS_OK;
  }

  private countRejection(which: 'signaling' | 'media', status: number): void {
    const rejected = this.counters.handshakes[which].rejected;
    rejected[status] = (rejected[status] ?? 0) + 1;
  }

  private answerLater(answer: () => void): void {
    if (this.handshakeDelayMs > 0) setTimeout(answer, this.handshakeDelayMs).unref();
    else answer();
  }

  /** A valid-looking SIGNALING_HAND_SHAKE_REQ for this stream arrived on `ws`. */
  acceptSignaling(ws: WebSocket, msg: SignalingHandshakeRequest, nodeId: number): void {
    this.openSignaling++;
    this.counters.maxConcurrentSignaling = Math.max(this.counters.maxConcurrentSignaling, this.openSignaling);
    ws.once('close', () => this.openSignaling--);
    const reject = (status: number, reason: string) => {
      this.countRejection('signaling', status);
      this.host.log(this, `signaling handshake rejected: ${StatusCode[status] ?? status} (${reason})`);
      sendUnwrapped(ws, this.host.frames, {
        msg_type: MessageType.SIGNALING_HAND_SHAKE_RESP,
        protocol_version: PROTOCOL_VERSION,
        sequence: 0,
        status_code: status,
        reason,
      });
      ws.close(CloseCode.NORMAL);
    };
    this.answerLater(() => {
      if (ws.readyState !== ws.OPEN) return;
      const forced = this.rejectNext.shift();
      if (forced !== undefined) return reject(forced, 'rejected by fault injection');
      const status = this.authenticate(msg, nodeId);
      if (status === StatusCode.STATUS_INVALID_SIGNATURE) return reject(status, 'invalid signature');
      if (status !== StatusCode.STATUS_OK) return reject(status, StatusCode[status] ?? 'rejected');
      if (this.signaling?.isOpen) {
        if (this.host.duplicateSignaling === 'reject') {
          return reject(StatusCode.STATUS_DUPLICATE_SIGNAL_REQUEST, 'duplicate signal request');
        }
        this.host.log(this, 'second signaling connection evicts the first');
        const old = this.signaling;
        this.signaling = undefined;
        old.close(CloseCode.NORMAL, 'evicted by a new connection');
      }
      this.bindSignaling(ws, msg);
    });
  }

  private bindSignaling(ws: WebSocket, msg: SignalingHandshakeRequest): void {
    // Only the first connection decides about the audio buffered before it; later buffering always applies.
    if (this.counters.handshakes.signaling.ok === 0) this.bufferData = msg.buffer_data !== false;
    const socket = this.newSocket(ws, () => this.signalingLost('keepalive'));
    this.signaling = socket;
    this.counters.handshakes.signaling.ok++;
    const recovering = this.state === 'interrupted';
    if (this.signalingWindow) {
      clearTimeout(this.signalingWindow);
      this.signalingWindow = undefined;
      this.counters.recoveries++;
    }
    ws.on('message', (data, isBinary) => this.onSignalingMessage(socket, data as Buffer, isBinary));
    ws.on('close', () => {
      socket.markClosed();
      if (this.signaling === socket) {
        this.signaling = undefined;
        this.signalingLost('closed');
      }
    });
    ws.on('error', () => undefined);
    socket.send({
      msg_type: MessageType.SIGNALING_HAND_SHAKE_RESP,
      protocol_version: PROTOCOL_VERSION,
      sequence: 0,
      status_code: StatusCode.STATUS_OK,
      reason: '',
      media_server: { server_urls: this.host.mediaServerUrls(this) },
    });
    this.state = this.paused ? 'paused' : 'active';
    this.lostByKeepAlive = false;
    socket.send({
      msg_type: MessageType.STREAM_STATE_UPDATE,
      state: this.paused ? StreamState.PAUSED : StreamState.ACTIVE,
      reason: 0,
      timestamp: Date.now(),
    });
    socket.send({
      msg_type: MessageType.SESSION_STATE_UPDATE,
      state: this.paused ? SessionState.PAUSED : SessionState.STARTED,
      stop_reason: 0,
      timestamp: Date.now(),
      rtms_session_id: this.sessionId,
    });
    socket.startKeepAlive();
    if (recovering && this.kindsLostWithSignaling.size > 0) {
      this.openMediaWindow([...this.kindsLostWithSignaling], false, false);
      this.kindsLostWithSignaling.clear();
    }
    this.host.log(this, recovering ? 'signaling reconnected inside the window' : 'signaling connected');
  }

  /** A DATA_HAND_SHAKE_REQ for this stream arrived on `ws`. */
  acceptMedia(ws: WebSocket, msg: DataHandshakeRequest, nodeId: number): void {
    const requested =
      typeof msg.media_type === 'number'
        ? mediaKindsOf(msg.media_type).filter((k) => this.allowedKinds.has(k))
        : [];
    for (const kind of requested) {
      this.openMedia[kind]++;
      this.counters.maxConcurrentMedia[kind] = Math.max(
        this.counters.maxConcurrentMedia[kind],
        this.openMedia[kind],
      );
    }
    ws.once('close', () => {
      for (const kind of requested) this.openMedia[kind]--;
    });
    const answer = (status: number, reason: string, params?: MediaParams) => {
      sendUnwrapped(ws, this.host.frames, {
        msg_type: MessageType.DATA_HAND_SHAKE_RESP,
        protocol_version: PROTOCOL_VERSION,
        sequence: 0,
        status_code: status,
        reason,
        payload_encrypted: false,
        ...(params ? { media_params: params } : {}),
      });
    };
    const reject = (status: number, reason: string) => {
      this.countRejection('media', status);
      this.host.log(this, `media handshake rejected: ${StatusCode[status] ?? status} (${reason})`);
      answer(status, reason);
      ws.close(CloseCode.NORMAL);
    };
    this.answerLater(() => {
      if (ws.readyState !== ws.OPEN) return;
      const status = this.authenticate(msg, nodeId);
      if (status !== StatusCode.STATUS_OK) return reject(status, StatusCode[status] ?? 'rejected');
      const negotiated = negotiateMedia(msg.media_type, msg.media_params, this.allowedKinds);
      if (!negotiated.ok) return reject(negotiated.status, negotiated.reason);
      const unified = (msg.media_type & 32) !== 0;
      for (const conn of this.media) {
        if (!conn.socket.isOpen) continue;
        if (conn.kinds.length > 1 && conn.kinds.length === this.allowedKinds.size && !unified) {
          return reject(StatusCode.STATUS_MEDIA_DATA_ALL_CONNECTION_EXIST, 'an all-media connection exists');
        }
        if (conn.kinds.some((k) => negotiated.kinds.includes(k))) {
          return reject(StatusCode.STATUS_DUPLICATE_MEDIA_DATA_CONNECTION, 'duplicate media connection');
        }
      }
      const socket = this.newSocket(ws, () => this.mediaLost(conn, 'keepalive'));
      const conn: MediaConn = {
        socket,
        kinds: negotiated.kinds,
        params: negotiated.params,
        ready: false,
        pump: { videoFrames: 0, shareFrames: 0 },
      };
      this.media.add(conn);
      this.counters.handshakes.media.ok++;
      this.closeMediaWindows(conn.kinds);
      ws.on('message', (data, isBinary) => this.onMediaMessage(conn, data as Buffer, isBinary));
      ws.on('close', () => {
        socket.markClosed();
        if (this.media.delete(conn)) this.mediaLost(conn, 'closed');
      });
      ws.on('error', () => undefined);
      answer(StatusCode.STATUS_OK, '', negotiated.params);
      socket.startKeepAlive();
      this.host.log(this, `media connected: ${conn.kinds.join('+')}`);
    });
  }

  private closeMediaWindows(kinds: readonly MediaKind[]): void {
    for (const kind of kinds) {
      const window = this.mediaWindows.get(kind);
      if (!window) continue;
      this.mediaWindows.delete(kind);
      window.kinds.delete(kind);
      if (window.kinds.size === 0) {
        clearTimeout(window.timer);
        if (window.countsRecovery) this.onMediaRecovered(window.lost);
      }
    }
  }

  private onMediaRecovered(kinds: readonly MediaKind[]): void {
    this.counters.recoveries++;
    this.host.log(this, `media reconnected inside the window: ${kinds.join('+')}`);
    this.signaling?.send({
      msg_type: MessageType.STREAM_STATE_UPDATE,
      state: this.paused ? StreamState.PAUSED : StreamState.ACTIVE,
      reason: 0,
      timestamp: Date.now(),
    });
  }

  // -------------------------------------------------------------------------------------------------
  // Messages

  private onSignalingMessage(socket: SimSocket, data: Buffer, isBinary: boolean): void {
    const decoded = decodeFrame(data, isBinary);
    if (!decoded.ok) {
      this.host.log(this, `signaling: undecodable frame (${decoded.error.code})`);
      return;
    }
    const msg = decoded.message;
    switch (msg.msg_type) {
      case MessageType.KEEP_ALIVE_RESP:
        socket.onKeepAliveResponse(msg.timestamp);
        return;
      case MessageType.EVENT_SUBSCRIPTION:
        for (const { event_type, subscribe } of msg.events) {
          const isNew = subscribe && !this.subscriptions.has(event_type);
          if (subscribe) this.subscriptions.add(event_type);
          else this.subscriptions.delete(event_type);
          if (isNew && event_type === EventType.PARTICIPANT_JOIN) this.announcePresent();
          if (isNew && event_type === EventType.PARTICIPANT_VIDEO_ON) this.announceVideoOn();
        }
        return;
      case MessageType.CLIENT_READY_ACK:
        this.onClientReady();
        return;
      case MessageType.SESSION_STATE_REQ:
        socket.send({
          msg_type: MessageType.SESSION_STATE_RESP,
          rtms_session_id: msg.rtms_session_id,
          state: msg.rtms_session_id === this.sessionId ? this.sessionState() : SessionState.INACTIVE,
          timestamp: Date.now(),
        });
        return;
      case MessageType.STREAM_STATE_REQ:
        socket.send({
          msg_type: MessageType.STREAM_STATE_RESP,
          rtms_stream_id: this.streamId,
          state: this.streamState(),
          timestamp: Date.now(),
        });
        return;
      case MessageType.STREAM_CLOSE_REQ:
        socket.send({
          msg_type: MessageType.STREAM_CLOSE_RESP,
          rtms_stream_id: this.streamId,
          status_code: StatusCode.STATUS_OK,
          reason: 'OK',
          timestamp: Date.now(),
        });
        this.end(StopReason.RECEIVER_REQUEST_CLOSE);
        return;
      case MessageType.VIDEO_SUBSCRIPTION_REQ:
        this.onVideoSubscription(socket, msg.user_id, msg.subscribe);
        return;
      default:
        this.host.log(this, `signaling: ignored ${MessageType[msg.msg_type] ?? msg.msg_type}`);
    }
  }

  private onMediaMessage(conn: MediaConn, data: Buffer, isBinary: boolean): void {
    const decoded = decodeFrame(data, isBinary);
    if (!decoded.ok) return;
    if (decoded.message.msg_type === MessageType.KEEP_ALIVE_RESP)
      conn.socket.onKeepAliveResponse(decoded.message.timestamp);
  }

  /** A new subscriber to joins learns who is already in the meeting. */
  private announcePresent(): void {
    if (this.product === 'contact_center') return;
    const present = this.timeline.presentAt(this.simNow());
    if (present.length === 0) return;
    this.sendEvent({
      event_type: EventType.PARTICIPANT_JOIN,
      timestamp: Date.now(),
      participants: present.map((p) => ({ user_id: p.userId, user_name: p.userName })),
    });
  }

  /** A new subscriber to video-on learns whose video is already on. */
  private announceVideoOn(): void {
    if (this.product === 'contact_center') return;
    const users = this.timeline.videoUsersAt(this.simNow());
    if (users.length === 0) return;
    this.sendEvent({
      event_type: EventType.PARTICIPANT_VIDEO_ON,
      timestamp: Date.now(),
      participants: users.map((user_id) => ({ user_id })),
    });
  }

  private onClientReady(): void {
    const now = this.simNow();
    for (const conn of this.media) {
      if (conn.ready) continue;
      conn.ready = true;
      for (const kind of conn.kinds) {
        const cursor = this.cursors.get(kind);
        if (kind === 'video' || kind === 'deskshare') {
          // Video is not buffered: a (re)connected socket starts at the present.
          this.cursors.set(kind, now);
        } else if (cursor === undefined) {
          // Audio said before the app connected is buffered (up to 60 s) and delivered first.
          const buffered = kind === 'audio' && this.bufferData;
          this.cursors.set(kind, buffered ? Math.max(0, now - AUDIO_BUFFER_MS) : now);
        } else {
          // Across an interruption what was said is kept, up to the buffer's 60 s.
          this.cursors.set(kind, Math.max(cursor, now - AUDIO_BUFFER_MS));
        }
      }
    }
    if (!this.firstPacketSent && this.media.size > 0) {
      this.firstPacketSent = true;
      const first = this.cursors.get('audio') ?? now;
      this.sendEvent({
        event_type: EventType.FIRST_PACKET_TIMESTAMP,
        timestamp: Math.round(this.tsBase + first),
      });
    }
  }

  private onVideoSubscription(socket: SimSocket, userId: number, subscribe: boolean): void {
    const video = [...this.media].find((c) => c.kinds.includes('video'));
    let status = StatusCode.STATUS_OK;
    let reason = 'OK';
    if (video?.params.video?.data_opt !== DataOption.VIDEO_SINGLE_INDIVIDUAL_STREAM) {
      status = StatusCode.STATUS_INVALID_MEDIA_VIDEO_DATA_OPT;
      reason = 'video must be connected with data_opt 4 (VIDEO_SINGLE_INDIVIDUAL_STREAM)';
    } else if (subscribe && !this.timeline.participant(userId)) {
      status = StatusCode.STATUS_INVALID_PAYLOAD;
      reason = `no participant ${userId}`;
    } else {
      this.videoSubscription = subscribe ? userId : undefined;
    }
    socket.send({
      msg_type: MessageType.VIDEO_SUBSCRIPTION_RESP,
      user_id: userId,
      status_code: status,
      reason,
      timestamp: Date.now(),
      subscribe,
    });
  }

  private sessionState(): SessionState {
    switch (this.state) {
      case 'paused':
        return SessionState.PAUSED;
      case 'ended':
        return SessionState.STOPPED;
      case 'starting':
        return SessionState.INITIALIZE;
      default:
        return SessionState.STARTED;
    }
  }

  private streamState(): StreamState {
    switch (this.state) {
      case 'paused':
        return StreamState.PAUSED;
      case 'ended':
        return StreamState.TERMINATED;
      case 'interrupted':
        return StreamState.INTERRUPTED;
      case 'starting':
        return StreamState.INACTIVE;
      default:
        return StreamState.ACTIVE;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Loss and recovery

  private signalingLost(cause: 'keepalive' | 'closed' | 'fault'): void {
    if (this.ended || this.state === 'interrupted') return;
    if (cause === 'keepalive') {
      this.lostByKeepAlive = true;
      this.signaling?.drop();
      this.signaling = undefined;
    }
    for (const conn of this.media) {
      for (const kind of conn.kinds) this.kindsLostWithSignaling.add(kind);
      conn.socket.drop();
    }
    this.media.clear();
    this.clearMediaWindows();
    this.state = 'interrupted';
    this.counters.interruptions++;
    this.host.log(
      this,
      `signaling lost (${cause}); waiting ${Math.round(this.host.timing.signalingWindowMs)} ms`,
    );
    this.host.webhook(this, 'interrupted');
    this.signalingWindow = setTimeout(() => {
      this.signalingWindow = undefined;
      this.end(this.lostByKeepAlive ? StopReason.KEEP_ALIVE_TIMEOUT : StopReason.AWAIT_RECONNECTION_TIMEOUT);
    }, this.host.timing.signalingWindowMs);
    this.signalingWindow.unref();
  }

  private mediaLost(conn: MediaConn, cause: 'keepalive' | 'closed' | 'fault'): void {
    if (cause !== 'closed') {
      conn.socket.drop();
      this.media.delete(conn);
    }
    if (this.ended || this.state === 'interrupted') return;
    this.counters.interruptions++;
    const mask = mediaMaskOf(conn.kinds);
    this.host.log(this, `media lost (${cause}): ${conn.kinds.join('+')}`);
    this.sendEvent({
      event_type: EventType.MEDIA_CONNECTION_INTERRUPTED,
      timestamp: Date.now(),
      media_type: mask,
    });
    this.signaling?.send({
      msg_type: MessageType.STREAM_STATE_UPDATE,
      state: StreamState.INTERRUPTED,
      reason: StopReason.DATA_CONNECTION_INTERRUPTED,
      timestamp: Date.now(),
    });
    this.openMediaWindow(conn.kinds, cause === 'keepalive', true);
  }

  /** Starts Zoom's wait for media kinds to come back; the stream ends if they do not. */
  private openMediaWindow(kinds: readonly MediaKind[], byKeepAlive: boolean, countsRecovery: boolean): void {
    const timer = setTimeout(() => {
      for (const kind of kinds) this.mediaWindows.delete(kind);
      this.host.log(this, `media not reconnected inside ${Math.round(this.host.timing.mediaWindowMs)} ms`);
      this.end(byKeepAlive ? StopReason.KEEP_ALIVE_TIMEOUT : StopReason.AWAIT_RECONNECTION_TIMEOUT);
    }, this.host.timing.mediaWindowMs);
    timer.unref();
    const window: MediaWindow = { timer, kinds: new Set(kinds), lost: kinds, countsRecovery };
    for (const kind of kinds) this.mediaWindows.set(kind, window);
  }

  private clearMediaWindows(): void {
    for (const window of new Set(this.mediaWindows.values())) clearTimeout(window.timer);
    this.mediaWindows.clear();
  }

  // -------------------------------------------------------------------------------------------------
  // Faults

  applyFault(fault: Fault): void {
    if (this.ended && fault.type !== 'late-retry' && fault.type !== 'duplicate-webhook') return;
    this.counters.faults.push(describeFault(fault));
    this.host.log(this, `fault: ${describeFault(fault)}`);
    switch (fault.type) {
      case 'failover':
        this.host.failover(this);
        return;
      case 'drop-signaling':
        this.signaling?.drop();
        return;
      case 'drop-media':
        for (const conn of [...this.media]) {
          if (fault.kind === undefined || conn.kinds.includes(fault.kind)) conn.socket.drop();
        }
        return;
      case 'reset':
        if (fault.target === 'signaling') this.signaling?.reset();
        else for (const conn of [...this.media]) conn.socket.reset();
        return;
      case 'close':
        this.signaling?.close(fault.code, 'closed by fault injection');
        return;
      case 'stop-keepalive':
        this.keepAliveStopped = true;
        this.signaling?.stopKeepAlive();
        for (const conn of this.media) conn.socket.stopKeepAlive();
        return;
      case 'stop-media':
        this.mediaStopped = true;
        return;
      case 'reject-handshake':
        this.rejectNext.push(fault.status);
        return;
      case 'delay-handshake':
        this.handshakeDelayMs = fault.ms;
        return;
      case 'malformed-frame':
        this.signaling?.sendRaw('{"msg_type": 6, "event": {"event_type": 2,');
        return;
      case 'duplicate-webhook':
        this.host.resendStarted(this);
        return;
      case 'late-retry':
        if (this.ended) this.host.resendStarted(this);
        else this.lateRetry = true;
        return;
      case 'slow-webhook':
        this.webhookDelayMs = fault.ms;
        return;
      case 'pause':
        this.pause();
        return;
      case 'resume':
        this.resume();
        return;
      case 'stop':
        this.end(fault.reason);
        return;
      case 'revoke':
        this.end(StopReason.STREAM_REVOKED);
        return;
    }
  }

  /** Called by the simulator after it moved the stream to a new server: old sockets go. */
  onFailover(nodeId: number): void {
    this.nodeId = nodeId;
    const old = this.signaling;
    this.signaling = undefined;
    for (const conn of this.media) conn.socket.drop();
    this.media.clear();
    this.clearMediaWindows();
    old?.drop();
    if (this.state !== 'ended') {
      this.state = 'interrupted';
      this.counters.interruptions++;
      this.signalingWindow = setTimeout(() => {
        this.signalingWindow = undefined;
        this.end(StopReason.AWAIT_RECONNECTION_TIMEOUT);
      }, this.host.timing.signalingWindowMs);
      this.signalingWindow.unref();
    }
  }

  pause(): boolean {
    if (this.state !== 'active') return false;
    this.state = 'paused';
    this.paused = true;
    this.signaling?.send({
      msg_type: MessageType.STREAM_STATE_UPDATE,
      state: StreamState.PAUSED,
      reason: 0,
      timestamp: Date.now(),
    });
    this.signaling?.send({
      msg_type: MessageType.SESSION_STATE_UPDATE,
      state: SessionState.PAUSED,
      stop_reason: 0,
      timestamp: Date.now(),
      rtms_session_id: this.sessionId,
    });
    return true;
  }

  resume(): boolean {
    if (this.state !== 'paused') return false;
    this.state = 'active';
    this.paused = false;
    // Nothing said during the pause is delivered.
    const now = this.simNow();
    for (const kind of this.cursors.keys()) this.cursors.set(kind, now);
    this.signaling?.send({
      msg_type: MessageType.STREAM_STATE_UPDATE,
      state: StreamState.RESUMED,
      reason: 0,
      timestamp: Date.now(),
    });
    this.signaling?.send({
      msg_type: MessageType.SESSION_STATE_UPDATE,
      state: SessionState.RESUMED,
      stop_reason: 0,
      timestamp: Date.now(),
      rtms_session_id: this.sessionId,
    });
    return true;
  }

  // -------------------------------------------------------------------------------------------------
  // End

  /** Ends the stream: tells the client, closes every socket, sends `rtms_stopped`. Idempotent. */
  end(reason: number): void {
    if (this.ended) return;
    const wasConnected = this.signaling?.isOpen ?? false;
    this.state = 'ended';
    this.counters.endReason = reason;
    this.counters.endedAt = Date.now();
    if (this.signalingWindow) clearTimeout(this.signalingWindow);
    this.signalingWindow = undefined;
    this.clearMediaWindows();
    const signaling = this.signaling;
    if (signaling && wasConnected) {
      const timestamp = Date.now();
      if (this.subscribed(EventType.PARTICIPANT_LEAVE) && this.product !== 'contact_center') {
        const present = this.timeline.presentAt(this.simNow()).map((p) => ({ user_id: p.userId }));
        this.sendEvent({ event_type: EventType.PARTICIPANT_LEAVE, timestamp, participants: present });
      }
      signaling.send({
        msg_type: MessageType.SESSION_STATE_UPDATE,
        state: SessionState.STOPPED,
        stop_reason: reason,
        timestamp,
        rtms_session_id: this.sessionId,
      });
      signaling.send({
        msg_type: MessageType.STREAM_STATE_UPDATE,
        state: StreamState.TERMINATED,
        reason,
        timestamp,
      });
    }
    for (const conn of this.media) conn.socket.close(CloseCode.NORMAL, 'stream ended');
    this.media.clear();
    signaling?.close(CloseCode.NORMAL, 'stream ended');
    this.signaling = undefined;
    this.host.log(this, `ended: ${StopReason[reason] ?? reason}`);
    this.host.webhook(this, 'stopped');
    if (this.lateRetry) this.host.resendStarted(this);
    this.host.ended(this);
  }

  /** Drops everything without telling anyone (simulator shutdown). */
  destroy(): void {
    if (this.signalingWindow) clearTimeout(this.signalingWindow);
    this.clearMediaWindows();
    this.signaling?.drop();
    for (const conn of this.media) conn.socket.drop();
    this.media.clear();
    if (!this.ended) this.state = 'ended';
  }

  report(): StreamReport {
    const c = this.counters;
    return {
      streamId: this.streamId,
      product: this.product,
      instanceId: this.instanceId,
      meetingId: this.meetingId,
      state: this.state,
      maxConcurrentSignaling: c.maxConcurrentSignaling,
      maxConcurrentMedia: { ...c.maxConcurrentMedia },
      handshakes: structuredClone(c.handshakes),
      framesSent: { ...c.framesSent },
      bytesSent: { ...c.bytesSent },
      keepAlives: { ...c.keepAlives },
      interruptions: c.interruptions,
      recoveries: c.recoveries,
      faults: [...c.faults],
      ...(c.endReason === undefined ? {} : { endReason: c.endReason }),
      startedAt: c.startedAt,
      ...(c.endedAt === undefined ? {} : { endedAt: c.endedAt }),
    };
  }
}
