/** Sockets joining and leaving a stream: accepted handshakes bound, connections lost and recovered. */
import type WebSocket from 'ws';
import {
  EventType,
  type MediaKind,
  MessageType,
  mediaMaskOf,
  SessionState,
  StatusCode,
  StopReason,
  StreamState,
} from '../../protocol/enums.js';
import type { MediaParams, SignalingHandshakeRequest } from '../../protocol/messages.js';
import { PROTOCOL_VERSION } from '../../protocol/timing.js';
import { SimSocket } from '../SimSocket.js';
import type { SimStream } from '../SimStream.js';
import type { StreamCounters } from './counters.js';
import type { StreamHost } from './host.js';
import type { MediaFlow } from './mediaFlow.js';
import { onMediaFrame, onSignalingFrame, type SignalingPeer } from './signalingMessages.js';
import {
  type Farewell,
  type Interrupted,
  isPaused,
  type MediaLink,
  mediaOf,
  type StateMachine,
  signalingOf,
  withMedia,
} from './state.js';
import { sendStateUpdate } from './stateUpdates.js';
import type { StreamFaults } from './streamFaults.js';
import type { Windows } from './windows.js';

export interface ConnectionsInit {
  host: StreamHost;
  /** The stream the host's callbacks are about. */
  stream: SimStream;
  machine: StateMachine;
  counters: StreamCounters;
  windows: Windows;
  flow: MediaFlow;
  faults: StreamFaults;
  peer: SignalingPeer;
}

export class Connections {
  private readonly host: StreamHost;
  private readonly stream: SimStream;
  private readonly machine: StateMachine;
  private readonly counters: StreamCounters;
  private readonly windows: Windows;
  private readonly flow: MediaFlow;
  private readonly faults: StreamFaults;
  private readonly peer: SignalingPeer;

  constructor(init: ConnectionsInit) {
    this.host = init.host;
    this.stream = init.stream;
    this.machine = init.machine;
    this.counters = init.counters;
    this.windows = init.windows;
    this.flow = init.flow;
    this.faults = init.faults;
    this.peer = init.peer;
  }

  /** A signaling handshake was accepted on `ws`: the stream is live (again). */
  signaling(ws: WebSocket, msg: SignalingHandshakeRequest, farewell: Farewell | undefined): void {
    // Only the first connection decides about the audio buffered before it; later buffering always applies.
    if (this.counters.signalingAccepted === 0) this.flow.bufferData = msg.buffer_data !== false;
    const prev = this.machine.state;
    const replaced = signalingOf(prev);
    // A socket the client is closing already is left to finish; only an open one is evicted.
    if (replaced && !replaced.isOpen) replaced.markClosed();
    const socket = this.newSocket(ws);
    const recovering = prev.status === 'interrupted';
    const paused = isPaused(prev);
    this.machine.setState(
      { status: paused ? 'paused' : 'active', signaling: socket, media: mediaOf(prev) },
      farewell,
    );
    this.counters.accepted('signaling');
    if (recovering) this.counters.recovered();
    ws.on('message', (data, isBinary) => onSignalingFrame(this.peer, socket, data as Buffer, isBinary));
    ws.on('close', () => {
      socket.markClosed();
      this.signalingLost(socket, 'closed');
    });
    ws.on('error', () => undefined);
    socket.send({
      msg_type: MessageType.SIGNALING_HAND_SHAKE_RESP,
      protocol_version: PROTOCOL_VERSION,
      sequence: 0,
      status_code: StatusCode.STATUS_OK,
      reason: '',
      media_server: { server_urls: this.host.mediaServerUrls(this.stream) },
    });
    sendStateUpdate(socket, this.peer.sessionId, {
      stream: paused ? StreamState.PAUSED : StreamState.ACTIVE,
      session: paused ? SessionState.PAUSED : SessionState.STARTED,
    });
    // Zoom announces where the media starts as soon as signaling is up, before any CLIENT_READY_ACK.
    const first = this.flow.signalingUp(this.peer.simNow());
    if (first !== undefined)
      this.peer.sendEvent({ event_type: EventType.FIRST_PACKET_TIMESTAMP, timestamp: first });
    this.windows.startKeepAlive(socket, () => this.signalingLost(socket, 'keepalive'));
    if (prev.status === 'interrupted') this.awaitLostMedia(prev);
    this.peer.log(recovering ? 'signaling reconnected inside the window' : 'signaling connected');
  }

  /** A media handshake was accepted on `ws` for `kinds`. */
  media(ws: WebSocket, kinds: MediaKind[], params: MediaParams): void {
    const link: MediaLink = {
      socket: this.newSocket(ws),
      kinds,
      params,
      ready: false,
      pump: { videoFrames: 0, shareFrames: 0 },
    };
    this.machine.setState(withMedia(this.machine.state, [...mediaOf(this.machine.state), link]));
    this.counters.accepted('media');
    for (const lost of this.windows.mediaConnected(kinds)) this.mediaRecovered(lost);
    ws.on('message', (data, isBinary) => onMediaFrame(link, data as Buffer, isBinary));
    ws.on('close', () => {
      link.socket.markClosed();
      this.mediaLost(link, 'closed');
    });
    ws.on('error', () => undefined);
    this.windows.startKeepAlive(link.socket, () => this.mediaLost(link, 'keepalive'));
    this.peer.log(`media connected: ${kinds.join('+')}`);
  }

  /** Zoom drops every media socket with signaling, tells the app by webhook and waits for it. */
  private signalingLost(socket: SimSocket, cause: 'keepalive' | 'closed'): void {
    const prev = this.machine.state;
    if (prev.status !== 'active' && prev.status !== 'paused') return;
    if (prev.signaling !== socket) return;
    const earlier = this.windows.takeMediaLosses();
    this.machine.setState({
      status: 'interrupted',
      media: [],
      paused: prev.status === 'paused',
      lostKinds: [...new Set([...prev.media.flatMap((link) => link.kinds), ...earlier.uncounted])],
      earlierLosses: earlier.counted,
    });
    this.counters.interrupted();
    this.peer.log(`signaling lost (${cause}); waiting ${Math.round(this.host.timing.signalingWindowMs)} ms`);
    this.host.webhook(this.stream, 'interrupted');
    this.windows.openSignaling(cause === 'keepalive');
  }

  /**
   * Signaling is back after an interruption: the media it dropped, and media lost before it, must come
   * back inside the media window. Kinds that reconnected meanwhile are back already.
   */
  private awaitLostMedia(prev: Interrupted): void {
    const connected = new Set(prev.media.flatMap((link) => link.kinds));
    const missing = (kinds: readonly MediaKind[]) => kinds.filter((kind) => !connected.has(kind));
    const dropped = missing(prev.lostKinds);
    if (dropped.length > 0) this.windows.openMedia(dropped, false, false);
    for (const lost of prev.earlierLosses) {
      const still = missing(lost);
      if (still.length > 0) this.windows.openMedia(still, false, true);
      else this.mediaRecovered(lost);
    }
  }

  /** A media socket is gone: Zoom says so on signaling and waits for its kinds to come back. */
  private mediaLost(link: MediaLink, cause: 'keepalive' | 'closed'): void {
    const media = mediaOf(this.machine.state);
    if (!media.includes(link)) return;
    const others = media.filter((other) => other !== link);
    this.machine.setState(withMedia(this.machine.state, others));
    const status = this.machine.state.status;
    // Before signaling is up there is no stream to interrupt: the app connects media again after it.
    if (status === 'starting') {
      this.peer.log(`media lost before signaling (${cause}): ${link.kinds.join('+')}`);
      return;
    }
    if (status === 'interrupted') return;
    this.counters.interrupted();
    this.peer.log(`media lost (${cause}): ${link.kinds.join('+')}`);
    this.peer.sendEvent({
      event_type: EventType.MEDIA_CONNECTION_INTERRUPTED,
      timestamp: Date.now(),
      media_type: mediaMaskOf(link.kinds),
    });
    sendStateUpdate(signalingOf(this.machine.state), this.peer.sessionId, {
      stream: StreamState.INTERRUPTED,
      reason: StopReason.DATA_CONNECTION_INTERRUPTED,
    });
    this.windows.openMedia(link.kinds, cause === 'keepalive', true);
  }

  private mediaRecovered(kinds: readonly MediaKind[]): void {
    this.counters.recovered();
    this.peer.log(`media reconnected inside the window: ${kinds.join('+')}`);
    sendStateUpdate(signalingOf(this.machine.state), this.peer.sessionId, {
      stream: this.machine.state.status === 'paused' ? StreamState.PAUSED : StreamState.ACTIVE,
    });
  }

  private newSocket(ws: WebSocket): SimSocket {
    const socket = new SimSocket(ws, {
      frames: this.host.frames,
      keepAliveIntervalMs: this.host.timing.keepAliveIntervalMs,
      keepAliveMaxMissed: this.host.timing.keepAliveMaxMissed,
      keepAliveMode: this.host.keepAliveMode,
      counters: this.counters.keepAlives,
    });
    if (this.faults.keepAliveStopped) socket.stopKeepAlive();
    return socket;
  }
}
