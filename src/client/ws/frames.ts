/**
 * WebSocket framing for the client side (RFC 6455 §5): a parser for the server's frames and an encoder
 * for our masked frames. No extensions are negotiated, so every RSV bit must be clear.
 */
import { randomFillSync } from 'node:crypto';
import { CloseCode, isSendableCloseCode } from '../../protocol/closeCodes.js';

export const OPCODE = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

/** Control frames carry at most this many payload bytes. */
const MAX_CONTROL_PAYLOAD = 125;
/** The longest frame header from a server: 2 bytes, then a 64-bit length (servers never mask). */
const MAX_HEADER_BYTES = 10;

/**
 * What the parser hands on. A message is `data[start, end)`, valid only during the call: `data` may be a
 * reused buffer, passed with the message's bounds so that no view is made per frame.
 */
export interface FrameSink {
  message(data: Buffer, start: number, end: number, isBinary: boolean): void;
  ping(payload: Buffer): void;
  close(code: number, reason: string): void;
  /** The server broke the protocol; the connection must close with `code`. */
  violation(code: number, message: string): void;
}

/**
 * Parses the server's byte stream into messages. `push()` may be given a buffer that is reused after the
 * call: whatever has to outlive the call (a partial frame, fragments) is copied.
 */
export class FrameParser {
  private readonly sink: FrameSink;
  private readonly maxPayload: number;
  /** Bytes of a header that arrived split across reads (at most `MAX_HEADER_BYTES`). */
  private head: Buffer | undefined;
  /** A frame whose header is known and whose payload is still arriving. */
  private partial: { fin: boolean; opcode: number; payload: Buffer; filled: number } | undefined;
  /** Fragments of a message sent in several frames, and its opcode. */
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;
  private fragmentOpcode = 0;
  private stopped = false;

  constructor(sink: FrameSink, maxPayload: number) {
    this.sink = sink;
    this.maxPayload = maxPayload;
  }

  /** Ignores everything from now on (after a close frame, a violation, or our own teardown). */
  stop(): void {
    this.stopped = true;
    this.head = undefined;
    this.partial = undefined;
    this.fragments = [];
  }

  /** Parses `chunk[0, length)` (all of it by default). */
  push(chunk: Buffer, length: number = chunk.length): void {
    let data = chunk;
    let offset = 0;
    let end = length;
    if (this.partial) {
      const p = this.partial;
      const n = Math.min(p.payload.length - p.filled, end);
      data.copy(p.payload, p.filled, 0, n);
      p.filled += n;
      if (p.filled < p.payload.length) return;
      this.partial = undefined;
      this.frame(p.fin, p.opcode, p.payload, 0, p.payload.length);
      offset = n;
    } else if (this.head) {
      data = Buffer.concat([this.head, data.subarray(0, end)]);
      end = data.length;
      this.head = undefined;
    }
    while (offset < end && !this.stopped) {
      if (end - offset < 2) break;
      const b0 = data[offset] as number;
      const b1 = data[offset + 1] as number;
      if ((b1 & 0x80) !== 0) {
        this.fail(CloseCode.PROTOCOL_ERROR, 'the server sent a masked frame');
        return;
      }
      let length = b1 & 0x7f;
      let headerBytes = 2;
      if (length === 126) {
        if (end - offset < 4) break;
        length = data.readUInt16BE(offset + 2);
        headerBytes = 4;
      } else if (length === 127) {
        if (end - offset < 10) break;
        const high = data.readUInt32BE(offset + 2);
        if (high > 0x1fffff) {
          this.fail(CloseCode.MESSAGE_TOO_BIG, 'frame length over 2^53 bytes');
          return;
        }
        length = high * 2 ** 32 + data.readUInt32BE(offset + 6);
        headerBytes = 10;
      }
      if (length > this.maxPayload) {
        this.fail(
          CloseCode.MESSAGE_TOO_BIG,
          `frame of ${length} bytes is over the ${this.maxPayload}-byte limit`,
        );
        return;
      }
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      if ((b0 & 0x70) !== 0) {
        this.fail(CloseCode.PROTOCOL_ERROR, 'RSV bits set, but no extension was negotiated');
        return;
      }
      const start = offset + headerBytes;
      if (end - start < length) {
        const payload = Buffer.allocUnsafe(length);
        const filled = data.copy(payload, 0, start, end);
        this.partial = { fin, opcode, payload, filled };
        return;
      }
      offset = start + length;
      this.frame(fin, opcode, data, start, offset);
    }
    if (offset < end && !this.stopped) {
      // Fewer bytes than a header: keep them (a copy, the chunk may be reused).
      this.head = Buffer.from(data.subarray(offset, Math.min(end, offset + MAX_HEADER_BYTES)));
    }
  }

  private fail(code: number, message: string): void {
    this.stop();
    this.sink.violation(code, message);
  }

  /** One frame, its payload `data[start, end)`. */
  private frame(fin: boolean, opcode: number, data: Buffer, start: number, end: number): void {
    switch (opcode) {
      case OPCODE.TEXT:
      case OPCODE.BINARY:
        if (this.fragmentOpcode !== 0) {
          this.fail(CloseCode.PROTOCOL_ERROR, 'a new message started inside a fragmented one');
          return;
        }
        if (fin) {
          this.sink.message(data, start, end, opcode === OPCODE.BINARY);
          return;
        }
        this.fragmentOpcode = opcode;
        this.addFragment(data.subarray(start, end));
        return;
      case OPCODE.CONTINUATION: {
        if (this.fragmentOpcode === 0) {
          this.fail(CloseCode.PROTOCOL_ERROR, 'continuation frame without a message to continue');
          return;
        }
        if (!this.addFragment(data.subarray(start, end)) || !fin) return;
        const message = Buffer.concat(this.fragments, this.fragmentBytes);
        const isBinary = this.fragmentOpcode === OPCODE.BINARY;
        this.fragments = [];
        this.fragmentBytes = 0;
        this.fragmentOpcode = 0;
        this.sink.message(message, 0, message.length, isBinary);
        return;
      }
      case OPCODE.CLOSE:
      case OPCODE.PING:
      case OPCODE.PONG:
        this.control(fin, opcode, data.subarray(start, end));
        return;
      default:
        this.fail(CloseCode.PROTOCOL_ERROR, `unknown opcode ${opcode}`);
    }
  }

  private addFragment(payload: Buffer): boolean {
    this.fragmentBytes += payload.length;
    if (this.fragmentBytes > this.maxPayload) {
      this.fail(CloseCode.MESSAGE_TOO_BIG, `message over the ${this.maxPayload}-byte limit`);
      return false;
    }
    this.fragments.push(Buffer.from(payload));
    return true;
  }

  private control(fin: boolean, opcode: number, payload: Buffer): void {
    if (!fin || payload.length > MAX_CONTROL_PAYLOAD) {
      this.fail(CloseCode.PROTOCOL_ERROR, 'control frames must be single frames of at most 125 bytes');
      return;
    }
    if (opcode === OPCODE.PING) {
      this.sink.ping(payload);
      return;
    }
    if (opcode === OPCODE.PONG) return;
    if (payload.length === 1) {
      this.fail(CloseCode.PROTOCOL_ERROR, 'close frame with a 1-byte payload');
      return;
    }
    const code = payload.length === 0 ? CloseCode.NO_STATUS : payload.readUInt16BE(0);
    if (payload.length > 0 && !isSendableCloseCode(code)) {
      this.fail(CloseCode.PROTOCOL_ERROR, `invalid close code ${code}`);
      return;
    }
    this.stop();
    this.sink.close(code, payload.toString('utf8', 2));
  }
}

/** Random bytes for frame masks, drawn in blocks: one `randomFillSync` per 2,048 frames. */
export class MaskSource {
  private readonly pool = Buffer.allocUnsafe(8_192);
  private offset = this.pool.length;

  next(): Buffer {
    if (this.offset + 4 > this.pool.length) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const mask = this.pool.subarray(this.offset, this.offset + 4);
    this.offset += 4;
    return mask;
  }
}

/** One masked client frame (FIN set), header and payload in one buffer so it goes out in one write. */
export function encodeFrame(opcode: number, payload: Buffer, mask: Buffer): Buffer {
  const length = payload.length;
  const headerBytes = length < 126 ? 2 : length <= 0xffff ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerBytes + 4 + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) {
    frame[1] = 0x80 | length;
  } else if (length <= 0xffff) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  mask.copy(frame, headerBytes, 0, 4);
  const m0 = mask[0] as number;
  const m1 = mask[1] as number;
  const m2 = mask[2] as number;
  const m3 = mask[3] as number;
  const at = headerBytes + 4;
  for (let i = 0; i < length; i++) {
    const key = (i & 3) === 0 ? m0 : (i & 3) === 1 ? m1 : (i & 3) === 2 ? m2 : m3;
    frame[at + i] = (payload[i] as number) ^ key;
  }
  return frame;
}

/** The payload of a close frame: the code, then the reason in UTF-8 (cut to fit 125 bytes). */
export function closePayload(code: number, reason: string): Buffer {
  const text = Buffer.from(reason, 'utf8').subarray(0, MAX_CONTROL_PAYLOAD - 2);
  const payload = Buffer.allocUnsafe(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  return payload;
}
