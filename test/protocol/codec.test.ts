import { describe, expect, it } from 'vitest';
import type { DecodeError, DecodeErrorCode, DecodeResult } from '../../src/protocol/codec.js';
import { decodeFrame, encodeMessage } from '../../src/protocol/codec.js';
import {
  AudioChannel,
  ChatOperationType,
  ChatSessionType,
  Codec,
  ContentType,
  DataMessageAttribute,
  DataOption,
  EventType,
  MediaType,
  MessageType,
  Resolution,
  SampleRate,
  SessionState,
  StatusCode,
  StopReason,
  StreamState,
  TranscriptLanguage,
  ZccVoiceEventType,
} from '../../src/protocol/enums.js';
import type {
  AudioMessage,
  ChatMessage,
  EventUpdate,
  RtmsMessage,
  TranscriptMessage,
  VideoMessage,
} from '../../src/protocol/messages.js';

// ---------------------------------------------------------------------------------------------------
// Helpers

function expectOk(result: DecodeResult): RtmsMessage {
  if (!result.ok) throw new Error(`expected a message, got ${result.error.code}: ${result.error.message}`);
  return result.message;
}

function expectError(result: DecodeResult): DecodeError {
  if (result.ok) throw new Error(`expected a decode error, got msg_type ${result.message.msg_type}`);
  return result.error;
}

/** 20 ms of 16 kHz mono L16: 320 little-endian Int16 samples of a 440 Hz tone (640 bytes). */
function l16Tone(samples = 320, hz = 440, rate = 16_000): Buffer {
  const buf = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    buf.writeInt16LE(Math.round(12_000 * Math.sin((2 * Math.PI * hz * i) / rate)), i * 2);
  }
  return buf;
}

/** A deterministic PRNG (mulberry32), so a failing fuzz input can be reproduced. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A copy of `buf` in an ArrayBuffer of exactly its length (a Buffer's `.buffer` may be a shared pool). */
function toArrayBuffer(buf: Buffer): ArrayBuffer {
  const ab = new ArrayBuffer(buf.length);
  new Uint8Array(ab).set(buf);
  return ab;
}

/** `buf` split into `n` fragments, as `ws` delivers a fragmented message. */
function fragments(buf: Buffer, n: number): Buffer[] {
  const out: Buffer[] = [];
  const size = Math.ceil(buf.length / n);
  for (let i = 0; i < buf.length; i += size) out.push(Buffer.from(buf.subarray(i, i + size)));
  return out;
}

const DECODE_ERROR_CODES: readonly DecodeErrorCode[] = [
  'NOT_UTF8',
  'NOT_JSON',
  'NOT_OBJECT',
  'MISSING_MSG_TYPE',
  'UNKNOWN_MSG_TYPE',
  'INVALID_FIELD',
];

// ---------------------------------------------------------------------------------------------------
// One realistic instance of every message type 1–29

const STREAM_ID = '03db704592624398931a588dd78200cb';
const MEETING_UUID = '4cVHn7mWQ/+8J9k2lLy1dw==';
const SIGNATURE = '25f8054761b134b6113854463003261167d87358b761abb6e593615381217ffb';
const AUDIO_PCM = l16Tone();
const JPEG_FRAME = Buffer.from([
  0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0xff, 0xd9,
]);
const H264_NAL = Buffer.from([0x00, 0x00, 0x00, 0x01, 0x67, 0x42, 0xc0, 0x1e, 0xda, 0x02, 0x80, 0xbf, 0xe5]);

const audio: AudioMessage = {
  msg_type: MessageType.MEDIA_DATA_AUDIO,
  content: {
    user_id: 16_778_240,
    user_name: 'Ada Lovelace',
    data: AUDIO_PCM,
    length: AUDIO_PCM.length,
    timestamp: 1_727_384_349_000,
  },
};

const video: VideoMessage = {
  msg_type: MessageType.MEDIA_DATA_VIDEO,
  content: {
    user_id: 16_778_240,
    user_name: 'Ada Lovelace',
    data: JPEG_FRAME,
    length: JPEG_FRAME.length,
    timestamp: 1_727_384_349_040,
  },
};

const transcript: TranscriptMessage = {
  msg_type: MessageType.MEDIA_DATA_TRANSCRIPT,
  content: {
    user_id: 16_778_240,
    user_name: 'Ada Lovelace',
    data: 'The analytical engine weaves algebraic patterns — just as the loom weaves flowers. ✓',
    start_time: 1_727_384_349_000,
    end_time: 1_727_384_352_480,
    timestamp: 1_727_384_349_000,
    language: TranscriptLanguage.ENGLISH,
    attribute: DataMessageAttribute.ATTR_NEW,
  },
};

const plainChat: ChatMessage = {
  msg_type: MessageType.MEDIA_DATA_CHAT,
  content: { data: 'Slides are at go/q3-review', timestamp: 1_727_384_360_000, user_id: 16_778_240 },
};

const structuredChat: ChatMessage = {
  msg_type: MessageType.MEDIA_DATA_CHAT,
  content: {
    data: 'Can everyone see my screen?',
    timestamp: 1_727_384_361_000,
    user_id: 16_778_240,
    user_name: 'Ada Lovelace',
    structured: {
      chat_session: { type: ChatSessionType.EVERYONE, id: 'c5a1e3' },
      operation_type: ChatOperationType.NEW,
      message_id: '8f14e45f-ceea-467f-a8b1-2a1e4b4c6d7e',
      sender: { user_id: 16_778_240, user_name: 'Ada Lovelace' },
      receiver: { user_id: '0', user_name: 'Everyone' },
      files: [{ file_id: 'f1', file_name: 'notes.pdf', file_size: 20_480 }],
    },
  },
};

const participantJoin: EventUpdate = {
  msg_type: MessageType.EVENT_UPDATE,
  event: {
    event_type: EventType.PARTICIPANT_JOIN,
    timestamp: 1_727_384_349_100,
    participants: [
      { user_id: 16_778_240, user_name: 'Ada Lovelace' },
      { user_id: '16779264', user_name: 'Charles Babbage' },
    ],
  },
};

const SAMPLES: ReadonlyArray<readonly [string, RtmsMessage]> = [
  [
    'SIGNALING_HAND_SHAKE_REQ',
    {
      msg_type: MessageType.SIGNALING_HAND_SHAKE_REQ,
      protocol_version: 1,
      sequence: 1,
      meeting_uuid: MEETING_UUID,
      rtms_stream_id: STREAM_ID,
      signature: SIGNATURE,
      buffer_data: false,
    },
  ],
  [
    // As Zoom's own sample clients send it: no protocol_version.
    'SIGNALING_HAND_SHAKE_REQ without protocol_version',
    {
      msg_type: MessageType.SIGNALING_HAND_SHAKE_REQ,
      meeting_uuid: MEETING_UUID,
      rtms_stream_id: STREAM_ID,
      signature: SIGNATURE,
    },
  ],
  [
    'SIGNALING_HAND_SHAKE_RESP',
    {
      msg_type: MessageType.SIGNALING_HAND_SHAKE_RESP,
      protocol_version: 1,
      sequence: 0,
      status_code: StatusCode.STATUS_OK,
      reason: '',
      media_server: {
        server_urls: {
          audio: 'wss://rtms-sjc1.zoom.us/audio',
          video: 'wss://rtms-sjc1.zoom.us/video',
          transcript: 'wss://rtms-sjc1.zoom.us/transcript',
          all: 'wss://rtms-sjc1.zoom.us/all',
        },
        datacenter_region: 'SJC',
      },
    },
  ],
  [
    'DATA_HAND_SHAKE_REQ',
    {
      msg_type: MessageType.DATA_HAND_SHAKE_REQ,
      protocol_version: 1,
      sequence: 2,
      meeting_uuid: MEETING_UUID,
      rtms_stream_id: STREAM_ID,
      signature: SIGNATURE,
      media_type: MediaType.AUDIO | MediaType.TRANSCRIPT,
      payload_encryption: false,
      media_params: {
        audio: {
          content_type: ContentType.RAW_AUDIO,
          sample_rate: SampleRate.SR_16K,
          channel: AudioChannel.MONO,
          codec: Codec.L16,
          data_opt: DataOption.AUDIO_MIXED_STREAM,
          send_rate: 20,
        },
        transcript: {
          content_type: ContentType.TEXT,
          src_language: TranscriptLanguage.ENGLISH,
          enable_lid: true,
        },
      },
    },
  ],
  [
    'DATA_HAND_SHAKE_RESP',
    {
      msg_type: MessageType.DATA_HAND_SHAKE_RESP,
      protocol_version: 1,
      sequence: 0,
      status_code: StatusCode.STATUS_OK,
      reason: '',
      payload_encrypted: false,
      media_params: {
        video: {
          content_type: ContentType.RAW_VIDEO,
          codec: Codec.JPG,
          resolution: Resolution.HD,
          data_opt: DataOption.VIDEO_SINGLE_ACTIVE_STREAM,
          fps: 5,
        },
        chat: { content_type: ContentType.TEXT },
      },
    },
  ],
  [
    'EVENT_SUBSCRIPTION',
    {
      msg_type: MessageType.EVENT_SUBSCRIPTION,
      events: [
        { event_type: EventType.ACTIVE_SPEAKER_CHANGE, subscribe: true },
        { event_type: EventType.PARTICIPANT_JOIN, subscribe: true },
        { event_type: EventType.SHARING_START, subscribe: false },
      ],
    },
  ],
  ['EVENT_UPDATE (participant join)', participantJoin],
  [
    'EVENT_UPDATE (active speaker)',
    {
      msg_type: MessageType.EVENT_UPDATE,
      event: {
        event_type: EventType.ACTIVE_SPEAKER_CHANGE,
        timestamp: 1_727_384_350_000,
        user_id: 16_778_240,
        user_name: 'Ada Lovelace',
      },
    },
  ],
  [
    'EVENT_UPDATE (Contact Center)',
    {
      msg_type: MessageType.EVENT_UPDATE,
      event: {
        event_type: ZccVoiceEventType.CONSUMER_ANSWERED,
        event_ts: 1_727_384_350_500,
        paticipant_info: {
          channel_id: 'ch-1',
          participant_mode: 'caller',
          queue_id: 'q-42',
          queue_name: 'Support',
          phone_number: '+15551230000',
          user_id: 'u-9',
          display_name: 'Caller',
        },
      },
    },
  ],
  ['CLIENT_READY_ACK', { msg_type: MessageType.CLIENT_READY_ACK, rtms_stream_id: STREAM_ID }],
  [
    'STREAM_STATE_UPDATE',
    {
      msg_type: MessageType.STREAM_STATE_UPDATE,
      state: StreamState.INTERRUPTED,
      reason: StopReason.DATA_CONNECTION_INTERRUPTED,
      timestamp: 1_727_384_355_000,
    },
  ],
  [
    'SESSION_STATE_UPDATE',
    {
      msg_type: MessageType.SESSION_STATE_UPDATE,
      state: SessionState.STOPPED,
      stop_reason: StopReason.MEETING_ENDED,
      timestamp: 1_727_384_399_000,
      rtms_session_id: '5d3c1e8a',
    },
  ],
  ['SESSION_STATE_REQ', { msg_type: MessageType.SESSION_STATE_REQ, rtms_session_id: '5d3c1e8a' }],
  [
    'SESSION_STATE_RESP',
    {
      msg_type: MessageType.SESSION_STATE_RESP,
      rtms_session_id: '5d3c1e8a',
      state: SessionState.STARTED,
      timestamp: 1_727_384_349_000,
    },
  ],
  ['KEEP_ALIVE_REQ', { msg_type: MessageType.KEEP_ALIVE_REQ, timestamp: 1_727_384_360_123 }],
  ['KEEP_ALIVE_RESP', { msg_type: MessageType.KEEP_ALIVE_RESP, timestamp: 1_727_384_360_123 }],
  ['MEDIA_DATA_AUDIO', audio],
  ['MEDIA_DATA_VIDEO', video],
  [
    'MEDIA_DATA_SHARE',
    {
      msg_type: MessageType.MEDIA_DATA_SHARE,
      content: { user_id: 16_779_264, data: H264_NAL, length: H264_NAL.length, timestamp: 1_727_384_349_500 },
    },
  ],
  ['MEDIA_DATA_TRANSCRIPT', transcript],
  ['MEDIA_DATA_CHAT (plain)', plainChat],
  ['MEDIA_DATA_CHAT (structured)', structuredChat],
  ['STREAM_STATE_REQ', { msg_type: MessageType.STREAM_STATE_REQ, rtms_stream_id: STREAM_ID }],
  [
    'STREAM_STATE_RESP',
    {
      msg_type: MessageType.STREAM_STATE_RESP,
      state: StreamState.ACTIVE,
      rtms_stream_id: STREAM_ID,
      timestamp: 1_694_204_592,
    },
  ],
  ['STREAM_CLOSE_REQ', { msg_type: MessageType.STREAM_CLOSE_REQ, rtms_stream_id: STREAM_ID }],
  [
    'STREAM_CLOSE_RESP',
    {
      msg_type: MessageType.STREAM_CLOSE_RESP,
      rtms_stream_id: STREAM_ID,
      status_code: StatusCode.STATUS_OK,
      reason: 'OK',
      timestamp: 1_727_384_400_000,
    },
  ],
  [
    'META_DATA_AUDIO',
    {
      msg_type: MessageType.META_DATA_AUDIO,
      content: {
        lid: TranscriptLanguage.ENGLISH,
        timestamp: 1_727_384_349_000,
        channelNum: 1,
        sampleRate: 16_000,
        targets: [{ lid: TranscriptLanguage.GERMAN, toneId: 1, voiceId: 'v2', engine: 'e1' }],
      },
    },
  ],
  ['META_DATA_VIDEO', { msg_type: MessageType.META_DATA_VIDEO, content: { width: 1280, height: 720 } }],
  ['META_DATA_SHARE', { msg_type: MessageType.META_DATA_SHARE, content: { width: 1920, height: 1080 } }],
  [
    'META_DATA_TRANSCRIPT',
    { msg_type: MessageType.META_DATA_TRANSCRIPT, content: { language: TranscriptLanguage.FRENCH_FRANCE } },
  ],
  ['META_DATA_CHAT', { msg_type: MessageType.META_DATA_CHAT, content: { chat_enabled: true } }],
  [
    'VIDEO_SUBSCRIPTION_REQ',
    { msg_type: MessageType.VIDEO_SUBSCRIPTION_REQ, user_id: 16_779_264, subscribe: true, timestamp: 1 },
  ],
  [
    'VIDEO_SUBSCRIPTION_RESP',
    {
      msg_type: MessageType.VIDEO_SUBSCRIPTION_RESP,
      user_id: 16_779_264,
      status_code: StatusCode.STATUS_DUPLICATE_VIDEO_SUBSCRIPTION,
      reason: 'duplicate video subscription',
      timestamp: 1_727_384_370_000,
      subscribe: true,
    },
  ],
];

// ---------------------------------------------------------------------------------------------------

describe('decodeFrame / encodeMessage round trip', () => {
  it('has a sample of every message type 1–29', () => {
    const covered = new Set(SAMPLES.map(([, m]) => m.msg_type));
    const expected = Object.values(MessageType).filter(
      (v): v is MessageType => typeof v === 'number' && v !== MessageType.UNDEFINED,
    );
    expect(expected).toHaveLength(29);
    expect([...covered].sort((a, b) => a - b)).toEqual(expected);
  });

  it.each(SAMPLES)('%s decodes from its own text frame to an equal message', (_name, msg) => {
    const text = encodeMessage(msg);
    expect(typeof text).toBe('string');
    expect(expectOk(decodeFrame(text, false))).toStrictEqual(msg);
  });

  it.each(SAMPLES)('%s: a binary frame of UTF-8 JSON gives the same message as the text frame', (_n, msg) => {
    const text = encodeMessage(msg);
    const fromText = expectOk(decodeFrame(text, false));
    expect(expectOk(decodeFrame(Buffer.from(text), true))).toStrictEqual(fromText);
  });

  it.each(SAMPLES)('%s: Buffer text frame, ArrayBuffer and Buffer[] fragments decode the same', (_n, msg) => {
    const bytes = Buffer.from(encodeMessage(msg));
    expect(expectOk(decodeFrame(bytes, false))).toStrictEqual(msg);
    expect(expectOk(decodeFrame(toArrayBuffer(bytes), true))).toStrictEqual(msg);
    expect(expectOk(decodeFrame(toArrayBuffer(bytes), false))).toStrictEqual(msg);
    expect(expectOk(decodeFrame(new Uint8Array(bytes), true))).toStrictEqual(msg);
    const parts = fragments(bytes, 3);
    expect(parts.length).toBeGreaterThan(1);
    expect(expectOk(decodeFrame(parts, true))).toStrictEqual(msg);
    expect(expectOk(decodeFrame(parts, false))).toStrictEqual(msg);
  });

  it('decodes a Buffer that is a view into a larger buffer (as ws slices frames)', () => {
    const text = encodeMessage(audio);
    const big = Buffer.from(`garbage-before${text}garbage-after`);
    const view = big.subarray('garbage-before'.length, big.length - 'garbage-after'.length);
    expect(expectOk(decodeFrame(view, true))).toStrictEqual(audio);
  });

  it('decodes the frame between start and end of a larger buffer, a byte-order mark there included', () => {
    const frame = '{"msg_type":12,"timestamp":7}';
    const bytes = Buffer.concat([
      Buffer.from('xx{'),
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(frame),
      Buffer.from('}zz'),
    ]);
    const start = 3;
    const end = start + 3 + Buffer.byteLength(frame);
    for (const isBinary of [false, true]) {
      const result = decodeFrame(bytes, isBinary, start, end);
      expect(result).toEqual({ ok: true, message: { msg_type: 12, timestamp: 7 } });
    }
    expect(decodeFrame(bytes, false, start + 3, end - 1)).toMatchObject({
      ok: false,
      error: { code: 'NOT_JSON' },
    });
    const broken = Buffer.from([0x7b, 0xff, 0x7d]);
    expect(
      decodeFrame(Buffer.concat([Buffer.from(frame), broken]), true, Buffer.byteLength(frame)),
    ).toMatchObject({
      ok: false,
      error: { code: 'NOT_UTF8' },
    });
    expect(
      decodeFrame(Buffer.concat([Buffer.from(frame), broken]), true, 0, Buffer.byteLength(frame)),
    ).toMatchObject({
      ok: true,
    });
  });

  it('decodes fragments that split a multi-byte UTF-8 character', () => {
    const text = encodeMessage(transcript);
    const bytes = Buffer.from(text);
    const dash = bytes.indexOf(Buffer.from('—'));
    expect(dash).toBeGreaterThan(0);
    const parts = [bytes.subarray(0, dash + 1), bytes.subarray(dash + 1)];
    expect(expectOk(decodeFrame(parts, true))).toStrictEqual(transcript);
  });

  it('gives media data back as bytes, byte for byte', () => {
    const decoded = expectOk(decodeFrame(encodeMessage(audio)));
    if (decoded.msg_type !== MessageType.MEDIA_DATA_AUDIO) throw new Error('not audio');
    expect(Buffer.isBuffer(decoded.content.data)).toBe(true);
    expect(decoded.content.data.length).toBe(640);
    expect(decoded.content.data.equals(AUDIO_PCM)).toBe(true);
    expect(decoded.content.data.readInt16LE(2 * 9)).toBe(AUDIO_PCM.readInt16LE(2 * 9));
  });

  it('does not mutate the message it encodes', () => {
    const before = structuredClone(structuredChat);
    encodeMessage(structuredChat);
    encodeMessage(audio);
    expect(structuredChat).toStrictEqual(before);
    expect(Buffer.isBuffer(audio.content.data)).toBe(true);
  });
});

describe('encodeMessage wire format', () => {
  it('writes audio content.data as base64 of the bytes (640 bytes → 856 chars ending "==")', () => {
    const wire = JSON.parse(encodeMessage(audio));
    expect(wire.msg_type).toBe(14);
    expect(typeof wire.content.data).toBe('string');
    expect(wire.content.data).toHaveLength(856);
    expect(wire.content.data.endsWith('==')).toBe(true);
    expect(wire.content.data).toBe(AUDIO_PCM.toString('base64'));
    expect(wire.content.data).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(wire.content).toEqual({
      user_id: 16_778_240,
      user_name: 'Ada Lovelace',
      data: AUDIO_PCM.toString('base64'),
      length: 640,
      timestamp: 1_727_384_349_000,
    });
  });

  it('writes a known byte vector as known base64', () => {
    const msg: VideoMessage = {
      msg_type: MessageType.MEDIA_DATA_VIDEO,
      content: { user_id: 1, data: Buffer.from([0x00, 0x01, 0x02, 0x03, 0xfb, 0xff]), timestamp: 5 },
    };
    expect(encodeMessage(msg)).toBe(
      '{"msg_type":15,"content":{"user_id":1,"data":"AAECA/v/","timestamp":5}}',
    );
  });

  it('never writes a Buffer as {"type":"Buffer"}', () => {
    for (const [, msg] of SAMPLES) expect(encodeMessage(msg)).not.toContain('"type":"Buffer"');
  });

  it('writes msg_type as an integer', () => {
    for (const [, msg] of SAMPLES) expect(JSON.parse(encodeMessage(msg)).msg_type).toBe(msg.msg_type);
  });

  it('writes a structured chat as a JSON string in content.data', () => {
    const wire = JSON.parse(encodeMessage(structuredChat));
    expect(typeof wire.content.data).toBe('string');
    expect(wire.content.structured).toBeUndefined();
    const inner = JSON.parse(wire.content.data);
    expect(inner.data).toBe('Can everyone see my screen?');
    expect(inner.chat_session).toEqual({ type: ChatSessionType.EVERYONE, id: 'c5a1e3' });
    expect(inner.operation_type).toBe(ChatOperationType.NEW);
    expect(wire.content.user_id).toBe(16_778_240);
  });

  it('writes a plain chat with its text as content.data', () => {
    expect(JSON.parse(encodeMessage(plainChat)).content).toEqual({
      data: 'Slides are at go/q3-review',
      timestamp: 1_727_384_360_000,
      user_id: 16_778_240,
    });
  });
});

// ---------------------------------------------------------------------------------------------------

interface MalformedCase {
  name: string;
  frame: string | Buffer;
  isBinary?: boolean;
  code: DecodeErrorCode;
  field?: string;
  msgType?: number;
}

const MALFORMED: readonly MalformedCase[] = [
  { name: 'not JSON', frame: 'hello', code: 'NOT_JSON' },
  { name: 'truncated JSON', frame: '{"msg_type":12,"timestamp":', code: 'NOT_JSON' },
  { name: 'empty frame', frame: '', code: 'NOT_JSON' },
  { name: 'empty binary frame', frame: Buffer.alloc(0), isBinary: true, code: 'NOT_JSON' },
  { name: 'JSON array', frame: '[{"msg_type":12,"timestamp":1}]', code: 'NOT_OBJECT' },
  { name: 'JSON number', frame: '12', code: 'NOT_OBJECT' },
  { name: 'JSON null', frame: 'null', code: 'NOT_OBJECT' },
  { name: 'JSON string', frame: '"msg_type"', code: 'NOT_OBJECT' },
  { name: 'no msg_type', frame: '{"timestamp":1}', code: 'MISSING_MSG_TYPE' },
  {
    name: 'msg_type as string',
    frame: '{"msg_type":"12","timestamp":1}',
    code: 'INVALID_FIELD',
    field: 'msg_type',
  },
  { name: 'msg_type 1.5', frame: '{"msg_type":1.5}', code: 'INVALID_FIELD', field: 'msg_type' },
  { name: 'msg_type 99', frame: '{"msg_type":99}', code: 'UNKNOWN_MSG_TYPE', msgType: 99 },
  { name: 'msg_type 0 (UNDEFINED)', frame: '{"msg_type":0}', code: 'UNKNOWN_MSG_TYPE', msgType: 0 },
  {
    name: 'keep-alive timestamp "x"',
    frame: '{"msg_type":12,"timestamp":"x"}',
    code: 'INVALID_FIELD',
    field: 'timestamp',
    msgType: 12,
  },
  {
    name: 'keep-alive without timestamp',
    frame: '{"msg_type":12}',
    code: 'INVALID_FIELD',
    field: 'timestamp',
    msgType: 12,
  },
  {
    name: 'audio without content',
    frame: '{"msg_type":14}',
    code: 'INVALID_FIELD',
    field: 'content',
    msgType: 14,
  },
  {
    name: 'audio content is an array',
    frame: '{"msg_type":14,"content":[]}',
    code: 'INVALID_FIELD',
    field: 'content',
    msgType: 14,
  },
  {
    name: 'audio content.data is a number',
    frame: '{"msg_type":14,"content":{"user_id":0,"data":12345,"timestamp":1}}',
    code: 'INVALID_FIELD',
    field: 'content.data',
    msgType: 14,
  },
  {
    name: 'audio without timestamp',
    frame: '{"msg_type":14,"content":{"user_id":0,"data":"AAA="}}',
    code: 'INVALID_FIELD',
    field: 'content.timestamp',
    msgType: 14,
  },
  {
    name: 'video user_id is a fraction',
    frame: '{"msg_type":15,"content":{"user_id":1.5,"data":"AAA=","timestamp":1}}',
    code: 'INVALID_FIELD',
    field: 'content.user_id',
    msgType: 15,
  },
  {
    name: 'transcript data is missing',
    frame: '{"msg_type":17,"content":{"user_id":1,"timestamp":1}}',
    code: 'INVALID_FIELD',
    field: 'content.data',
    msgType: 17,
  },
  {
    name: 'chat data is a number',
    frame: '{"msg_type":18,"content":{"data":5}}',
    code: 'INVALID_FIELD',
    field: 'content.data',
    msgType: 18,
  },
  {
    name: 'structured chat object without text',
    frame: '{"msg_type":18,"content":{"data":{"operation_type":1}}}',
    code: 'INVALID_FIELD',
    field: 'content.data.data',
    msgType: 18,
  },
  {
    name: 'handshake response without status_code',
    frame: '{"msg_type":2,"protocol_version":1,"reason":""}',
    code: 'INVALID_FIELD',
    field: 'status_code',
    msgType: 2,
  },
  {
    name: 'media handshake response with status_code "0"',
    frame: '{"msg_type":4,"status_code":"0"}',
    code: 'INVALID_FIELD',
    field: 'status_code',
    msgType: 4,
  },
  {
    name: 'media_server.server_urls is a string',
    frame: '{"msg_type":2,"status_code":0,"media_server":{"server_urls":"wss://x"}}',
    code: 'INVALID_FIELD',
    field: 'media_server.server_urls',
    msgType: 2,
  },
  {
    name: 'media_server.server_urls is an array',
    frame: '{"msg_type":2,"status_code":0,"media_server":{"server_urls":["wss://x"]}}',
    code: 'INVALID_FIELD',
    field: 'media_server.server_urls',
    msgType: 2,
  },
  {
    name: 'media_server.server_urls.audio is a number',
    frame: '{"msg_type":2,"status_code":0,"media_server":{"server_urls":{"all":"wss://x","audio":1}}}',
    code: 'INVALID_FIELD',
    field: 'media_server.server_urls.audio',
    msgType: 2,
  },
  {
    name: 'media_server is a string',
    frame: '{"msg_type":2,"status_code":0,"media_server":"wss://x"}',
    code: 'INVALID_FIELD',
    field: 'media_server',
    msgType: 2,
  },
  {
    name: 'event subscription entry is a bare int',
    frame: '{"msg_type":5,"events":[1,2,3]}',
    code: 'INVALID_FIELD',
    field: 'events.0',
    msgType: 5,
  },
  {
    name: 'event subscription entry with subscribe "yes"',
    frame: '{"msg_type":5,"events":[{"event_type":2,"subscribe":"yes"}]}',
    code: 'INVALID_FIELD',
    field: 'events.0',
    msgType: 5,
  },
  {
    name: 'second event subscription entry without event_type',
    frame: '{"msg_type":5,"events":[{"event_type":2,"subscribe":true},{"subscribe":true}]}',
    code: 'INVALID_FIELD',
    field: 'events.1',
    msgType: 5,
  },
  {
    name: 'event subscription without events',
    frame: '{"msg_type":5}',
    code: 'INVALID_FIELD',
    field: 'events',
    msgType: 5,
  },
  {
    name: 'event update participant without user_id',
    frame: '{"msg_type":6,"event":{"event_type":3,"participants":[{"user_id":1},{"user_name":"Bob"}]}}',
    code: 'INVALID_FIELD',
    field: 'event.participants.1.user_id',
    msgType: 6,
  },
  {
    name: 'event update participant is not an object',
    frame: '{"msg_type":6,"event":{"event_type":4,"participants":[7]}}',
    code: 'INVALID_FIELD',
    field: 'event.participants.0.user_id',
    msgType: 6,
  },
  {
    name: 'event update without event_type',
    frame: '{"msg_type":6,"event":{"timestamp":1}}',
    code: 'INVALID_FIELD',
    field: 'event.event_type',
    msgType: 6,
  },
  {
    name: 'event update user_id is a boolean',
    frame: '{"msg_type":6,"event":{"event_type":2,"user_id":true}}',
    code: 'INVALID_FIELD',
    field: 'event.user_id',
    msgType: 6,
  },
  {
    name: 'event update without event',
    frame: '{"msg_type":6}',
    code: 'INVALID_FIELD',
    field: 'event',
    msgType: 6,
  },
  {
    name: 'stream state update with state "ACTIVE"',
    frame: '{"msg_type":8,"state":"ACTIVE"}',
    code: 'INVALID_FIELD',
    field: 'state',
    msgType: 8,
  },
  {
    name: 'video subscription without subscribe',
    frame: '{"msg_type":28,"user_id":5}',
    code: 'INVALID_FIELD',
    field: 'subscribe',
    msgType: 28,
  },
  {
    // Absent means version 1 (Zoom's own clients leave it out); present, it must be a version number.
    name: 'signaling handshake with protocol_version 0',
    frame: '{"msg_type":1,"protocol_version":0,"rtms_stream_id":"s","signature":"x","meeting_uuid":"m"}',
    code: 'INVALID_FIELD',
    field: 'protocol_version',
    msgType: 1,
  },
  {
    name: 'media handshake with protocol_version as a string',
    frame: '{"msg_type":3,"protocol_version":"1","rtms_stream_id":"s","signature":"x","media_type":1}',
    code: 'INVALID_FIELD',
    field: 'protocol_version',
    msgType: 3,
  },
  {
    name: 'metadata content is a string',
    frame: '{"msg_type":23,"content":"x"}',
    code: 'INVALID_FIELD',
    field: 'content',
    msgType: 23,
  },
  {
    name: 'binary frame that is not UTF-8',
    frame: Buffer.from([0xff, 0xfe, 0xfd]),
    isBinary: true,
    code: 'NOT_UTF8',
  },
  {
    name: 'binary JSON frame with a lone continuation byte',
    frame: Buffer.concat([
      Buffer.from('{"msg_type":12,"timestamp":1,"x":"'),
      Buffer.from([0x80]),
      Buffer.from('"}'),
    ]),
    isBinary: true,
    code: 'NOT_UTF8',
  },
];

describe('decodeFrame errors', () => {
  it.each(MALFORMED)('$name → $code', ({ frame, isBinary, code, field, msgType }) => {
    let result: DecodeResult | undefined;
    expect(() => {
      result = decodeFrame(frame, isBinary ?? false);
    }).not.toThrow();
    const error = expectError(result!);
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(0);
    if (field === undefined) expect(error.field).toBeUndefined();
    else expect(error.field).toBe(field);
    if (msgType !== undefined) expect(error.msgType).toBe(msgType);
  });

  it('names the message type in an INVALID_FIELD message', () => {
    const error = expectError(decodeFrame('{"msg_type":12,"timestamp":"x"}'));
    expect(error.message).toContain('KEEP_ALIVE_REQ');
    expect(error.message).toContain('timestamp');
  });

  it('rejects non-finite numbers', () => {
    const error = expectError(decodeFrame('{"msg_type":12,"timestamp":1e999}'));
    expect(error.code).toBe('INVALID_FIELD');
    expect(error.field).toBe('timestamp');
  });
});

describe('decodeFrame never throws', () => {
  const ALPHABET = [
    '{',
    '}',
    '[',
    ']',
    '"',
    ':',
    ',',
    '0',
    '1',
    '-',
    '.',
    'e',
    'true',
    'false',
    'null',
    '"msg_type"',
    '"content"',
    '"data"',
    '"event"',
    '14',
    '18',
    '6',
    '\\',
    '\u00e9',
    ' ',
  ];

  function check(result: DecodeResult): void {
    expect(typeof result.ok).toBe('boolean');
    if (result.ok) {
      expect(result.message.msg_type).toBeGreaterThanOrEqual(1);
      expect(result.message.msg_type).toBeLessThanOrEqual(29);
    } else {
      expect(DECODE_ERROR_CODES).toContain(result.error.code);
      if (result.error.code === 'INVALID_FIELD') expect(result.error.field).toMatch(/\S/);
    }
  }

  it('on 300 random byte buffers, as binary and as text frames', () => {
    const rand = prng(0x5eed_0001);
    const counts = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const buf = Buffer.alloc(Math.floor(rand() * 200));
      for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rand() * 256);
      for (const result of [
        decodeFrame(buf, true),
        decodeFrame(buf, false),
        decodeFrame(buf.toString('latin1'), false),
        decodeFrame(toArrayBuffer(buf), true),
        decodeFrame([buf.subarray(0, 3), buf.subarray(3)], true),
      ]) {
        check(result);
        const key = result.ok ? 'ok' : result.error.code;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    expect(counts.get('ok') ?? 0).toBe(0);
    expect(counts.get('NOT_UTF8') ?? 0).toBeGreaterThan(200);
    expect(counts.get('NOT_JSON') ?? 0).toBeGreaterThan(200);
  });

  it('on 400 random strings of JSON tokens', () => {
    const rand = prng(0x5eed_0002);
    for (let i = 0; i < 400; i++) {
      let text = '';
      const n = Math.floor(rand() * 40);
      for (let j = 0; j < n; j++) text += ALPHABET[Math.floor(rand() * ALPHABET.length)];
      check(decodeFrame(text, false));
      check(decodeFrame(Buffer.from(text), true));
    }
  });

  it('on 400 valid frames with one field replaced by a random value, and re-encodes what it accepts', () => {
    const rand = prng(0x5eed_0003);
    const values: unknown[] = [
      null,
      true,
      0,
      -1,
      1.5,
      '',
      'x',
      '{',
      [],
      [1],
      {},
      { data: 'y' },
      Number.POSITIVE_INFINITY,
    ];
    const pick = <T>(arr: readonly T[]): T => arr[Math.floor(rand() * arr.length)]!;
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 400; i++) {
      const [, sample] = pick(SAMPLES);
      const wire = JSON.parse(encodeMessage(sample)) as Record<string, unknown>;
      // Walk down a random path of objects, then replace (or delete) the field at its end.
      let target: Record<string, unknown> = wire;
      for (;;) {
        const keys = Object.keys(target);
        if (keys.length === 0) break;
        const key = pick(keys);
        const child = target[key];
        if (child !== null && typeof child === 'object' && !Array.isArray(child) && rand() < 0.6) {
          target = child as Record<string, unknown>;
          continue;
        }
        if (rand() < 0.15) delete target[key];
        else target[key] = pick(values);
        break;
      }
      const text = JSON.stringify(wire);
      let result: DecodeResult | undefined;
      expect(() => {
        result = decodeFrame(text, false);
      }).not.toThrow();
      check(result!);
      if (result!.ok) {
        accepted++;
        const again = expectOk(decodeFrame(encodeMessage(result!.message), false));
        expect(again).toStrictEqual(result!.message);
      } else {
        rejected++;
      }
    }
    expect(accepted).toBeGreaterThan(20);
    expect(rejected).toBeGreaterThan(20);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('decodeFrame tolerance', () => {
  it('accepts an event user_id as a number and as a string', () => {
    const asNumber = expectOk(decodeFrame('{"msg_type":6,"event":{"event_type":2,"user_id":16778240}}'));
    const asString = expectOk(decodeFrame('{"msg_type":6,"event":{"event_type":2,"user_id":"16778240"}}'));
    expect(asNumber).toStrictEqual({
      msg_type: MessageType.EVENT_UPDATE,
      event: { event_type: EventType.ACTIVE_SPEAKER_CHANGE, user_id: 16_778_240 },
    });
    expect(asString).toStrictEqual({
      msg_type: MessageType.EVENT_UPDATE,
      event: { event_type: EventType.ACTIVE_SPEAKER_CHANGE, user_id: '16778240' },
    });
  });

  it('accepts participant user_ids as numbers and strings', () => {
    const frame =
      '{"msg_type":6,"event":{"event_type":4,"participants":[{"user_id":"xxxxxxxxxx"},{"user_id":7}]}}';
    const msg = expectOk(decodeFrame(frame));
    if (msg.msg_type !== MessageType.EVENT_UPDATE) throw new Error('not an event update');
    expect(msg.event.participants).toEqual([{ user_id: 'xxxxxxxxxx' }, { user_id: 7 }]);
  });

  it('accepts null optional fields and removes them', () => {
    const audioMsg = expectOk(
      decodeFrame(
        '{"msg_type":14,"content":{"user_id":5,"user_name":null,"data":"AAE=","length":null,"timestamp":3}}',
      ),
    );
    expect(audioMsg).toStrictEqual({
      msg_type: MessageType.MEDIA_DATA_AUDIO,
      content: { user_id: 5, data: Buffer.from([0x00, 0x01]), timestamp: 3 },
    });
    if (audioMsg.msg_type !== MessageType.MEDIA_DATA_AUDIO) throw new Error('not audio');
    expect('user_name' in audioMsg.content).toBe(false);
    expect('length' in audioMsg.content).toBe(false);

    const resp = expectOk(decodeFrame('{"msg_type":2,"status_code":3,"reason":null,"media_server":null}'));
    expect(resp).toStrictEqual({ msg_type: MessageType.SIGNALING_HAND_SHAKE_RESP, status_code: 3 });

    const event = expectOk(
      decodeFrame('{"msg_type":6,"event":{"event_type":6,"timestamp":9,"user_id":null}}'),
    );
    expect(event).toStrictEqual({
      msg_type: MessageType.EVENT_UPDATE,
      event: { event_type: EventType.SHARING_STOP, timestamp: 9 },
    });
  });

  it('rejects null for a required field', () => {
    const error = expectError(decodeFrame('{"msg_type":12,"timestamp":null}'));
    expect(error.code).toBe('INVALID_FIELD');
    expect(error.field).toBe('timestamp');
  });

  it('decodes audio without user_id (Contact Center) with user_id 0', () => {
    const frame = '{"msg_type":14,"content":{"data":"AAECAw==","timestamp":42,"channel_id":"ch-2"}}';
    expect(expectOk(decodeFrame(frame))).toStrictEqual({
      msg_type: MessageType.MEDIA_DATA_AUDIO,
      content: { user_id: 0, data: Buffer.from([0, 1, 2, 3]), timestamp: 42, channel_id: 'ch-2' },
    });
  });

  it('decodes a transcript without user_id with user_id 0', () => {
    const msg = expectOk(decodeFrame('{"msg_type":17,"content":{"data":"hello","language":-1}}'));
    expect(msg).toStrictEqual({
      msg_type: MessageType.MEDIA_DATA_TRANSCRIPT,
      content: { user_id: 0, data: 'hello', language: TranscriptLanguage.NONE },
    });
  });

  it('keeps chat text that starts with "{" but is not JSON as plain text', () => {
    const frame = JSON.stringify({
      msg_type: MessageType.MEDIA_DATA_CHAT,
      content: { data: '{ not json, just a brace', timestamp: 1 },
    });
    expect(expectOk(decodeFrame(frame))).toStrictEqual({
      msg_type: MessageType.MEDIA_DATA_CHAT,
      content: { data: '{ not json, just a brace', timestamp: 1 },
    });
  });

  it('keeps chat text that is JSON without a string "data" as plain text', () => {
    const frame = JSON.stringify({ msg_type: MessageType.MEDIA_DATA_CHAT, content: { data: '{"a":1}' } });
    expect(expectOk(decodeFrame(frame))).toStrictEqual({
      msg_type: MessageType.MEDIA_DATA_CHAT,
      content: { data: '{"a":1}' },
    });
  });

  it('decodes the structured chat layout (content.data a JSON string)', () => {
    const inner = {
      data: 'hello all',
      chat_session: { type: ChatSessionType.CHAT_GROUP, id: 'g-1' },
      operation_type: ChatOperationType.UPDATE,
      message_id: 'm-2',
      user_id: 99,
      user_name: 'Grace',
      timestamp: 1234,
    };
    const frame = JSON.stringify({
      msg_type: MessageType.MEDIA_DATA_CHAT,
      content: { data: JSON.stringify(inner) },
    });
    expect(expectOk(decodeFrame(frame))).toStrictEqual({
      msg_type: MessageType.MEDIA_DATA_CHAT,
      content: {
        data: 'hello all',
        user_id: 99,
        user_name: 'Grace',
        timestamp: 1234,
        structured: {
          chat_session: { type: ChatSessionType.CHAT_GROUP, id: 'g-1' },
          operation_type: ChatOperationType.UPDATE,
          message_id: 'm-2',
        },
      },
    });
  });

  it('decodes the structured chat layout when content.data is an object, not a string', () => {
    const frame = JSON.stringify({
      msg_type: MessageType.MEDIA_DATA_CHAT,
      content: {
        timestamp: 55,
        data: {
          data: 'thumbs up',
          operation_type: ChatOperationType.ADD_EMOJI_REACTION,
          parent_message_id: 'm-1',
          sender: { user_id: '42', user_name: 'Linus' },
        },
      },
    });
    const msg = expectOk(decodeFrame(frame));
    expect(msg).toStrictEqual({
      msg_type: MessageType.MEDIA_DATA_CHAT,
      content: {
        data: 'thumbs up',
        timestamp: 55,
        structured: {
          operation_type: ChatOperationType.ADD_EMOJI_REACTION,
          parent_message_id: 'm-1',
          sender: { user_id: '42', user_name: 'Linus' },
        },
      },
    });
    // And it re-encodes to the string layout, which decodes to the same message.
    expect(expectOk(decodeFrame(encodeMessage(msg)))).toStrictEqual(msg);
  });

  it('keeps outer chat user fields over the structured ones', () => {
    const inner = JSON.stringify({ data: 'x', user_id: 1, user_name: 'inner', timestamp: 1 });
    const frame = JSON.stringify({
      msg_type: MessageType.MEDIA_DATA_CHAT,
      content: { data: inner, user_id: 2, user_name: 'outer', timestamp: 2 },
    });
    expect(expectOk(decodeFrame(frame))).toStrictEqual({
      msg_type: MessageType.MEDIA_DATA_CHAT,
      content: { data: 'x', user_id: 2, user_name: 'outer', timestamp: 2, structured: {} },
    });
  });

  it('passes unknown fields of metadata messages through', () => {
    const frame = '{"msg_type":23,"content":{"lid":9},"extra":{"a":[1,2]}}';
    expect(expectOk(decodeFrame(frame))).toStrictEqual({
      msg_type: MessageType.META_DATA_AUDIO,
      content: { lid: 9 },
      extra: { a: [1, 2] },
    });
  });

  it('accepts a metadata message without content', () => {
    expect(expectOk(decodeFrame('{"msg_type":24}'))).toStrictEqual({ msg_type: MessageType.META_DATA_VIDEO });
  });

  it('accepts each product instance-id key in a handshake', () => {
    for (const key of ['meeting_uuid', 'webinar_uuid', 'session_id', 'engagement_id', 'call_id']) {
      const frame = JSON.stringify({
        msg_type: MessageType.SIGNALING_HAND_SHAKE_REQ,
        protocol_version: 1,
        rtms_stream_id: STREAM_ID,
        signature: SIGNATURE,
        [key]: 'id-1',
      });
      const msg = expectOk(decodeFrame(frame));
      expect((msg as unknown as Record<string, unknown>)[key]).toBe('id-1');
    }
    const bad = expectError(
      decodeFrame(
        '{"msg_type":3,"protocol_version":1,"rtms_stream_id":"s","signature":"x","media_type":1,' +
          '"session_id":7}',
      ),
    );
    expect(bad.field).toBe('session_id');
  });
});

describe('decodeFrame edge cases', () => {
  it('ignores a wire field named structured on plain chat', () => {
    const result = decodeFrame('{"msg_type":18,"content":{"data":"hi","structured":5}}', false);
    expect(result.ok).toBe(true);
    if (result.ok && result.message.msg_type === MessageType.MEDIA_DATA_CHAT) {
      expect(result.message.content.data).toBe('hi');
      expect(result.message.content.structured).toBeUndefined();
    }
  });

  it('decodes a binary frame that starts with a byte-order mark, as a Buffer too', () => {
    const json = Buffer.from('{"msg_type":12,"timestamp":5}');
    const framed = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json]);
    const result = decodeFrame(framed, true);
    expect(result.ok && result.message).toEqual({ msg_type: MessageType.KEEP_ALIVE_REQ, timestamp: 5 });
  });

  it('treats msg_type null as missing', () => {
    const result = decodeFrame('{"msg_type":null}', false);
    expect(!result.ok && result.error.code).toBe('MISSING_MSG_TYPE');
  });

  it('rejects a fractional participant user_id', () => {
    const frame = '{"msg_type":6,"event":{"event_type":3,"participants":[{"user_id":1.5}]}}';
    const result = decodeFrame(frame, false);
    expect(!result.ok && result.error.field).toBe('event.participants.0.user_id');
  });
});
