/**
 * One RTMS WebSocket, signaling or media: decodes every frame (text or binary), answers keep-alives
 * before anything else, and declares the socket dead when it has been silent too long.
 */
import { CloseCode } from '../protocol/closeCodes.js';
import { type DecodeError, decodeFrame, encodeMessage } from '../protocol/codec.js';
import { MessageType } from '../protocol/enums.js';
import { RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';
import type { ClientMessage, RtmsMessage } from '../protocol/messages.js';
import { WsClient } from './ws/WsClient.js';

/** After our close frame, the server's answer is awaited this long before the connection is dropped. */
export const CLOSE_ANSWER_WAIT_MS = 1_000;

export interface SocketCloseInfo {
  code: number;
  reason: string;
  /** The transport error, e.g. ECONNRESET. */
  error: Error | undefined;
  /** Closed by the watchdog: no inbound frame for `deadSocketMs`. */
  dead: boolean;
  /** Closed by us. */
  byUs: boolean;
}

export interface SocketHandlers {
  /** Every decoded message except KEEP_ALIVE_REQ, which the socket answers itself. */
  message(msg: RtmsMessage): void;
  /** A frame that did not decode. The socket stays open. */
  decodeError(error: DecodeError): void;
  /** Called once. */
  close(info: SocketCloseInfo): void;
}

export interface RtmsSocketOptions {
  deadSocketMs: number;
  ca?: string | readonly string[] | undefined;
}

/** Checks for silence this many times per dead-socket period. */
const WATCHDOG_CHECKS_PER_PERIOD = 4;

function noop(): void {}

export class RtmsSocket {
  readonly url: string;
  private readonly ws: WsClient;
  private handlers: SocketHandlers;
  private readonly deadSocketMs: number;
  private watchdog: NodeJS.Timeout | undefined;
  private lastInboundAt = performance.now();
  private closedInfo: SocketCloseInfo | undefined;
  private byUs = false;
  private dead = false;
  private lastError: Error | undefined;
  /** `now - timestamp` of the last KEEP_ALIVE_REQ: one-way delay plus clock skew. */
  keepAliveDelayMs: number | undefined;
  keepAlivesAnswered = 0;
  readonly opened: Promise<void>;
  /** Resolves when the socket has closed, however it closed. */
  readonly closed: Promise<SocketCloseInfo>;
  private resolveClosed!: (info: SocketCloseInfo) => void;

  constructor(url: string, options: RtmsSocketOptions, handlers: SocketHandlers) {
    this.url = url;
    this.handlers = handlers;
    this.deadSocketMs = options.deadSocketMs;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    let opened!: () => void;
    let failed!: (err: RtmsError) => void;
    let isOpen = false;
    this.opened = new Promise((resolve, reject) => {
      opened = resolve;
      failed = reject;
    });
    // Rejections of `opened` are read through waitOpen(); never leave one unhandled.
    this.opened.catch(noop);
    this.ws = new WsClient(
      url,
      { ca: options.ca === undefined || typeof options.ca === 'string' ? options.ca : [...options.ca] },
      {
        open: () => {
          this.lastInboundAt = performance.now();
          this.startWatchdog();
          isOpen = true;
          opened();
        },
        message: (data, start, end, isBinary) => this.onFrame(data, start, end, isBinary),
        close: (code, reason, error) => {
          this.lastError ??= error;
          if (!isOpen) failed(this.closeError('the socket closed before it opened'));
          this.onClose(code, reason);
        },
      },
    );
  }

  get isOpen(): boolean {
    return this.ws.readyState === 'open' && this.closedInfo === undefined;
  }

  /** Replaces the handlers (used when a socket moves from its handshake to its steady state). */
  setHandlers(handlers: SocketHandlers): void {
    this.handlers = handlers;
  }

  private closeError(what: string): RtmsError {
    const cause = this.lastError;
    return new RtmsError(
      RTMS_ERROR_CODES.ABORTED,
      `${what}: ${this.url}${cause ? ` (${cause.message})` : ''}`,
      {
        cause,
      },
    );
  }

  /** Resolves when open; rejects on close, abort or `timeoutMs`. */
  async waitOpen(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await Promise.race([
        this.opened,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(RtmsError.timeout(`connecting to ${this.url}`, timeoutMs)),
            timeoutMs,
          );
          timer.unref();
        }),
        new Promise<never>((_, reject) => {
          onAbort = () => reject(RtmsError.aborted(`connecting to ${this.url}`));
          if (signal?.aborted) onAbort();
          else signal?.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  private onFrame(data: Buffer, start: number, end: number, isBinary: boolean): void {
    this.lastInboundAt = performance.now();
    const result = decodeFrame(data, isBinary, start, end);
    if (!result.ok) {
      this.handlers.decodeError(result.error);
      return;
    }
    const msg = result.message;
    if (msg.msg_type === MessageType.KEEP_ALIVE_REQ) {
      // Answered ahead of any other work: a late answer is how streams die.
      this.send({ msg_type: MessageType.KEEP_ALIVE_RESP, timestamp: msg.timestamp });
      this.keepAliveDelayMs = Date.now() - msg.timestamp;
      this.keepAlivesAnswered++;
      return;
    }
    this.handlers.message(msg);
  }

  send(msg: ClientMessage): void {
    this.ws.send(encodeMessage(msg));
  }

  private startWatchdog(): void {
    const period = Math.max(10, Math.floor(this.deadSocketMs / WATCHDOG_CHECKS_PER_PERIOD));
    this.watchdog = setInterval(() => {
      if (performance.now() - this.lastInboundAt >= this.deadSocketMs) {
        this.dead = true;
        this.ws.terminate();
      }
    }, period);
    this.watchdog.unref();
  }

  private onClose(code: number, reason: string): void {
    if (this.closedInfo) return;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.closedInfo = { code, reason, error: this.lastError, dead: this.dead, byUs: this.byUs };
    this.resolveClosed(this.closedInfo);
    this.handlers.close(this.closedInfo);
  }

  /** Closes with a close frame, then drops the connection after {@link CLOSE_ANSWER_WAIT_MS}. Idempotent. */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    if (this.byUs) return;
    this.byUs = true;
    if (this.ws.readyState === 'connecting') {
      this.ws.terminate();
      return;
    }
    this.ws.close(code, reason);
    // A server that never answers the close frame must not keep the socket.
    setTimeout(() => this.ws.terminate(), CLOSE_ANSWER_WAIT_MS).unref();
  }

  /** Drops the connection at once. Idempotent; later errors are recorded, never thrown. */
  terminate(): void {
    this.byUs = true;
    this.ws.terminate();
  }
}
