/**
 * A WebSocket client (RFC 6455) built for many long-lived, busy media sockets in one process.
 *
 * Every socket reads into one scratch buffer (`onread`): no Buffer is allocated per read, no stream
 * machinery runs per chunk, and a message is handed to its handler as a view of that buffer. At 1,000
 * streams on one core this keeps GC pauses under 10 ms where a stream-based client reaches 20-40 ms
 * (`npm run bench`). No extensions are offered; the server must not use any.
 */
import { createHash, randomBytes } from 'node:crypto';
import { isIP, type OnReadOpts, type Socket, connect as tcpConnect } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { CloseCode } from '../../protocol/closeCodes.js';
import { closePayload, encodeFrame, FrameParser, MaskSource, OPCODE } from './frames.js';

/** The GUID of RFC 6455 §1.3, hashed with the key into `Sec-WebSocket-Accept`. */
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** The server's HTTP answer to the upgrade may not be longer. */
const MAX_UPGRADE_RESPONSE_BYTES = 16 * 1024;
/** Bytes read from the kernel at once, into the scratch buffer. */
const READ_BUFFER_BYTES = 64 * 1024;
/** Once a close frame has gone out, the TCP connection is dropped if it is still open after this long. */
export const CLOSE_HANDSHAKE_TIMEOUT_MS = 5_000;
/** Default limit of one message (video key frames in base64 stay far below). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 100 * 1024 * 1024;

/**
 * Scratch memory for reads, shared by every socket. It holds no state between calls: each read is
 * parsed before the callback returns, and whatever must outlive it is copied.
 */
const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
const masks = new MaskSource();

export type WsReadyState = 'connecting' | 'open' | 'closing' | 'closed';

export interface WsClientHandlers {
  open(): void;
  /** The message is `data[start, end)`, valid only during the call (`data` is reused). */
  message(data: Buffer, start: number, end: number, isBinary: boolean): void;
  /** Called once. `code` is 1006 when no close frame came; `error` is the transport error, if any. */
  close(code: number, reason: string, error: Error | undefined): void;
}

export interface WsClientOptions {
  /** Certificates to trust for `wss://` in addition to the system's. */
  ca?: string | string[] | undefined;
  maxPayloadBytes?: number;
  /** Default {@link CLOSE_HANDSHAKE_TIMEOUT_MS}. */
  closeTimeoutMs?: number;
}

export class WsClient {
  readonly url: URL;
  private state: WsReadyState = 'connecting';
  private readonly socket: Socket;
  private readonly key = randomBytes(16).toString('base64');
  private readonly handlers: WsClientHandlers;
  private readonly parser: FrameParser;
  /** The upgrade response as it arrives, until its blank line. */
  private response: Buffer | undefined = Buffer.alloc(0);
  private closeSent = false;
  private closeReceived: { code: number; reason: string } | undefined;
  private error: Error | undefined;
  private readonly closeTimeoutMs: number;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(url: string, options: WsClientOptions, handlers: WsClientHandlers) {
    this.url = new URL(url);
    this.handlers = handlers;
    this.closeTimeoutMs = options.closeTimeoutMs ?? CLOSE_HANDSHAKE_TIMEOUT_MS;
    this.parser = new FrameParser(
      {
        message: (data, start, end, isBinary) => {
          if (this.state === 'open' || this.state === 'closing')
            this.handlers.message(data, start, end, isBinary);
        },
        ping: (payload) => this.write(OPCODE.PONG, payload),
        close: (code, reason) => this.onCloseFrame(code, reason),
        violation: (code, message) => this.fail(new Error(message), code),
      },
      options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    );
    const secure = this.url.protocol === 'wss:';
    if (!secure && this.url.protocol !== 'ws:') {
      throw new TypeError(`${url}: a WebSocket URL starts with ws:// or wss://`);
    }
    const host = this.url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(this.url.port || (secure ? 443 : 80));
    const onread: OnReadOpts = {
      buffer: readBuffer,
      callback: (n) => {
        this.onRead(n);
        return true;
      },
    };
    this.socket = secure
      ? tlsConnect({
          host,
          port,
          ...(isIP(host) === 0 ? { servername: host } : {}),
          ...(options.ca === undefined ? {} : { ca: options.ca }),
          // Node reads TLS into `onread` too (since 15.x); @types/node does not declare it.
          onread,
        } as ConnectionOptions)
      : tcpConnect({ host, port, onread });
    this.socket.setNoDelay(true);
    this.socket.once(secure ? 'secureConnect' : 'connect', () => this.sendUpgrade());
    this.socket.on('error', (err) => {
      this.error ??= err;
    });
    this.socket.on('close', () => this.onSocketClose());
  }

  get readyState(): WsReadyState {
    return this.state;
  }

  /** Bytes queued in the socket, not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /** Sends a text message; does nothing unless open. */
  send(text: string): void {
    if (this.state !== 'open') return;
    this.write(OPCODE.TEXT, Buffer.from(text, 'utf8'));
  }

  /** Starts the closing handshake; the socket closes when the server answers. Idempotent. */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    if (this.state === 'connecting') {
      this.terminate();
      return;
    }
    this.state = 'closing';
    this.sendClose(code, reason);
  }

  /** Drops the connection at once. Idempotent. */
  terminate(): void {
    if (this.state === 'closed') return;
    this.state = 'closing';
    this.parser.stop();
    this.socket.destroy();
  }

  private write(opcode: number, payload: Buffer): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(encodeFrame(opcode, payload, masks.next()));
  }

  private sendClose(code: number, reason: string): void {
    if (this.closeSent) return;
    this.closeSent = true;
    this.write(OPCODE.CLOSE, code === CloseCode.NO_STATUS ? Buffer.alloc(0) : closePayload(code, reason));
    // A peer that never closes TCP after the close frames must not keep the socket (and its stream) open.
    this.closeTimer = setTimeout(() => this.socket.destroy(), this.closeTimeoutMs);
    this.closeTimer.unref();
  }

  private sendUpgrade(): void {
    const path = `${this.url.pathname || '/'}${this.url.search}`;
    this.socket.write(
      `GET ${path} HTTP/1.1\r\n` +
        `Host: ${this.url.host}\r\n` +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${this.key}\r\n` +
        'Sec-WebSocket-Version: 13\r\n\r\n',
    );
  }

  private onRead(n: number): void {
    if (this.state === 'closed') return;
    if (this.response === undefined) {
      this.parser.push(readBuffer, n);
      return;
    }
    this.onUpgradeBytes(readBuffer.subarray(0, n));
  }

  private onUpgradeBytes(chunk: Buffer): void {
    const response = Buffer.concat([this.response ?? Buffer.alloc(0), chunk]);
    const end = response.indexOf('\r\n\r\n');
    if (end < 0) {
      if (response.length > MAX_UPGRADE_RESPONSE_BYTES) {
        this.fail(new Error('the upgrade response headers are over 16 KiB'));
        return;
      }
      this.response = response;
      return;
    }
    this.response = undefined;
    const problem = this.checkUpgrade(response.toString('latin1', 0, end));
    if (problem) {
      this.fail(new Error(problem));
      return;
    }
    this.state = 'open';
    this.handlers.open();
    const rest = response.subarray(end + 4);
    if (rest.length > 0 && this.state === 'open') this.parser.push(rest);
  }

  /** Checks the server's answer to the upgrade; returns what is wrong, if anything. */
  private checkUpgrade(head: string): string | undefined {
    const [statusLine = '', ...lines] = head.split('\r\n');
    const status = /^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1];
    if (status !== '101') return `Unexpected server response: ${status ?? statusLine.slice(0, 40)}`;
    const headers = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    if (headers.get('upgrade')?.toLowerCase() !== 'websocket') return 'Invalid Upgrade header';
    if (!/\bupgrade\b/i.test(headers.get('connection') ?? '')) return 'Invalid Connection header';
    const accept = createHash('sha1')
      .update(this.key + ACCEPT_GUID)
      .digest('base64');
    if (headers.get('sec-websocket-accept') !== accept) return 'Invalid Sec-WebSocket-Accept header';
    if (headers.has('sec-websocket-extensions')) return 'Server sent an extension that was not offered';
    return undefined;
  }

  private onCloseFrame(code: number, reason: string): void {
    this.closeReceived = { code, reason };
    this.state = 'closing';
    // Echo the code (RFC 6455 §5.5.1), then let the server close TCP; end our side too.
    this.sendClose(code, '');
    this.socket.end();
  }

  /** A protocol or upgrade failure: close with `code` when we can, then drop the connection. */
  private fail(err: Error, code?: number): void {
    this.error ??= err;
    if (code !== undefined && this.state === 'open') this.sendClose(code, err.message);
    this.terminate();
  }

  private onSocketClose(): void {
    if (this.state === 'closed') return;
    clearTimeout(this.closeTimer);
    const wasConnecting = this.response !== undefined;
    this.state = 'closed';
    this.parser.stop();
    const received = this.closeReceived;
    const error =
      this.error ?? (wasConnecting ? new Error('the connection closed before the upgrade') : undefined);
    this.handlers.close(received?.code ?? CloseCode.ABNORMAL, received?.reason ?? '', error);
  }
}
