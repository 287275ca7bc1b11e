import { describe, expect, it } from 'vitest';
import {
  closePayload,
  encodeFrame,
  FrameParser,
  type FrameSink,
  MaskSource,
  OPCODE,
} from '../../src/client/ws/frames.js';
import { CloseCode } from '../../src/protocol/closeCodes.js';

interface FrameSpec {
  opcode: number;
  payload: Buffer | string;
  fin?: boolean;
  rsv?: number;
  mask?: boolean;
}

/** A frame as a server would write it (unmasked unless asked). */
function serverFrame({ opcode, payload, fin = true, rsv = 0, mask = false }: FrameSpec): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const len = data.length;
  const header: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const maskBit = mask ? 0x80 : 0;
  if (len < 126) header.push(maskBit | len);
  else if (len <= 0xffff) header.push(maskBit | 126, len >> 8, len & 0xff);
  else {
    header.push(maskBit | 127, 0, 0, 0, 0);
    header.push((len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
  }
  const key = mask ? [1, 2, 3, 4] : [];
  const body = mask ? Buffer.from(data.map((b, i) => b ^ (key[i % 4] as number))) : data;
  return Buffer.concat([Buffer.from(header), Buffer.from(key), body]);
}

type Event =
  | { type: 'message'; data: string; isBinary: boolean }
  | { type: 'ping'; data: string }
  | { type: 'close'; code: number; reason: string }
  | { type: 'violation'; code: number; message: string };

function collector(): { sink: FrameSink; events: Event[] } {
  const events: Event[] = [];
  return {
    events,
    sink: {
      // Copied during the call, as the contract requires.
      message: (data, start, end, isBinary) =>
        events.push({ type: 'message', data: data.toString('latin1', start, end), isBinary }),
      ping: (payload) => events.push({ type: 'ping', data: payload.toString() }),
      close: (code, reason) => events.push({ type: 'close', code, reason }),
      violation: (code, message) => events.push({ type: 'violation', code, message }),
    },
  };
}

/**
 * Feeds `bytes` in pieces of `size` through one scratch buffer that is overwritten after every push,
 * as the client's shared read buffer is: every other piece as the whole scratch buffer with the count
 * of bytes read (the client's way, whatever lies past them), the others as a view of those bytes.
 */
function feed(parser: FrameParser, bytes: Buffer, size: number): void {
  const scratch = Buffer.alloc(Math.max(size, 1) + 16, 0xee);
  for (let at = 0, i = 0; at < bytes.length; at += size, i++) {
    const n = bytes.copy(scratch, 0, at, Math.min(bytes.length, at + size));
    if (i % 2 === 0) parser.push(scratch, n);
    else parser.push(scratch.subarray(0, n));
    scratch.fill(0xee);
  }
}

const MAX = 1_000_000;

describe('FrameParser', () => {
  const big = Buffer.alloc(70_000, 'b');
  const medium = Buffer.alloc(300, 'm');
  const stream = Buffer.concat([
    serverFrame({ opcode: OPCODE.TEXT, payload: '{"msg_type":12,"timestamp":1}' }),
    serverFrame({ opcode: OPCODE.BINARY, payload: medium }),
    serverFrame({ opcode: OPCODE.TEXT, payload: big }),
    serverFrame({ opcode: OPCODE.TEXT, payload: '' }),
  ]);
  const expected: Event[] = [
    { type: 'message', data: '{"msg_type":12,"timestamp":1}', isBinary: false },
    { type: 'message', data: medium.toString('latin1'), isBinary: true },
    { type: 'message', data: big.toString('latin1'), isBinary: false },
    { type: 'message', data: '', isBinary: false },
  ];

  it('reads 7-bit, 16-bit and 64-bit lengths, text and binary, all in one chunk', () => {
    const { sink, events } = collector();
    new FrameParser(sink, MAX).push(stream);
    expect(events).toEqual(expected);
  });

  it.each([1, 2, 3, 7, 11, 1000, 65_536])(
    'gives the same messages when the bytes come %i at a time through a reused buffer',
    (size) => {
      const { sink, events } = collector();
      feed(new FrameParser(sink, MAX), stream, size);
      expect(events).toEqual(expected);
    },
  );

  it('joins a fragmented message, with a ping between its fragments answered first', () => {
    const { sink, events } = collector();
    const bytes = Buffer.concat([
      serverFrame({ opcode: OPCODE.TEXT, payload: 'hel', fin: false }),
      serverFrame({ opcode: OPCODE.PING, payload: 'p1' }),
      serverFrame({ opcode: OPCODE.CONTINUATION, payload: 'lo ', fin: false }),
      serverFrame({ opcode: OPCODE.CONTINUATION, payload: 'world' }),
      serverFrame({ opcode: OPCODE.BINARY, payload: 'x', fin: false }),
      serverFrame({ opcode: OPCODE.CONTINUATION, payload: 'y' }),
    ]);
    feed(new FrameParser(sink, MAX), bytes, 2);
    expect(events).toEqual([
      { type: 'ping', data: 'p1' },
      { type: 'message', data: 'hello world', isBinary: false },
      { type: 'message', data: 'xy', isBinary: true },
    ]);
  });

  it('keeps fragments that came whole in earlier reads of a reused buffer', () => {
    const { sink, events } = collector();
    const parser = new FrameParser(sink, MAX);
    const scratch = Buffer.alloc(64);
    for (const frame of [
      serverFrame({ opcode: OPCODE.TEXT, payload: 'first ', fin: false }),
      serverFrame({ opcode: OPCODE.CONTINUATION, payload: 'second ', fin: false }),
      serverFrame({ opcode: OPCODE.CONTINUATION, payload: 'third' }),
    ]) {
      const n = frame.copy(scratch);
      parser.push(scratch.subarray(0, n));
      scratch.fill(0x21);
    }
    expect(events).toEqual([{ type: 'message', data: 'first second third', isBinary: false }]);
  });

  it('ignores pongs', () => {
    const { sink, events } = collector();
    new FrameParser(sink, MAX).push(
      Buffer.concat([
        serverFrame({ opcode: OPCODE.PONG, payload: 'p' }),
        serverFrame({ opcode: OPCODE.TEXT, payload: 'a' }),
      ]),
    );
    expect(events).toEqual([{ type: 'message', data: 'a', isBinary: false }]);
  });

  it('reads a close frame (code and reason) and ignores everything after it', () => {
    const { sink, events } = collector();
    const parser = new FrameParser(sink, MAX);
    parser.push(
      Buffer.concat([
        serverFrame({ opcode: OPCODE.CLOSE, payload: closePayload(4000, 'bye') }),
        serverFrame({ opcode: OPCODE.TEXT, payload: 'late' }),
      ]),
    );
    parser.push(serverFrame({ opcode: OPCODE.TEXT, payload: 'later' }));
    expect(events).toEqual([{ type: 'close', code: 4000, reason: 'bye' }]);
  });

  it('reads an empty close frame as 1005 (no status)', () => {
    const { sink, events } = collector();
    new FrameParser(sink, MAX).push(serverFrame({ opcode: OPCODE.CLOSE, payload: '' }));
    expect(events).toEqual([{ type: 'close', code: CloseCode.NO_STATUS, reason: '' }]);
  });

  const violations: [string, Buffer, number, RegExp][] = [
    ['a masked frame', serverFrame({ opcode: OPCODE.TEXT, payload: 'a', mask: true }), 1002, /masked/],
    ['an RSV bit', serverFrame({ opcode: OPCODE.TEXT, payload: 'a', rsv: 4 }), 1002, /RSV/],
    ['an unknown opcode', serverFrame({ opcode: 3, payload: 'a' }), 1002, /opcode 3/],
    ['a continuation with nothing to continue', serverFrame({ opcode: 0, payload: 'a' }), 1002, /continu/],
    [
      'a new message inside a fragmented one',
      Buffer.concat([
        serverFrame({ opcode: OPCODE.TEXT, payload: 'a', fin: false }),
        serverFrame({ opcode: OPCODE.TEXT, payload: 'b' }),
      ]),
      1002,
      /inside a fragmented/,
    ],
    [
      'a fragmented control frame',
      serverFrame({ opcode: OPCODE.PING, payload: 'a', fin: false }),
      1002,
      /control/,
    ],
    [
      'a control frame over 125 bytes',
      serverFrame({ opcode: OPCODE.PING, payload: Buffer.alloc(126) }),
      1002,
      /control/,
    ],
    [
      'a 1-byte close frame',
      serverFrame({ opcode: OPCODE.CLOSE, payload: Buffer.from([3]) }),
      1002,
      /1-byte/,
    ],
    [
      'a close code that may not be sent',
      serverFrame({ opcode: OPCODE.CLOSE, payload: closePayload(1006, '') }),
      1002,
      /invalid close code 1006/,
    ],
    [
      'a frame over the limit',
      serverFrame({ opcode: OPCODE.BINARY, payload: Buffer.alloc(201) }),
      1009,
      /limit/,
    ],
    [
      'fragments over the limit',
      Buffer.concat([
        serverFrame({ opcode: OPCODE.TEXT, payload: Buffer.alloc(120), fin: false }),
        serverFrame({ opcode: OPCODE.CONTINUATION, payload: Buffer.alloc(120) }),
      ]),
      1009,
      /limit/,
    ],
  ];

  it.each(violations)(
    'refuses %s with close code %i, and then reads nothing more',
    (_name, bytes, code, text) => {
      const { sink, events } = collector();
      const parser = new FrameParser(sink, 200);
      parser.push(Buffer.concat([bytes, serverFrame({ opcode: OPCODE.TEXT, payload: 'after' })]));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'violation', code });
      expect((events[0] as { message: string }).message).toMatch(text);
    },
  );
});

describe('encodeFrame', () => {
  function unmask(frame: Buffer): { fin: boolean; opcode: number; payload: Buffer; headerBytes: number } {
    const b1 = frame[1] as number;
    expect(b1 & 0x80).toBe(0x80);
    let len = b1 & 0x7f;
    let at = 2;
    if (len === 126) {
      len = frame.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      len = frame.readUInt32BE(2) * 2 ** 32 + frame.readUInt32BE(6);
      at = 10;
    }
    const key = frame.subarray(at, at + 4);
    const body = frame.subarray(at + 4);
    expect(body.length).toBe(len);
    const payload = Buffer.from(body.map((b, i) => b ^ (key[i % 4] as number)));
    return {
      fin: ((frame[0] as number) & 0x80) !== 0,
      opcode: (frame[0] as number) & 0x0f,
      payload,
      headerBytes: at,
    };
  }

  it.each([
    [0, 2],
    [125, 2],
    [126, 4],
    [65_535, 4],
    [65_536, 10],
  ])('masks a %i-byte payload behind a %i-byte header', (size, headerBytes) => {
    const payload = Buffer.alloc(size);
    for (let i = 0; i < size; i++) payload[i] = i & 0xff;
    const frame = encodeFrame(OPCODE.BINARY, payload, Buffer.from([0xa1, 0xb2, 0xc3, 0xd4]));
    const decoded = unmask(frame);
    expect(decoded).toMatchObject({ fin: true, opcode: OPCODE.BINARY, headerBytes });
    expect(decoded.payload.equals(payload)).toBe(true);
    if (size >= 4)
      expect(frame.subarray(headerBytes + 4, headerBytes + 8).equals(payload.subarray(0, 4))).toBe(false);
  });

  it('draws a fresh 4-byte mask per frame', () => {
    const source = new MaskSource();
    const seen = new Set<string>();
    for (let i = 0; i < 5_000; i++) seen.add(source.next().toString('hex'));
    // 5,000 draws from 2^32 values: a repeat is possible but rare; a stuck or cycling source is not.
    expect(seen.size).toBeGreaterThan(4_990);
  });

  it('cuts a close reason to fit a control frame', () => {
    const payload = closePayload(1000, 'x'.repeat(300));
    expect(payload.length).toBe(125);
    expect(payload.readUInt16BE(0)).toBe(1000);
  });
});
