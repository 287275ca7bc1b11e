/**
 * One RTMS stream: its state, its public controls, and recovery from every failure Zoom documents,
 * inside Zoom's windows. The sockets are in StreamConnection, the retry loop in retryLoop.ts.
 *
 * ```
 *   app                          signaling server                 media server
 *    │── SIGNALING_HAND_SHAKE_REQ (1) ──▶│                               │
 *    │◀── SIGNALING_HAND_SHAKE_RESP (2) ─│  media_server.server_urls     │
 *    │── EVENT_SUBSCRIPTION (5) ────────▶│                               │
 *    │── DATA_HAND_SHAKE_REQ (3) ─────────────────────────────────────────▶│  one per media socket
 *    │◀── DATA_HAND_SHAKE_RESP (4) ────────────────────────────────────────│
 *    │── CLIENT_READY_ACK (7) ──────────▶│                               │
 *    │◀── EVENT_UPDATE (6), STATE (8, 9)─│◀── media (14–18) ─────────────│
 *    │◀─ KEEP_ALIVE_REQ (12) ─ both ─────│── answered with 13 at once ──▶│
 * ```
 */
import { EventEmitter } from 'node:events';
import { StopReason } from '../protocol/enums.js';
import { RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';
import type {
  MediaParams,
  ServerMessage,
  SessionStateResponse,
  StreamStateResponse,
  VideoSubscriptionResponse,
} from '../protocol/messages.js';
import { recoveryForStopReason } from '../protocol/recovery.js';
import { DeliveryTracker, dispatchMedia, type MediaCounters } from './dispatch.js';
import { entersState } from './entersState.js';
import type { StreamEvents, StreamStatus } from './events.js';
import { closeCause } from './handshake.js';
import { type ResolvedStreamOptions, type RtmsStreamOptions, resolveStreamOptions } from './options.js';
import type { RtmsSocket, SocketCloseInfo } from './RtmsSocket.js';
import {
  requestSessionState,
  requestStreamClose,
  requestStreamState,
  requestVideoSubscription,
  type SendRequest,
} from './requests.js';
import { type MediaSlot, StreamConnection } from './StreamConnection.js';
import { type ListenerTracker, safeEmit1, trackListeners } from './safeEmit.js';
import { checkServerUrl } from './serverUrls.js';
import { onSignalingMessage, type SessionFacts, type SignalingHost } from './signalingMessages.js';
import { StreamRecovery } from './streamRecovery.js';
import { type EndStatus, isEnd, Live, type LiveStatus, type StreamState } from './streamState.js';

export interface StreamCounters extends MediaCounters {
  reconnects: number;
  decodeErrors: number;
  keepAlivesAnswered: number;
  /** `now - timestamp` of the latest keep-alive: one-way delay plus clock skew, ms. */
  keepAliveDelayMs: number | undefined;
}

/**
 * Receives every event of a stream before its own listeners, called directly: how a `StreamManager`
 * forwards a stream's events without a second EventEmitter dispatch per frame.
 */
export type StreamSink = <K extends keyof StreamEvents>(name: K, payload: StreamEvents[K][0]) => void;

/**
 * @example
 * const stream = new RtmsStream({ streamId, instanceId, product: 'meeting', serverUrls, credentials });
 * stream.on('audio', (frame) => wav.write(frame.data));
 * await stream.connect();
 */
export class RtmsStream extends EventEmitter<StreamEvents> implements AsyncDisposable {
  readonly options: ResolvedStreamOptions;
  private state: StreamState = { status: 'idle' };
  /** Media may be delivered: from the first connect until the stream ended (draining included). */
  private open = true;
  private serverUrls: readonly string[];
  private readonly conn: StreamConnection;
  private readonly tracker = new DeliveryTracker();
  private readonly listening: ListenerTracker;
  private readonly signalingHost: SignalingHost;
  private sink: StreamSink | undefined;
  private readonly session: SessionFacts = { sessionId: undefined, stopped: undefined, lastEvent7At: 0 };
  private connectPromise: Promise<void> | undefined;
  private readonly recovery: StreamRecovery;
  readonly counters: StreamCounters = {
    frames: { audio: 0, video: 0, deskshare: 0, transcript: 0, chat: 0 },
    bytes: { audio: 0, video: 0, deskshare: 0, transcript: 0, chat: 0 },
    duplicates: 0,
    reconnects: 0,
    decodeErrors: 0,
    keepAlivesAnswered: 0,
    keepAliveDelayMs: undefined,
  };

  constructor(options: RtmsStreamOptions) {
    super();
    this.options = resolveStreamOptions(options);
    this.serverUrls = this.options.serverUrls;
    // Fail before any network traffic when a URL is not allowed.
    for (const url of this.serverUrls)
      checkServerUrl(url, this.options.allowedHosts, this.options.allowLoopback);
    this.listening = trackListeners(this as unknown as EventEmitter);
    const slotsOf = () => this.conn.slots;
    this.signalingHost = {
      product: this.options.product,
      get slots() {
        return slotsOf();
      },
      session: this.session,
      emit: (name, payload) => this.emitEvent(name, payload),
      recoverAll: (cause) => this.recovery.all(cause),
      recoverMedia: (slot, cause) => this.recovery.media(slot, cause),
      stop: (reason) => this.stop(reason),
    };
    this.conn = new StreamConnection(
      this.options,
      {
        signalingMessage: (msg) => this.onSignalingMessage(msg),
        mediaMessage: (slot, msg) => this.onMediaMessage(slot, msg),
        signalingClosed: (socket, info) => this.onSignalingClose(socket, info),
        mediaClosed: (slot, socket, info) => this.onMediaClose(slot, socket, info),
        signalingOpened: () => {
          this.session.stopped = undefined;
        },
      },
      {
        timeouts: this.options.timeouts,
        ca: this.options.ca,
        gate: this.options.handshakeGate,
        onDecodeError: () => {
          this.counters.decodeErrors++;
        },
      },
    );
    this.recovery = new StreamRecovery({
      conn: this.conn,
      kinds: this.options.kinds,
      signalingWindowMs: this.options.timeouts.signalingWindowMs,
      mediaWindowMs: this.options.timeouts.mediaWindowMs,
      policy: (context) => this.options.reconnectPolicy(context),
      serverUrls: () => this.serverUrls,
      recoverable: () => this.recoverable(),
      ended: () => this.ended,
      reconnectingNow: () => this.state.status === 'reconnecting',
      setStatus: (status) => this.setLiveStatus(status),
      reconnecting: (event) => this.emitEvent('reconnecting', event),
      reconnected: (event) => {
        this.counters.reconnects++;
        this.emitEvent('reconnected', event);
      },
      end: (status, error) => this.finish(status, error, undefined),
    });
  }

  get streamId(): string {
    return this.options.streamId;
  }

  /** The signaling URLs the stream connects to now (those of its latest `rtms_started`), best first. */
  get signalingUrls(): readonly string[] {
    return this.serverUrls;
  }

  get status(): StreamStatus {
    return this.state.status;
  }

  /** Confirmed media parameters, merged across media sockets. */
  get mediaParams(): MediaParams {
    return this.conn.mediaParams;
  }

  /**
   * Gives every event, before the stream's own listeners, to `sink` (one at most; `undefined` removes
   * it). A sink that throws is reported like a listener that throws.
   *
   * @remarks For `StreamManager`, which forwards every event of its streams.
   */
  setSink(sink: StreamSink | undefined): void {
    this.sink = sink;
  }

  private get live(): Live | undefined {
    return 'live' in this.state ? this.state.live : undefined;
  }

  private get ended(): boolean {
    return this.live === undefined && this.state.status !== 'idle';
  }

  /** The one transition: the state the stream leaves tears down what the new one does not hold. */
  private setState(next: StreamState): void {
    const previous = this.state;
    this.state = next;
    const nextLive = 'live' in next ? next.live : undefined;
    if ('live' in previous && previous.live !== nextLive) previous.live.dispose();
    this.open = !isEnd(next.status);
    if (previous.status !== next.status)
      this.emitEvent('stateChange', { from: previous.status, to: next.status });
  }

  private setLiveStatus(status: LiveStatus): void {
    const live = this.live;
    if (live) this.setState({ status, live });
  }

  /** Emits one event to the sink, then to the listeners; none of them can break the caller. */
  private emitEvent<K extends keyof StreamEvents>(name: K, payload: StreamEvents[K][0]): void {
    const sink = this.sink;
    if (sink !== undefined) {
      try {
        sink(name, payload);
      } catch (cause) {
        this.reportListenerError(name, cause);
      }
    }
    safeEmit1(this as unknown as EventEmitter, this.listening, name, payload, this.reportListenerError);
  }

  private readonly reportListenerError = (name: string, cause: unknown): void => {
    if (name === 'error') return;
    const error = new RtmsError(RTMS_ERROR_CODES.HANDLER_FAILED, `a '${name}' listener threw`, {
      cause,
      fix: 'fix the listener; the stream goes on',
    });
    this.emitEvent('error', error);
  };

  // -------------------------------------------------------------------------------------------------
  // Connecting and recovering

  /**
   * Connects signaling and media. Resolves once every media socket is ready; rejects with an
   * {@link RtmsError} on a fatal status (bad signature, bad params…) or when Zoom's window is spent.
   * Idempotent.
   */
  connect(): Promise<void> {
    if (!this.connectPromise) {
      if (this.ended) {
        const error = 'error' in this.state ? this.state.error : undefined;
        this.connectPromise = Promise.reject(error ?? RtmsError.closed(`stream ${this.streamId}`));
      } else {
        this.connectPromise = this.entersState('ready', new AbortController().signal);
        if (this.state.status === 'idle') this.setState({ status: 'connecting', live: new Live(this.conn) });
        this.recovery.all({ trigger: 'initial', reason: 'initial connection' }, { initial: true });
      }
      this.connectPromise.catch(() => undefined);
    }
    return this.connectPromise;
  }

  /** The stream may start a recovery: it is live and not closing. */
  private recoverable(): Live | undefined {
    return this.state.status === 'closing' ? undefined : this.live;
  }

  // -------------------------------------------------------------------------------------------------
  // Steady state

  private onSignalingMessage(msg: ServerMessage): void {
    const live = this.live;
    if (!live) return;
    live.requests.answer(msg);
    onSignalingMessage(this.signalingHost, msg);
  }

  /** The media path: a frame of a ready socket, while the stream is open (closing included). */
  private onMediaMessage(slot: MediaSlot, msg: ServerMessage): void {
    if (!slot.ready || !this.open) return;
    dispatchMedia(msg, slot.format, slot.params, this.tracker, this.counters, this.emitDispatched);
  }

  /** `emitEvent` for the dispatchers, bound once. */
  private readonly emitDispatched = <K extends keyof StreamEvents>(name: K, payload: StreamEvents[K][0]) =>
    this.emitEvent(name, payload);

  private onSignalingClose(socket: RtmsSocket, info: SocketCloseInfo): void {
    this.counters.keepAlivesAnswered += socket.keepAlivesAnswered;
    if (socket !== this.conn.signaling || info.byUs) return;
    this.conn.signaling = undefined;
    const live = this.recoverable();
    if (!live) return;
    // A recovery of everything is already replacing this socket (a failover that came before its loss).
    if (live.allRecovery?.replaces === socket) return;
    const stopped = this.session.stopped;
    if (stopped !== undefined && recoveryForStopReason(stopped).action === 'stream-over') {
      this.stop(stopped);
      return;
    }
    const cause = closeCause(info, 'signaling');
    this.recovery.all({ ...cause, reason: `signaling lost: ${cause.reason}` });
  }

  private onMediaClose(slot: MediaSlot, socket: RtmsSocket, info: SocketCloseInfo): void {
    this.counters.keepAlivesAnswered += socket.keepAlivesAnswered;
    if (slot.socket !== socket || info.byUs) return;
    slot.socket = undefined;
    slot.ready = false;
    if (!this.recoverable()) return;
    const cause = closeCause(info, 'media');
    this.recovery.media(slot, { ...cause, reason: `media (${slot.kinds.join('+')}) lost: ${cause.reason}` });
  }

  // -------------------------------------------------------------------------------------------------
  // Controls

  /** Reconnects everything now (Zoom's `rtms_interrupted` webhook). */
  reconnect(reason = 'rtms_interrupted'): void {
    // Already reconnecting everything (our own socket noticed first): let that attempt run on.
    if (this.live?.allRecovery) return;
    this.recovery.all({ trigger: 'interrupted-webhook', reason });
  }

  /** A new `rtms_started` for this stream: reconnect to the new server URLs. */
  failover(serverUrls: readonly string[]): void {
    for (const url of serverUrls) checkServerUrl(url, this.options.allowedHosts, this.options.allowLoopback);
    this.serverUrls = serverUrls;
    // The old server usually dies first: the recovery its loss started goes on, now to the new servers
    // and at once, so one failover is one recovery (one `reconnecting` sequence, one `reconnected`).
    const running = this.recovery.running();
    this.recovery.all(
      { trigger: 'failover', reason: 'server failover' },
      running ? { carry: running } : { immediate: true },
    );
  }

  /** Zoom ended the stream (`rtms_stopped` or TERMINATED): close everything, no reconnect. */
  stop(stopReason: number): void {
    // Our own STREAM_CLOSE_REQ ends in a TERMINATED too: that is still a close by the application.
    void this.drain(stopReason, this.state.status === 'closing' ? 'closed' : undefined);
  }

  /**
   * Ends the stream without losing what the server already sent: recovery stops, and the media sockets
   * are read until the server closes them (or `closeMs` passes), then everything is torn down.
   */
  private drain(stopReason: number | undefined, why?: 'closed'): Promise<void> {
    if (this.state.status === 'idle') this.setState({ status: 'closing', live: new Live(this.conn) });
    const live = this.live;
    if (!live) return Promise.resolve();
    if (!live.draining) {
      this.setLiveStatus('closing');
      live.allRecovery?.op.abort();
      for (const slot of this.conn.slots) slot.recovery?.abort();
      const open = this.conn.slots.flatMap((s) => (s.socket?.isOpen ? [s.socket.closed] : []));
      const grace = new Promise<void>((resolve) =>
        setTimeout(resolve, this.options.timeouts.closeMs).unref(),
      );
      live.draining = Promise.race([Promise.all(open), grace]).then(() => {
        this.finish('closed', undefined, stopReason, why);
      });
    }
    return live.draining;
  }

  /** Requests on the signaling socket, answered by messages the live state hands on. */
  private readonly send: SendRequest = (msg, match, what) => {
    const live = this.live;
    if (!live)
      return Promise.reject(new RtmsError(RTMS_ERROR_CODES.CLOSED, `${what}: signaling is not connected`));
    return live.requests.send(this.conn.signaling, msg, match, what, this.options.timeouts.handshakeMs);
  };

  /** Asks for one participant's video (video `data_opt` 4); `on: false` stops it. */
  subscribeVideo(userId: number, on = true): Promise<VideoSubscriptionResponse> {
    return requestVideoSubscription(this.send, userId, on);
  }

  /** SESSION_STATE_REQ for the current session. */
  requestSessionState(): Promise<SessionStateResponse> {
    return requestSessionState(this.send, this.session.sessionId);
  }

  /** STREAM_STATE_REQ. */
  requestStreamState(): Promise<StreamStateResponse> {
    return requestStreamState(this.send, this.streamId);
  }

  /** Resolves when the stream reaches `target`; rejects on timeout, abort, or another final status. */
  entersState(target: StreamStatus, timeoutOrSignal: number | AbortSignal): Promise<void> {
    return entersState(this, target, timeoutOrSignal, `stream ${this.streamId}`, () =>
      'error' in this.state ? this.state.error : undefined,
    );
  }

  /**
   * Closes the stream. `graceful` (default) asks Zoom to end it (STREAM_CLOSE_REQ) and waits for the
   * answer; otherwise the sockets just go, and Zoom will keep the stream alive for its reconnect window.
   * Idempotent.
   */
  async close(options: { graceful?: boolean } = {}): Promise<void> {
    if (this.ended) return;
    const graceful = options.graceful ?? true;
    if (graceful && this.conn.signaling?.isOpen && this.state.status !== 'closing') {
      this.setLiveStatus('closing');
      try {
        await requestStreamClose(this.send, this.streamId);
      } catch {
        // No answer in time: close our side anyway.
      }
    }
    if (graceful) await this.drain(StopReason.RECEIVER_REQUEST_CLOSE, 'closed');
    else this.finish('closed', undefined, undefined, 'closed');
  }

  /** The end: the state change tears down every socket, timer and wait. Idempotent. */
  private finish(
    status: EndStatus,
    error: RtmsError | undefined,
    stopReason: number | undefined,
    why?: 'closed',
  ): void {
    if (this.ended) return;
    // Everything goes before anyone hears of the end; the state change below then finds nothing left.
    this.live?.dispose();
    if (error) this.emitEvent('error', error);
    this.setState({ status, error });
    this.emitEvent('closed', {
      reason: status === 'closed' ? (why ?? 'stopped') : status,
      stopReason,
      error,
    });
  }

  /** Keep-alive counters of the sockets that are open now plus those already closed. */
  snapshotCounters(): StreamCounters {
    let answered = this.counters.keepAlivesAnswered;
    let delay = this.counters.keepAliveDelayMs;
    for (const socket of this.conn.sockets()) {
      answered += socket.keepAlivesAnswered;
      if (socket.keepAliveDelayMs !== undefined) delay = socket.keepAliveDelayMs;
    }
    return {
      ...this.counters,
      frames: { ...this.counters.frames },
      bytes: { ...this.counters.bytes },
      keepAlivesAnswered: answered,
      keepAliveDelayMs: delay,
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close({ graceful: false });
  }
}
