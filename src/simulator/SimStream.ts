/**
 * One simulated RTMS stream: a state machine over {@link SimState}. What it does in each state lives in
 * `stream/`: handshakes, signaling messages, participant events, the media flow, Zoom's windows, faults
 * and the report's counters.
 */
import { randomUUID } from 'node:crypto';
import type WebSocket from 'ws';
import { MessageType, SessionState, StopReason, StreamState } from '../protocol/enums.js';
import type { DataHandshakeRequest, EventPayload, SignalingHandshakeRequest } from '../protocol/messages.js';
import type { Product } from '../protocol/products.js';
import type { Fault } from './faults.js';
import { PRODUCT_KINDS } from './options.js';
import type { SimStreamState, StreamReport } from './report.js';
import { Connections } from './stream/connections.js';
import { StreamCounters } from './stream/counters.js';
import { type HandshakeStream, Handshakes } from './stream/handshakes.js';
import type { SimStreamInit, StreamHost } from './stream/host.js';
import { InterpreterMetadata } from './stream/interpreterMetadata.js';
import { MediaFlow } from './stream/mediaFlow.js';
import { ParticipantEvents } from './stream/participantEvents.js';
import type { SignalingPeer } from './stream/signalingMessages.js';
import {
  type Farewell,
  isPaused,
  mediaOf,
  type SimState,
  STREAM_ENDED,
  signalingOf,
  socketsOf,
} from './stream/state.js';
import { sendStateUpdate } from './stream/stateUpdates.js';
import { type FaultTarget, StreamFaults } from './stream/streamFaults.js';
import { asEventCode } from './stream/voiceEvents.js';
import { Windows } from './stream/windows.js';
import type { Timeline } from './timeline.js';

/** The stream as its jobs see it. */
type StreamContext = HandshakeStream & SignalingPeer & FaultTarget;

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
  /** Last `rtms_started` body sent, for duplicate and late deliveries. */
  startedBody: Buffer | undefined;
  startedEventTs = 0;

  private readonly host: StreamHost;
  private readonly startPerf = performance.now();
  private readonly counters: StreamCounters;
  private readonly windows: Windows;
  private readonly faults: StreamFaults;
  private readonly handshakes: Handshakes;
  private readonly events: ParticipantEvents;
  private readonly flow: MediaFlow;
  private readonly metadata: InterpreterMetadata;
  private readonly connections: Connections;
  private state: SimState = { status: 'starting', media: [] };

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
    this.counters = new StreamCounters(this.tsBase);
    this.windows = new Windows(host.timing, (window, reason) => {
      if (window === 'media')
        this.log(`media not reconnected inside ${Math.round(host.timing.mediaWindowMs)} ms`);
      this.end(reason);
    });
    this.flow = new MediaFlow({
      streamId: this.streamId,
      product: this.product,
      timeline: this.timeline,
      tsBase: this.tsBase,
      wav: host.wav,
      structuredChat: host.structuredChat,
      audioCache: host.audioCache,
      pictures: host.pictures,
      codedAudio: host.codedAudio,
      counters: this.counters,
    });
    this.events = new ParticipantEvents({
      product: this.product,
      timeline: this.timeline,
      tsBase: this.tsBase,
      accountId: this.accountId,
      instanceId: this.instanceId,
      simNow: () => this.simNow(),
      send: (event) => this.sendEvent(event),
    });
    this.metadata = new InterpreterMetadata(this.timeline, this.tsBase);
    const context = this.context();
    this.faults = new StreamFaults(context, init.faults);
    this.handshakes = new Handshakes(host, context, this.faults);
    const stream = this;
    this.connections = new Connections({
      host,
      stream: this,
      machine: {
        get state() {
          return stream.state;
        },
        setState: (next, farewell) => this.setState(next, farewell),
      },
      counters: this.counters,
      windows: this.windows,
      flow: this.flow,
      faults: this.faults,
      peer: context,
    });
  }

  get status(): SimStreamState {
    return this.state.status;
  }

  get ended(): boolean {
    return this.state.status === 'ended';
  }

  /** Real ms every later webhook of the stream waits (the `slow-webhook` fault). */
  get webhookDelayMs(): number {
    return this.faults.webhookDelayMs;
  }

  /** Simulated ms since the stream started. */
  simNow(): number {
    return (performance.now() - this.startPerf) * this.host.timing.timeScale;
  }

  start(): void {
    this.host.webhook(this, 'started');
    this.log(`started ${this.product} stream, ${this.timeline.scenario.participants.length} participants`);
  }

  /** Advances the stream to now: scripted faults, events, media, and the end of the meeting. */
  tick(): void {
    if (this.ended) return;
    const now = this.simNow();
    this.faults.due(now);
    if (this.ended) return;
    const { status } = this.state;
    this.events.advance(now, status === 'active' || status === 'paused');
    if (this.state.status === 'active' && !this.faults.mediaStopped) {
      this.flow.pump(this.state.media, now);
      this.metadata.pump(this.state.media, now);
    }
    if (now >= this.durationMs) this.end(StopReason.MEETING_ENDED);
  }

  /** A valid-looking SIGNALING_HAND_SHAKE_REQ for this stream arrived on `ws`. */
  acceptSignaling(ws: WebSocket, msg: SignalingHandshakeRequest, nodeId: number): void {
    this.handshakes.acceptSignaling(ws, msg, nodeId);
  }

  /** A DATA_HAND_SHAKE_REQ for this stream arrived on `ws`. */
  acceptMedia(ws: WebSocket, msg: DataHandshakeRequest, nodeId: number): void {
    this.handshakes.acceptMedia(ws, msg, nodeId);
  }

  applyFault(fault: Fault): void {
    this.faults.apply(fault);
  }

  /** Called by the simulator after it moved the stream to a new server: old sockets go. */
  onFailover(nodeId: number): void {
    this.nodeId = nodeId;
    const prev = this.state;
    if (prev.status === 'ended') return;
    const earlier = this.windows.takeMediaLosses();
    this.setState({
      status: 'interrupted',
      media: [],
      paused: isPaused(prev),
      lostKinds: prev.status === 'interrupted' ? prev.lostKinds : [],
      earlierLosses: [...(prev.status === 'interrupted' ? prev.earlierLosses : []), ...earlier.counted],
    });
    this.counters.interrupted();
    this.windows.openSignaling(false);
  }

  pause(): boolean {
    const prev = this.state;
    if (prev.status !== 'active') return false;
    this.setState({ status: 'paused', signaling: prev.signaling, media: prev.media });
    sendStateUpdate(prev.signaling, this.sessionId, {
      stream: StreamState.PAUSED,
      session: SessionState.PAUSED,
    });
    return true;
  }

  resume(): boolean {
    const prev = this.state;
    if (prev.status !== 'paused') return false;
    this.setState({ status: 'active', signaling: prev.signaling, media: prev.media });
    this.flow.skipTo(this.simNow());
    sendStateUpdate(prev.signaling, this.sessionId, {
      stream: StreamState.RESUMED,
      session: SessionState.RESUMED,
    });
    return true;
  }

  /** Ends the stream: tells the client, closes every socket, sends `rtms_stopped`. Idempotent. */
  end(reason: number): void {
    const signaling = signalingOf(this.state);
    if (this.ended) return;
    this.counters.ended(reason);
    if (signaling?.isOpen) {
      // On the media's clock, and no later than the meeting's scripted end (a tick may overshoot it):
      // a recording pads its audio to the end the stream announces.
      const timestamp = this.tsBase + Math.min(this.simNow(), this.durationMs);
      this.events.everyoneLeaves(timestamp);
      sendStateUpdate(signaling, this.sessionId, {
        session: SessionState.STOPPED,
        stream: StreamState.TERMINATED,
        reason,
        timestamp,
      });
    }
    this.setState({ status: 'ended' }, STREAM_ENDED);
    this.log(`ended: ${StopReason[reason] ?? reason}`);
    this.host.webhook(this, 'stopped');
    if (this.faults.lateRetry) this.host.resendStarted(this);
    this.host.ended(this);
  }

  /** Drops everything without telling anyone (simulator shutdown). */
  destroy(): void {
    this.setState({ status: 'ended' });
  }

  report(): StreamReport {
    return this.counters.report(this, this.state.status);
  }

  /** The stream as its jobs see it: each takes the part it needs. */
  private context(): StreamContext {
    const stream = this;
    const host = this.host;
    return {
      streamId: this.streamId,
      product: this.product,
      instanceId: this.instanceId,
      sessionId: this.sessionId,
      timeline: this.timeline,
      allowedKinds: new Set(PRODUCT_KINDS[this.product]),
      counters: this.counters,
      events: this.events,
      flow: this.flow,
      get ended() {
        return stream.ended;
      },
      servedBy: (nodeId) => !this.ended && nodeId === this.nodeId,
      status: () => this.state.status,
      signaling: () => signalingOf(this.state),
      media: () => mediaOf(this.state),
      simNow: () => this.simNow(),
      sendEvent: (event) => this.sendEvent(event),
      log: (line) => this.log(line),
      connectSignaling: (ws, msg, farewell) => this.connections.signaling(ws, msg, farewell),
      connectMedia: (ws, kinds, params) => this.connections.media(ws, kinds, params),
      applied: (text) => {
        this.counters.fault(text);
        this.log(`fault: ${text}`);
      },
      failover: () => host.failover(this),
      resendStarted: () => host.resendStarted(this),
      stopKeepAlive: () => {
        for (const socket of socketsOf(this.state)) socket.stopKeepAlive();
      },
      pause: () => this.pause(),
      resume: () => this.resume(),
      end: (reason) => this.end(reason),
    };
  }

  /**
   * The one way the state changes. Sockets the new state no longer holds go, with `farewell`'s close
   * frame or dropped without one, and so do the windows it cannot have.
   */
  private setState(next: SimState, farewell?: Farewell): void {
    const prev = this.state;
    this.state = next;
    const kept = socketsOf(next);
    for (const socket of socketsOf(prev)) {
      if (kept.includes(socket)) continue;
      this.windows.stopKeepAlive(socket);
      if (farewell) socket.close(farewell.code, farewell.reason);
      else socket.drop();
    }
    this.windows.retain(next.status);
  }

  private sendEvent(event: EventPayload): void {
    // Zoom Phone names its events by V2 `event_code` only.
    const wire = this.product === 'phone' ? asEventCode(event) : event;
    signalingOf(this.state)?.send({ msg_type: MessageType.EVENT_UPDATE, event: wire });
  }

  private log(line: string): void {
    this.host.log(this, line);
  }
}
