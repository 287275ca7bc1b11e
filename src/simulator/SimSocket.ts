/**
 * One server-side WebSocket of the simulator: frames in the configured mode, Zoom's keep-alive requests
 * (the stream's windows run their timer), and the ways a socket can be made to fail.
 */
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { CloseCode } from '../protocol/closeCodes.js';
import { encodeMessage } from '../protocol/codec.js';
import { MessageType } from '../protocol/enums.js';
import type { AudioMessage, RtmsMessage } from '../protocol/messages.js';
import type { FrameMode, KeepAliveMode } from './options.js';
import type { KeepAliveCounters } from './report.js';

export interface SimSocketOptions {
  frames: FrameMode;
  keepAliveIntervalMs: number;
  keepAliveMaxMissed: number;
  keepAliveMode: KeepAliveMode;
  counters: KeepAliveCounters;
}

/**
 * Sends one message on a socket that has no {@link SimSocket} yet (handshake answers), in the frame mode:
 * binary mode means every frame, the first ones included.
 */
export function sendUnwrapped(ws: WebSocket, frames: FrameMode, msg: RtmsMessage): void {
  const text = encodeMessage(msg);
  if (frames === 'binary') ws.send(Buffer.from(text, 'utf8'), { binary: true });
  else ws.send(text, { binary: false });
}

/**
 * The base64 of tone frames, which are reused across streams: at 1,000 streams, encoding each 20 ms frame
 * anew is most of the simulator's work.
 */
const base64Cache = new WeakMap<Buffer, string>();

/** The same JSON as `encodeMessage` for an audio message, with the frame's base64 computed once. */
function encodeAudio(msg: AudioMessage): string {
  const c = msg.content;
  let data = base64Cache.get(c.data);
  if (data === undefined) {
    data = c.data.toString('base64');
    base64Cache.set(c.data, data);
  }
  return JSON.stringify({ msg_type: msg.msg_type, content: { ...c, data } });
}

/** Media data messages (14–18): what makes a connection busy, so that Zoom does not ping it. */
function isMediaData(type: MessageType): boolean {
  return type >= MessageType.MEDIA_DATA_AUDIO && type <= MessageType.MEDIA_DATA_CHAT;
}

/** Above this much unsent data the media pump waits for the client to catch up. */
export const BACKPRESSURE_BYTES = 4 * 1024 * 1024;

/** Real ms a client has to answer a close frame before its socket is terminated. */
export const CLOSE_ANSWER_WAIT_MS = 2_000;

export class SimSocket {
  readonly ws: WebSocket;
  private readonly options: SimSocketOptions;
  private readonly outstanding = new Set<number>();
  private framesSent = 0;
  /** A media frame went out since the last keep-alive tick: the connection is busy. */
  private mediaSinceTick = false;
  private keepAliveStopped = false;
  private closed = false;

  constructor(ws: WebSocket, options: SimSocketOptions) {
    this.ws = ws;
    this.options = options;
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === this.ws.OPEN;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** Sends one message as a text or binary frame, per the frame mode. */
  send(msg: RtmsMessage): void {
    if (!this.isOpen) return;
    const text = msg.msg_type === MessageType.MEDIA_DATA_AUDIO ? encodeAudio(msg) : encodeMessage(msg);
    this.sendRaw(text);
    if (isMediaData(msg.msg_type)) this.mediaSinceTick = true;
  }

  /** Sends text exactly as given (used for malformed frames). */
  sendRaw(text: string): void {
    if (!this.isOpen) return;
    const mode = this.options.frames;
    const binary = mode === 'binary' || (mode === 'mixed' && this.framesSent % 2 === 1);
    this.framesSent++;
    if (binary) this.ws.send(Buffer.from(text, 'utf8'), { binary: true });
    else this.ws.send(text, { binary: false });
  }

  /** The `stop-keepalive` fault: no more requests, and no timeout either. */
  stopKeepAlive(): void {
    this.keepAliveStopped = true;
  }

  /** A KEEP_ALIVE_RESP arrived. Only an echo of a timestamp we sent counts. */
  onKeepAliveResponse(timestamp: number): void {
    if (!this.outstanding.has(timestamp)) return;
    this.outstanding.clear();
    this.options.counters.answered++;
  }

  /** One keep-alive interval went by: sends the next request. True when too many went unanswered. */
  keepAliveTick(): boolean {
    if (!this.isOpen || this.keepAliveStopped) return false;
    // Zoom pings a connection only while no data flows on it: a media frame sent since the last tick
    // makes the socket busy, and a busy socket owes no answers (the requests still open are forgiven).
    // Signaling carries no media, so it is pinged all along.
    const busy = this.mediaSinceTick;
    this.mediaSinceTick = false;
    if (this.options.keepAliveMode === 'idle' && busy) {
      this.outstanding.clear();
      return false;
    }
    if (this.outstanding.size >= this.options.keepAliveMaxMissed) {
      this.options.counters.missed++;
      return true;
    }
    if (this.outstanding.size > 0) this.options.counters.missed++;
    let timestamp = Date.now();
    while (this.outstanding.has(timestamp)) timestamp++;
    this.outstanding.add(timestamp);
    this.options.counters.sent++;
    this.send({ msg_type: MessageType.KEEP_ALIVE_REQ, timestamp });
    return false;
  }

  /** A clean close with a close frame. */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.close(code, reason);
    // A client that never answers the close frame must not keep the socket open.
    setTimeout(() => this.ws.terminate(), CLOSE_ANSWER_WAIT_MS).unref();
  }

  /** Gone without a close frame: the client sees 1006. */
  drop(): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.terminate();
  }

  /** A TCP reset: the client sees ECONNRESET. */
  reset(): void {
    if (this.closed) return;
    this.closed = true;
    const socket = (this.ws as unknown as { _socket?: Socket })._socket;
    if (socket && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else this.ws.terminate();
  }

  /** The client went away. */
  markClosed(): void {
    this.closed = true;
  }
}
