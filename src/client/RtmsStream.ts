/**
 * One RTMS stream: its signaling socket, its media sockets, and recovery from every failure Zoom
 * documents, inside Zoom's windows.
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
import type { DecodeError } from '../protocol/codec.js';
import {
  EventType,
  MEDIA_KINDS,
  type MediaKind,
  MediaType,
  MessageType,
  mediaKindsOf,
  mediaMaskOf,
  SessionState,
  StatusCode,
  StopReason,
  StreamState,
} from '../protocol/enums.js';
import { isRtmsError, RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';
import type {
  ClientMessage,
  MediaParams,
  ServerMessage,
  SessionStateResponse,
  StreamStateResponse,
  VideoSubscriptionResponse,
} from '../protocol/messages.js';
import {
  recoveryForAttempt,
  recoveryForClose,
  recoveryForStatus,
  recoveryForStopReason,
} from '../protocol/recovery.js';
import { handshakeSignature } from '../protocol/signature.js';
import { PROTOCOL_VERSION } from '../protocol/timing.js';
import {
  type AudioFormat,
  audioFormatOf,
  DeliveryTracker,
  dispatchEvent,
  dispatchMedia,
  type MediaCounters,
} from './dispatch.js';
import type { ReconnectScope, ReconnectTrigger, StreamEvents, StreamStatus } from './events.js';
import { type ResolvedStreamOptions, type RtmsStreamOptions, resolveStreamOptions } from './options.js';
import { RtmsSocket, type SocketCloseInfo } from './RtmsSocket.js';
import { safeEmit } from './safeEmit.js';
import { checkServerUrl, mediaUrlFor } from './serverUrls.js';

function noop(): void {}

/** One planned media socket: a kind (split mode) or every kind (unified mode). */
interface MediaSlot {
  key: MediaKind | 'all';
  kinds: MediaKind[];
  mask: number;
  socket: RtmsSocket | undefined;
  /** CLIENT_READY_ACK sent for this socket: its media may be delivered. */
  ready: boolean;
  format: AudioFormat;
  params: MediaParams;
  /** The running reconnect of this slot, if any. */
  recovery: AbortController | undefined;
}

export interface StreamCounters extends MediaCounters {
  reconnects: number;
  decodeErrors: number;
  keepAlivesAnswered: number;
  /** `now - timestamp` of the latest keep-alive: one-way delay plus clock skew, ms. */
  keepAliveDelayMs: number | undefined;
}

interface Waiter {
  match: (msg: ServerMessage) => boolean;
  resolve: (msg: ServerMessage) => void;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(RtmsError.aborted('waiting to reconnect'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref();
    const onAbort = () => {
      clearTimeout(timer);
      reject(RtmsError.aborted('waiting to reconnect'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** What lost a socket, and why in words: the close code's meaning comes from the recovery table. */
function closeCause(info: SocketCloseInfo, socket: 'signaling' | 'media'): RecoveryCause {
  const lost: ReconnectTrigger = socket === 'signaling' ? 'signaling-lost' : 'media-lost';
  if (info.dead) return { trigger: 'silent-socket', reason: 'silent socket (watchdog)' };
  const err = info.error as (Error & { code?: string }) | undefined;
  if (err?.code === 'ECONNRESET')
    return { trigger: 'connection-reset', reason: `ECONNRESET (close ${info.code})` };
  if (err?.code) return { trigger: lost, reason: `${err.code} (close ${info.code})` };
  return { trigger: lost, reason: `close ${info.code}: ${recoveryForClose(info.code, socket).cause}` };
}

/** Why a recovery runs. */
interface RecoveryCause {
  trigger: ReconnectTrigger;
  reason: string;
}

/** How far one recovery has come; a failover that replaces it goes on from here. */
interface RecoveryProgress {
  /** When the connection was lost (performance.now()). */
  lostAt: number;
  /** Attempts made. */
  tries: number;
  /** Delays waited (each announced by a `reconnecting` event). */
  retries: number;
  /** The first connection, not a reconnection. */
  initial: boolean;
}

const TERMINAL: ReadonlySet<StreamStatus> = new Set(['closed', 'lost', 'failed']);

/**
 * @example
 * const stream = new RtmsStream({ streamId, instanceId, product: 'meeting', serverUrls, credentials });
 * stream.on('audio', (frame) => wav.write(frame.data));
 * await stream.connect();
 */
export class RtmsStream extends EventEmitter<StreamEvents> implements AsyncDisposable {
  readonly options: ResolvedStreamOptions;
  private statusValue: StreamStatus = 'idle';
  private serverUrls: readonly string[];
  private signaling: RtmsSocket | undefined;
  private slots: MediaSlot[] = [];
  private mediaUrls: Readonly<Record<string, string>> = {};
  private readonly lifetime = new AbortController();
  /** The running connect-everything attempt (initial, reconnect or failover). */
  private allRecovery:
    | {
        op: AbortController;
        progress: RecoveryProgress;
        /** The signaling socket this recovery replaces: its close is expected, not a new loss. */
        replaces: RtmsSocket | undefined;
      }
    | undefined;
  private readonly tracker = new DeliveryTracker();
  private readonly waiters = new Set<Waiter>();
  private sessionId: string | undefined;
  private sessionStopped: number | undefined;
  private lastEvent7At = 0;
  private connectPromise: Promise<void> | undefined;
  /** Connected at least once: a later status 2 may be a failover in progress. */
  private everReady = false;
  /** The end in progress: media still flowing is read until the server closes the sockets. */
  private draining: Promise<void> | undefined;
  readonly counters: StreamCounters = {
    frames: { audio: 0, video: 0, deskshare: 0, transcript: 0, chat: 0 },
    bytes: { audio: 0, video: 0, deskshare: 0, transcript: 0, chat: 0 },
    duplicates: 0,
    reconnects: 0,
    decodeErrors: 0,
    keepAlivesAnswered: 0,
    keepAliveDelayMs: undefined,
  };
  /** Emits to application listeners; one that throws is reported and never breaks the socket loop. */
  private readonly emitSafe = <K extends keyof StreamEvents>(name: K, ...args: StreamEvents[K]): void => {
    if (this.listenerCount(name) <= 1) {
      // The media hot path: one listener (usually the manager), no array or closure per frame.
      try {
        (this.emit as (n: K, ...a: StreamEvents[K]) => boolean)(name, ...args);
      } catch (cause) {
        this.reportListenerError(name, cause);
      }
      return;
    }
    safeEmit(this as unknown as EventEmitter, name, args, (cause) => this.reportListenerError(name, cause));
  };

  constructor(options: RtmsStreamOptions) {
    super();
    this.options = resolveStreamOptions(options);
    this.serverUrls = this.options.serverUrls;
    // Fail before any network traffic when a URL is not allowed.
    for (const url of this.serverUrls)
      checkServerUrl(url, this.options.allowedHosts, this.options.allowLoopback);
  }

  get streamId(): string {
    return this.options.streamId;
  }

  get status(): StreamStatus {
    return this.statusValue;
  }

  /** Confirmed media parameters, merged across media sockets. */
  get mediaParams(): MediaParams {
    const out: MediaParams = {};
    for (const slot of this.slots) Object.assign(out, slot.params);
    return out;
  }

  private setStatus(to: StreamStatus): void {
    const from = this.statusValue;
    if (from === to) return;
    this.statusValue = to;
    this.emitSafe('stateChange', { from, to });
  }

  private reportListenerError(name: string, cause: unknown): void {
    const error = new RtmsError(RTMS_ERROR_CODES.HANDLER_FAILED, `a '${name}' listener threw`, {
      cause,
      fix: 'fix the listener; the stream goes on',
    });
    if (name !== 'error' && this.listenerCount('error') > 0) {
      try {
        this.emit('error', error);
      } catch {
        // An error listener that throws has nowhere left to report to.
      }
    }
  }

  private emitError(error: RtmsError): void {
    // An unhandled 'error' event would throw; the error also reaches connect() or `closed`.
    if (this.listenerCount('error') > 0) this.emitSafe('error', error);
  }

  // -------------------------------------------------------------------------------------------------
  // Connecting

  /**
   * Connects signaling and media. Resolves once every media socket is ready; rejects with an
   * {@link RtmsError} on a fatal status (bad signature, bad params…) or when Zoom's window is spent.
   * Idempotent.
   */
  connect(): Promise<void> {
    if (!this.connectPromise) {
      this.connectPromise = new Promise<void>((resolve, reject) => {
        const onChange = ({ to }: { to: StreamStatus }) => {
          if (to === 'ready') {
            this.off('stateChange', onChange);
            resolve();
          } else if (TERMINAL.has(to)) {
            this.off('stateChange', onChange);
            reject(this.terminalError ?? RtmsError.closed(`stream ${this.streamId}`));
          }
        };
        this.on('stateChange', onChange);
      });
      this.connectPromise.catch(() => undefined);
      this.recoverAll({ trigger: 'initial', reason: 'initial connection' }, true);
    }
    return this.connectPromise;
  }

  private terminalError: RtmsError | undefined;

  private signatureFields() {
    const o = this.options;
    return {
      [o.instanceKey]: o.instanceId,
      rtms_stream_id: o.streamId,
      signature: handshakeSignature({
        clientId: o.credentials.clientId,
        clientSecret: o.credentials.clientSecret,
        instanceId: o.instanceId,
        streamId: o.streamId,
      }),
    };
  }

  /**
   * Opens a socket and waits for the first message matching `expected`, with the handshake timeout.
   * Messages after the answer that arrive before the caller installs its own handlers (the server's first
   * frames, read in the same chunk as the answer) are returned in `early`, in order, for the caller to
   * handle once its handlers are in place.
   */
  private async handshake(
    url: string,
    request: ClientMessage,
    expected: MessageType,
    signal: AbortSignal,
  ): Promise<{ socket: RtmsSocket; response: ServerMessage; early: ServerMessage[] }> {
    const { timeouts } = this.options;
    let settle: ((msg: ServerMessage) => void) | undefined;
    let fail: ((err: RtmsError) => void) | undefined;
    const answered = new Promise<ServerMessage>((resolve, reject) => {
      settle = resolve;
      fail = reject;
    });
    answered.catch(() => undefined);
    let gotAnswer = false;
    // Bounded by what one read delivers: the caller swaps the handlers without waiting in between.
    const early: ServerMessage[] = [];
    // Queued behind other streams' handshakes: the connect timeout starts once the turn comes.
    const release = this.options.handshakeGate ? await this.options.handshakeGate.acquire(signal) : noop;
    let socket: RtmsSocket;
    try {
      socket = new RtmsSocket(
        url,
        { deadSocketMs: timeouts.deadSocketMs, ca: this.options.ca },
        {
          message: (msg) => {
            if (gotAnswer) {
              early.push(msg as ServerMessage);
            } else if (msg.msg_type === expected) {
              gotAnswer = true;
              settle?.(msg as ServerMessage);
            }
          },
          decodeError: () => {
            this.counters.decodeErrors++;
          },
          close: (info) =>
            fail?.(
              new RtmsError(
                RTMS_ERROR_CODES.ABORTED,
                `socket closed during the handshake (${closeCause(info, expected === MessageType.SIGNALING_HAND_SHAKE_RESP ? 'signaling' : 'media').reason})`,
              ),
            ),
        },
      );
    } catch (err) {
      release();
      throw err;
    }
    const onAbort = () => socket.terminate();
    signal.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      await socket.waitOpen(timeouts.connectMs, signal);
      socket.send(request);
      const response = await Promise.race([
        answered,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(RtmsError.timeout(`${MessageType[expected]} from ${url}`, timeouts.handshakeMs)),
            timeouts.handshakeMs,
          );
          timer.unref();
        }),
      ]);
      if (signal.aborted) throw RtmsError.aborted('handshake');
      return { socket, response, early };
    } catch (err) {
      socket.terminate();
      throw err;
    } finally {
      release();
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Signaling handshake, subscription, then every media socket. */
  private async establishAll(signal: AbortSignal): Promise<void> {
    this.teardownSockets();
    const url = this.serverUrls.find((u) => {
      try {
        checkServerUrl(u, this.options.allowedHosts, this.options.allowLoopback);
        return true;
      } catch {
        return false;
      }
    });
    if (!url) throw checkServerUrlError(this.serverUrls, this.options);
    const { socket, response, early } = await this.handshake(
      url,
      {
        msg_type: MessageType.SIGNALING_HAND_SHAKE_REQ,
        protocol_version: PROTOCOL_VERSION,
        sequence: 1,
        ...this.signatureFields(),
        ...(this.options.bufferData ? {} : { buffer_data: false }),
      },
      MessageType.SIGNALING_HAND_SHAKE_RESP,
      signal,
    );
    const resp = response as Extract<ServerMessage, { msg_type: MessageType.SIGNALING_HAND_SHAKE_RESP }>;
    if (resp.status_code !== StatusCode.STATUS_OK) {
      socket.terminate();
      throw RtmsError.handshakeRejected('signaling', resp.status_code, resp.reason || undefined);
    }
    this.signaling = socket;
    this.sessionStopped = undefined;
    socket.setHandlers({
      message: (msg) => this.onSignalingMessage(msg as ServerMessage),
      decodeError: (e) => this.onDecodeError(e),
      close: (info) => this.onSignalingClose(socket, info),
    });
    this.mediaUrls = resp.media_server?.server_urls ?? {};
    // Stream and session state sent right behind the answer: handled as if they came just now.
    for (const msg of early) this.onSignalingMessage(msg);
    if (this.options.events.length > 0) {
      socket.send({
        msg_type: MessageType.EVENT_SUBSCRIPTION,
        events: this.options.events.map((event_type) => ({ event_type, subscribe: true })),
      });
    }
    this.slots = this.planSlots();
    await Promise.all(this.slots.map((slot) => this.establishMedia(slot, signal)));
  }

  private planSlots(): MediaSlot[] {
    const { kinds, mediaMode, mediaParams } = this.options;
    const make = (key: MediaKind | 'all', slotKinds: MediaKind[]): MediaSlot => ({
      key,
      kinds: slotKinds,
      mask: mediaMaskOf(slotKinds),
      socket: undefined,
      ready: false,
      format: audioFormatOf(mediaParams),
      params: {},
      recovery: undefined,
    });
    if (mediaMode === 'unified') return [make('all', [...kinds])];
    return kinds.map((kind) => make(kind, [kind]));
  }

  private slotParams(slot: MediaSlot): MediaParams {
    const out: MediaParams = {};
    const given = this.options.mediaParams;
    for (const kind of slot.kinds) {
      const params = given[kind];
      if (params) (out as Record<string, unknown>)[kind] = params;
    }
    return out;
  }

  private async establishMedia(slot: MediaSlot, signal: AbortSignal): Promise<void> {
    const url = mediaUrlFor(slot.key, this.mediaUrls);
    if (!url) {
      throw new RtmsError(RTMS_ERROR_CODES.HANDSHAKE_REJECTED, `Zoom offered no media URL for ${slot.key}`, {
        statusCode: StatusCode.STATUS_MEDIA_TYPE_INVALID_VALUE,
        fix: `add the RTMS scope for ${slot.key} to the app, or stop requesting it (offered: ${Object.keys(this.mediaUrls).join(', ') || 'none'})`,
      });
    }
    checkServerUrl(url, this.options.allowedHosts, this.options.allowLoopback);
    slot.socket?.terminate();
    slot.socket = undefined;
    slot.ready = false;
    const params = this.slotParams(slot);
    const { socket, response, early } = await this.handshake(
      url,
      {
        msg_type: MessageType.DATA_HAND_SHAKE_REQ,
        protocol_version: PROTOCOL_VERSION,
        sequence: 0,
        ...this.signatureFields(),
        media_type: slot.mask,
        payload_encryption: false,
        ...(Object.keys(params).length > 0 ? { media_params: params } : {}),
      },
      MessageType.DATA_HAND_SHAKE_RESP,
      signal,
    );
    const resp = response as Extract<ServerMessage, { msg_type: MessageType.DATA_HAND_SHAKE_RESP }>;
    if (resp.status_code !== StatusCode.STATUS_OK) {
      socket.terminate();
      throw RtmsError.handshakeRejected('media', resp.status_code, resp.reason || undefined);
    }
    slot.params = resp.media_params ?? params;
    slot.format = audioFormatOf(slot.params);
    if (slot.key === 'all' && resp.media_params) {
      slot.kinds = MEDIA_KINDS.filter((k) => resp.media_params?.[k] !== undefined);
      if (slot.kinds.length === 0) slot.kinds = mediaKindsOf(slot.mask);
    }
    slot.socket = socket;
    socket.setHandlers({
      message: (msg) => this.onMediaMessage(slot, msg as ServerMessage),
      decodeError: (e) => this.onDecodeError(e),
      close: (info) => this.onMediaClose(slot, socket, info),
    });
    const signaling = this.signaling;
    if (!signaling?.isOpen)
      throw new RtmsError(RTMS_ERROR_CODES.ABORTED, 'signaling closed during the media handshake');
    signaling.send({ msg_type: MessageType.CLIENT_READY_ACK, rtms_stream_id: this.streamId });
    slot.ready = true;
    // Media the server sent right behind its answer (it may start as soon as any socket of the stream
    // is ready): delivered and counted like every later frame, in order, ahead of them.
    for (const msg of early) this.onMediaMessage(slot, msg);
  }

  // -------------------------------------------------------------------------------------------------
  // Recovery

  /**
   * Reconnects signaling and every media socket (again), retrying with the policy inside the signaling
   * window. A later call replaces a running one (a failover during a reconnect).
   */
  private recoverAll(cause: RecoveryCause, initial = false, carry?: RecoveryProgress): void {
    if (TERMINAL.has(this.statusValue) || this.statusValue === 'closing') return;
    this.allRecovery?.op.abort();
    for (const slot of this.slots) slot.recovery?.abort();
    const op = new AbortController();
    const progress: RecoveryProgress = carry
      ? { ...carry }
      : { lostAt: performance.now(), tries: 0, retries: 0, initial };
    const recovery = { op, progress, replaces: this.signaling };
    this.allRecovery = recovery;
    this.setStatus(progress.initial ? 'connecting' : 'reconnecting');
    void this.retryLoop(
      'all',
      [...this.options.kinds],
      cause,
      this.options.timeouts.signalingWindowMs,
      op,
      // A carried recovery goes to the new servers at once: waiting out its backoff would only delay it.
      progress.initial || carry !== undefined,
      () => this.establishAll(op.signal),
      progress,
    ).finally(() => {
      if (this.allRecovery === recovery) this.allRecovery = undefined;
    });
  }

  /** Reconnects one media socket inside the media window; signaling stays. */
  private recoverMedia(slot: MediaSlot, cause: RecoveryCause): void {
    if (TERMINAL.has(this.statusValue) || this.statusValue === 'closing' || this.allRecovery || slot.recovery)
      return;
    const op = new AbortController();
    slot.recovery = op;
    slot.socket?.terminate();
    slot.socket = undefined;
    slot.ready = false;
    this.setStatus('reconnecting');
    void this.retryLoop('media', [...slot.kinds], cause, this.options.timeouts.mediaWindowMs, op, false, () =>
      this.establishMedia(slot, op.signal),
    ).finally(() => {
      if (slot.recovery === op) slot.recovery = undefined;
      if (this.statusValue === 'reconnecting' && !this.allRecovery && this.slots.every((s) => s.ready)) {
        this.setStatus('ready');
      }
    });
  }

  private async retryLoop(
    scope: ReconnectScope,
    kinds: MediaKind[],
    cause: RecoveryCause,
    windowMs: number,
    op: AbortController,
    immediateFirst: boolean,
    attemptOnce: () => Promise<void>,
    progress: RecoveryProgress = { lostAt: performance.now(), tries: 0, retries: 0, initial: false },
  ): Promise<void> {
    const { lostAt } = progress;
    /** Attempts that met a status with a limit, per limit group (the recovery table's `limitGroup`). */
    const limited = new Map<string, number>();
    let immediate = immediateFirst;
    let lastError: unknown;
    const { trigger } = cause;
    let reason = cause.reason;
    for (;;) {
      if (op.signal.aborted || this.lifetime.signal.aborted) return;
      if (!immediate) {
        progress.retries++;
        const delay = this.options.reconnectPolicy({
          attempt: progress.retries,
          elapsedMs: performance.now() - lostAt,
          windowMs,
          scope,
          reason,
        });
        if (delay === null) {
          this.lose(scope, kinds, reason, windowMs, lastError);
          return;
        }
        this.emitSafe('reconnecting', {
          scope,
          kinds,
          trigger,
          reason,
          attempt: progress.retries,
          delayMs: delay,
        });
        try {
          await sleep(delay, op.signal);
        } catch {
          return;
        }
      }
      immediate = false;
      progress.tries++;
      try {
        await attemptOnce();
        if (op.signal.aborted) return;
        if (progress.retries > 0) {
          this.counters.reconnects++;
          this.emitSafe('reconnected', {
            scope,
            kinds,
            downtimeMs: performance.now() - lostAt,
            attempts: progress.tries,
          });
        }
        this.everReady = true;
        if (scope === 'all' || this.slots.every((s) => s.ready)) this.setStatus('ready');
        return;
      } catch (err) {
        if (op.signal.aborted || this.lifetime.signal.aborted) return;
        lastError = err;
        const verdict = recoveryForAttempt(err, this.everReady);
        if (!verdict.retry) {
          this.fail(err as RtmsError);
          return;
        }
        if (verdict.limit !== undefined) {
          const count = (limited.get(verdict.limit.group) ?? 0) + 1;
          limited.set(verdict.limit.group, count);
          if (count > verdict.limit.maxAttempts) {
            this.fail(err as RtmsError);
            return;
          }
        }
        reason = err instanceof Error ? err.message : String(err);
      }
    }
  }

  private lose(
    scope: ReconnectScope,
    kinds: MediaKind[],
    reason: string,
    windowMs: number,
    cause: unknown,
  ): void {
    const error = new RtmsError(
      RTMS_ERROR_CODES.CONNECTION_LOST,
      `${scope === 'all' ? 'signaling' : `media (${kinds.join('+')})`} could not be recovered within ${windowMs} ms: ${reason}`,
      {
        cause,
        fix: 'the stream is over on Zoom’s side; start it again (rtmskit rtms start) if the meeting goes on',
      },
    );
    this.finish('lost', error, undefined);
  }

  private fail(error: RtmsError): void {
    this.finish('failed', error, undefined);
  }

  // -------------------------------------------------------------------------------------------------
  // Steady state

  private onDecodeError(_error: DecodeError): void {
    this.counters.decodeErrors++;
  }

  private resolveWaiters(msg: ServerMessage): void {
    for (const waiter of this.waiters) {
      if (waiter.match(msg)) {
        this.waiters.delete(waiter);
        waiter.resolve(msg);
      }
    }
  }

  private onSignalingMessage(msg: ServerMessage): void {
    if (TERMINAL.has(this.statusValue)) return;
    this.resolveWaiters(msg);
    switch (msg.msg_type) {
      case MessageType.EVENT_UPDATE: {
        const event = msg.event;
        if (event.event_type === EventType.MEDIA_CONNECTION_INTERRUPTED) {
          this.lastEvent7At = performance.now();
          const mask = typeof event.media_type === 'number' ? event.media_type : 0;
          for (const slot of this.slots) {
            const hit = mask === 0 || (slot.mask & mask) !== 0 || (mask & MediaType.ALL) !== 0;
            if (hit) {
              this.recoverMedia(slot, {
                trigger: 'media-interrupted-event',
                reason: 'media connection interrupted (event 7)',
              });
            }
          }
        }
        dispatchEvent(event, this.options.product === 'contact_center', this.emitSafe);
        return;
      }
      case MessageType.STREAM_STATE_UPDATE: {
        const reason = msg.reason ?? msg.stop_reason;
        this.emitSafe('streamState', { state: msg.state, reason, timestamp: msg.timestamp });
        if (msg.state === StreamState.TERMINATED) {
          this.stop(reason ?? StopReason.UNDEFINED);
        } else if (msg.state === StreamState.INTERRUPTED && reason !== undefined) {
          this.onInterruptedState(reason);
        }
        return;
      }
      case MessageType.SESSION_STATE_UPDATE: {
        const stopReason = msg.stop_reason ?? msg.reason;
        if (msg.rtms_session_id) this.sessionId = msg.rtms_session_id;
        if (msg.state === SessionState.STOPPED) this.sessionStopped = stopReason ?? StopReason.UNDEFINED;
        this.emitSafe('sessionState', {
          state: msg.state,
          sessionId: msg.rtms_session_id,
          stopReason,
          timestamp: msg.timestamp,
        });
        return;
      }
      default:
        return;
    }
  }

  private onInterruptedState(reason: number): void {
    const action = recoveryForStopReason(reason).action;
    if (action === 'reconnect-all') {
      this.recoverAll({
        trigger: 'stream-state',
        reason: `stream interrupted (${StopReason[reason] ?? reason})`,
      });
    } else if (action === 'reconnect-media') {
      // Event 7 usually says which socket; without it, every media socket that is not already recovering.
      if (performance.now() - this.lastEvent7At < 1_000) return;
      if (this.slots.some((s) => s.recovery)) return;
      for (const slot of this.slots)
        this.recoverMedia(slot, {
          trigger: 'stream-state',
          reason: `stream interrupted (${StopReason[reason] ?? reason})`,
        });
    }
  }

  private onMediaMessage(slot: MediaSlot, msg: ServerMessage): void {
    // Frames still arrive while draining at the end of the stream; none after it.
    if (!slot.ready || TERMINAL.has(this.statusValue)) return;
    dispatchMedia(msg, slot.format, slot.params, this.tracker, this.counters, this.emitSafe);
  }

  private onSignalingClose(socket: RtmsSocket, info: SocketCloseInfo): void {
    this.counters.keepAlivesAnswered += socket.keepAlivesAnswered;
    if (socket !== this.signaling || info.byUs) return;
    this.signaling = undefined;
    if (TERMINAL.has(this.statusValue) || this.statusValue === 'closing') return;
    // A recovery of everything is already replacing this socket (a failover that came before its loss).
    if (this.allRecovery?.replaces === socket) return;
    if (
      this.sessionStopped !== undefined &&
      recoveryForStopReason(this.sessionStopped).action === 'stream-over'
    ) {
      this.stop(this.sessionStopped);
      return;
    }
    const cause = closeCause(info, 'signaling');
    this.recoverAll({ ...cause, reason: `signaling lost: ${cause.reason}` });
  }

  private onMediaClose(slot: MediaSlot, socket: RtmsSocket, info: SocketCloseInfo): void {
    this.counters.keepAlivesAnswered += socket.keepAlivesAnswered;
    if (slot.socket !== socket || info.byUs) return;
    slot.socket = undefined;
    slot.ready = false;
    if (TERMINAL.has(this.statusValue) || this.statusValue === 'closing') return;
    const cause = closeCause(info, 'media');
    this.recoverMedia(slot, { ...cause, reason: `media (${slot.kinds.join('+')}) lost: ${cause.reason}` });
  }

  // -------------------------------------------------------------------------------------------------
  // Controls

  /** Reconnects everything now (Zoom's `rtms_interrupted` webhook). */
  reconnect(reason = 'rtms_interrupted'): void {
    // Already reconnecting everything (our own socket noticed first): let that attempt run on.
    if (this.allRecovery) return;
    this.recoverAll({ trigger: 'interrupted-webhook', reason });
  }

  /** A new `rtms_started` for this stream: reconnect to the new server URLs. */
  failover(serverUrls: readonly string[]): void {
    for (const url of serverUrls) checkServerUrl(url, this.options.allowedHosts, this.options.allowLoopback);
    this.serverUrls = serverUrls;
    // The old server usually dies first: the recovery its loss started goes on, now to the new servers
    // and at once, so one failover is one recovery (one `reconnecting` sequence, one `reconnected`).
    this.recoverAll({ trigger: 'failover', reason: 'server failover' }, false, this.allRecovery?.progress);
  }

  /** Zoom ended the stream (`rtms_stopped` or TERMINATED): close everything, no reconnect. */
  stop(stopReason: number): void {
    // Our own STREAM_CLOSE_REQ ends in a TERMINATED too: that is still a close by the application.
    void this.drain(stopReason, this.statusValue === 'closing' ? 'closed' : undefined);
  }

  /**
   * Ends the stream without losing what the server already sent: recovery stops, and the media sockets
   * are read until the server closes them (or `closeMs` passes), then everything is torn down.
   */
  private drain(stopReason: number | undefined, why?: 'closed'): Promise<void> {
    if (TERMINAL.has(this.statusValue)) return Promise.resolve();
    if (!this.draining) {
      this.setStatus('closing');
      this.allRecovery?.op.abort();
      for (const slot of this.slots) slot.recovery?.abort();
      const open = this.slots.flatMap((s) => (s.socket?.isOpen ? [s.socket.closed] : []));
      const grace = new Promise<void>((resolve) =>
        setTimeout(resolve, this.options.timeouts.closeMs).unref(),
      );
      this.draining = Promise.race([Promise.all(open), grace]).then(() => {
        this.finish('closed', undefined, stopReason, why);
      });
    }
    return this.draining;
  }

  private request<T extends ServerMessage>(
    msg: ClientMessage,
    match: (m: ServerMessage) => m is T,
    what: string,
  ): Promise<T> {
    const signaling = this.signaling;
    if (!signaling?.isOpen)
      return Promise.reject(new RtmsError(RTMS_ERROR_CODES.CLOSED, `${what}: signaling is not connected`));
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = this.options.timeouts.handshakeMs;
      const waiter: Waiter = {
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as T);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(RtmsError.timeout(what, timeoutMs));
      }, timeoutMs);
      timer.unref();
      this.waiters.add(waiter);
      signaling.send(msg);
    });
  }

  /** Asks for one participant's video (video `data_opt` 4); `on: false` stops it. */
  async subscribeVideo(userId: number, on = true): Promise<VideoSubscriptionResponse> {
    const resp = await this.request(
      { msg_type: MessageType.VIDEO_SUBSCRIPTION_REQ, user_id: userId, subscribe: on, timestamp: Date.now() },
      (m): m is VideoSubscriptionResponse =>
        m.msg_type === MessageType.VIDEO_SUBSCRIPTION_RESP && m.user_id === userId,
      'video subscription',
    );
    if (resp.status_code !== StatusCode.STATUS_OK) {
      const r = recoveryForStatus(resp.status_code);
      throw new RtmsError(RTMS_ERROR_CODES.REQUEST_REJECTED, `video subscription rejected: ${r.cause}`, {
        statusCode: resp.status_code,
        fix: r.fix,
        ...(resp.reason ? { reason: resp.reason } : {}),
      });
    }
    return resp;
  }

  /** SESSION_STATE_REQ for the current session. */
  requestSessionState(): Promise<SessionStateResponse> {
    const sessionId = this.sessionId;
    if (!sessionId) return Promise.reject(new RtmsError(RTMS_ERROR_CODES.CLOSED, 'no session announced yet'));
    return this.request(
      { msg_type: MessageType.SESSION_STATE_REQ, rtms_session_id: sessionId },
      (m): m is SessionStateResponse => m.msg_type === MessageType.SESSION_STATE_RESP,
      'session state request',
    );
  }

  /** STREAM_STATE_REQ. */
  requestStreamState(): Promise<StreamStateResponse> {
    return this.request(
      { msg_type: MessageType.STREAM_STATE_REQ, rtms_stream_id: this.streamId },
      (m): m is StreamStateResponse => m.msg_type === MessageType.STREAM_STATE_RESP,
      'stream state request',
    );
  }

  /** Resolves when the stream reaches `target`; rejects on timeout, abort, or another final status. */
  entersState(target: StreamStatus, timeoutOrSignal: number | AbortSignal): Promise<void> {
    if (this.statusValue === target) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const signal =
        typeof timeoutOrSignal === 'number' ? AbortSignal.timeout(timeoutOrSignal) : timeoutOrSignal;
      const cleanup = () => {
        this.off('stateChange', onChange);
        signal.removeEventListener('abort', onAbort);
      };
      const onChange = ({ to }: { to: StreamStatus }) => {
        if (to === target) {
          cleanup();
          resolve();
        } else if (TERMINAL.has(to)) {
          cleanup();
          reject(this.terminalError ?? RtmsError.closed(`stream ${this.streamId} (${to})`));
        }
      };
      const onAbort = () => {
        cleanup();
        reject(
          typeof timeoutOrSignal === 'number'
            ? RtmsError.timeout(`stream ${this.streamId} entering ${target}`, timeoutOrSignal)
            : RtmsError.aborted(`waiting for ${target}`),
        );
      };
      if (signal.aborted) return onAbort();
      this.on('stateChange', onChange);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Closes the stream. `graceful` (default) asks Zoom to end it (STREAM_CLOSE_REQ) and waits for the
   * answer; otherwise the sockets just go, and Zoom will keep the stream alive for its reconnect window.
   * Idempotent.
   */
  async close(options: { graceful?: boolean } = {}): Promise<void> {
    if (TERMINAL.has(this.statusValue)) return;
    const graceful = options.graceful ?? true;
    const signaling = this.signaling;
    if (graceful && signaling?.isOpen && this.statusValue !== 'closing') {
      this.setStatus('closing');
      try {
        await this.request(
          { msg_type: MessageType.STREAM_CLOSE_REQ, rtms_stream_id: this.streamId },
          (m): m is Extract<ServerMessage, { msg_type: MessageType.STREAM_CLOSE_RESP }> =>
            m.msg_type === MessageType.STREAM_CLOSE_RESP,
          'stream close request',
        );
      } catch {
        // No answer in time: close our side anyway.
      }
    }
    if (graceful) await this.drain(StopReason.RECEIVER_REQUEST_CLOSE, 'closed');
    else this.finish('closed', undefined, undefined, 'closed');
  }

  private teardownSockets(): void {
    this.signaling?.terminate();
    this.signaling = undefined;
    for (const slot of this.slots) {
      slot.recovery?.abort();
      slot.socket?.terminate();
      slot.socket = undefined;
      slot.ready = false;
    }
  }

  /** The one teardown path: every timer, wait and socket goes. Idempotent. */
  private finish(
    status: 'closed' | 'lost' | 'failed',
    error: RtmsError | undefined,
    stopReason: number | undefined,
    why?: 'closed',
  ): void {
    if (TERMINAL.has(this.statusValue)) return;
    this.terminalError = error;
    this.lifetime.abort();
    this.allRecovery?.op.abort();
    this.allRecovery = undefined;
    this.teardownSockets();
    this.waiters.clear();
    if (error) this.emitError(error);
    this.setStatus(status);
    this.emitSafe('closed', {
      reason: status === 'closed' ? (why ?? 'stopped') : status,
      stopReason,
      error,
    });
  }

  /** Keep-alive counters of the sockets that are open now plus those already closed. */
  snapshotCounters(): StreamCounters {
    let answered = this.counters.keepAlivesAnswered;
    let delay = this.counters.keepAliveDelayMs;
    for (const socket of [this.signaling, ...this.slots.map((s) => s.socket)]) {
      if (!socket) continue;
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

function checkServerUrlError(urls: readonly string[], options: ResolvedStreamOptions): RtmsError {
  try {
    for (const url of urls) checkServerUrl(url, options.allowedHosts, options.allowLoopback);
  } catch (err) {
    if (isRtmsError(err)) return err;
  }
  return new RtmsError(RTMS_ERROR_CODES.SERVER_URL_NOT_ALLOWED, 'no usable server URL', {
    fix: 'server_urls must come from Zoom’s webhook',
  });
}
