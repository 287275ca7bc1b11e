/**
 * One way in and one way out for every frame: `decodeFrame` turns a text or binary WebSocket frame into a
 * typed message (or a typed decode error, never a throw); `encodeMessage` turns a message into JSON.
 */
import { isUtf8 } from 'node:buffer';
import { MessageType } from './enums.js';
import type { ChatContent, RtmsMessage, StructuredChat } from './messages.js';

/** What was wrong with a frame. */
export type DecodeErrorCode =
  | 'NOT_UTF8'
  | 'NOT_JSON'
  | 'NOT_OBJECT'
  | 'MISSING_MSG_TYPE'
  | 'UNKNOWN_MSG_TYPE'
  | 'INVALID_FIELD';

export interface DecodeError {
  code: DecodeErrorCode;
  message: string;
  /** `msg_type` when it could be read. */
  msgType?: number;
  /** Dotted path of the offending field, for INVALID_FIELD. */
  field?: string;
}

export type DecodeResult = { ok: true; message: RtmsMessage } | { ok: false; error: DecodeError };

/** What `ws` hands to a `message` listener, plus plain strings. */
export type FrameData = string | Buffer | ArrayBuffer | Buffer[] | Uint8Array;

type FieldKind = 'int' | 'number' | 'string' | 'bool' | 'object' | 'array' | 'id';
/** [field, kind, required] */
type FieldSpec = readonly (readonly [string, FieldKind, boolean])[];

interface MessageSpec {
  fields: FieldSpec;
  /** Spec of `content`, when the message has one. */
  content?: FieldSpec;
  contentRequired?: boolean;
  /** Post-processing after validation: base64 → bytes, chat layouts. */
  finish?: (msg: Record<string, unknown>) => DecodeError | undefined;
}

const INSTANCE_FIELDS: FieldSpec = [
  ['meeting_uuid', 'string', false],
  ['webinar_uuid', 'string', false],
  ['session_id', 'string', false],
  ['engagement_id', 'string', false],
  ['call_id', 'string', false],
];

/*
 * The media messages are the hot path (50 audio frames a second per stream), so their content is checked
 * by hand with plain property reads: a table-driven check does a keyed, megamorphic lookup per field,
 * which costs more than the rest of the decode put together.
 */

function isOptionalString(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string';
}

function isOptionalInt(value: unknown): boolean {
  return value === undefined || value === null || Number.isInteger(value);
}

function isOptionalNumber(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'number' && Number.isFinite(value));
}

/** Audio, video and screen share: validates `content` and turns its base64 `data` into bytes. */
function finishBinary(msg: Record<string, unknown>): DecodeError | undefined {
  const type = msg.msg_type as number;
  const c = msg.content;
  if (!isPlainObject(c)) return invalidField(type, 'content', 'an object');
  if (typeof c.data !== 'string') return invalidField(type, 'content.data', 'present (a string)');
  if (typeof c.timestamp !== 'number' || !Number.isFinite(c.timestamp)) {
    return invalidField(type, 'content.timestamp', 'present (a number)');
  }
  if (!isOptionalInt(c.user_id)) return invalidField(type, 'content.user_id', 'an integer');
  if (!isOptionalString(c.user_name)) return invalidField(type, 'content.user_name', 'a string');
  if (!isOptionalInt(c.length)) return invalidField(type, 'content.length', 'an integer');
  if (!isOptionalString(c.channel_id)) return invalidField(type, 'content.channel_id', 'a string');
  if (c.user_id === undefined || c.user_id === null) c.user_id = 0;
  if (c.user_name === null) delete c.user_name;
  if (c.length === null) delete c.length;
  if (c.channel_id === null) delete c.channel_id;
  c.data = Buffer.from(c.data, 'base64');
  return undefined;
}

function finishTranscript(msg: Record<string, unknown>): DecodeError | undefined {
  const type = MessageType.MEDIA_DATA_TRANSCRIPT;
  const c = msg.content;
  if (!isPlainObject(c)) return invalidField(type, 'content', 'an object');
  if (typeof c.data !== 'string') return invalidField(type, 'content.data', 'present (a string)');
  if (!isOptionalInt(c.user_id)) return invalidField(type, 'content.user_id', 'an integer');
  if (!isOptionalString(c.user_name)) return invalidField(type, 'content.user_name', 'a string');
  if (!isOptionalNumber(c.start_time)) return invalidField(type, 'content.start_time', 'a number');
  if (!isOptionalNumber(c.end_time)) return invalidField(type, 'content.end_time', 'a number');
  if (!isOptionalNumber(c.timestamp)) return invalidField(type, 'content.timestamp', 'a number');
  if (!isOptionalInt(c.language)) return invalidField(type, 'content.language', 'an integer');
  if (!isOptionalInt(c.attribute)) return invalidField(type, 'content.attribute', 'an integer');
  if (!isOptionalString(c.channel_id)) return invalidField(type, 'content.channel_id', 'a string');
  if (c.user_id === undefined || c.user_id === null) c.user_id = 0;
  if (c.user_name === null) delete c.user_name;
  if (c.start_time === null) delete c.start_time;
  if (c.end_time === null) delete c.end_time;
  if (c.timestamp === null) delete c.timestamp;
  if (c.language === null) delete c.language;
  if (c.attribute === null) delete c.attribute;
  if (c.channel_id === null) delete c.channel_id;
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Chat arrives in two layouts: plain text in `content.data`, or a JSON object (or a string holding one)
 * whose `data` is the text and whose other fields describe the chat. Both become a {@link ChatContent}.
 */
function finishChat(msg: Record<string, unknown>): DecodeError | undefined {
  const content = msg.content as Record<string, unknown>;
  // `structured` is ours, never Zoom's: only the layout of `data` may set it.
  delete content.structured;
  let data = content.data;
  if (typeof data === 'string' && data.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(data);
      if (isPlainObject(parsed) && typeof parsed.data === 'string') data = parsed;
    } catch {
      // Plain text that merely starts with a brace.
    }
  }
  if (isPlainObject(data)) {
    const { data: text, user_id, user_name, timestamp, ...structured } = data;
    if (typeof text !== 'string') {
      return invalidField(MessageType.MEDIA_DATA_CHAT, 'content.data.data', 'a string');
    }
    const out = content as unknown as ChatContent;
    out.data = text;
    if (out.user_id === undefined && (typeof user_id === 'number' || typeof user_id === 'string')) {
      out.user_id = user_id;
    }
    if (out.user_name === undefined && typeof user_name === 'string') out.user_name = user_name;
    if (out.timestamp === undefined && typeof timestamp === 'number') out.timestamp = timestamp;
    out.structured = structured as StructuredChat;
    return undefined;
  }
  if (typeof data !== 'string')
    return invalidField(MessageType.MEDIA_DATA_CHAT, 'content.data', 'a string or object');
  return undefined;
}

const STATUS_FIELDS: FieldSpec = [
  ['protocol_version', 'int', false],
  ['sequence', 'int', false],
  ['status_code', 'int', true],
  ['reason', 'string', false],
];

const SPECS: Readonly<Record<number, MessageSpec>> = {
  [MessageType.SIGNALING_HAND_SHAKE_REQ]: {
    fields: [
      ['protocol_version', 'int', true],
      ['sequence', 'int', false],
      ['rtms_stream_id', 'string', true],
      ['signature', 'string', true],
      ['buffer_data', 'bool', false],
      ...INSTANCE_FIELDS,
    ],
  },
  [MessageType.SIGNALING_HAND_SHAKE_RESP]: {
    fields: [...STATUS_FIELDS, ['media_server', 'object', false]],
    finish: (msg) => {
      const server = msg.media_server as Record<string, unknown> | undefined;
      if (server === undefined) return undefined;
      if (!isPlainObject(server.server_urls)) {
        return invalidField(MessageType.SIGNALING_HAND_SHAKE_RESP, 'media_server.server_urls', 'an object');
      }
      for (const [key, url] of Object.entries(server.server_urls)) {
        if (typeof url !== 'string') {
          return invalidField(
            MessageType.SIGNALING_HAND_SHAKE_RESP,
            `media_server.server_urls.${key}`,
            'a string',
          );
        }
      }
      return undefined;
    },
  },
  [MessageType.DATA_HAND_SHAKE_REQ]: {
    fields: [
      ['protocol_version', 'int', true],
      ['sequence', 'int', false],
      ['rtms_stream_id', 'string', true],
      ['signature', 'string', true],
      ['media_type', 'int', true],
      ['payload_encryption', 'bool', false],
      ['media_params', 'object', false],
      ...INSTANCE_FIELDS,
    ],
  },
  [MessageType.DATA_HAND_SHAKE_RESP]: {
    fields: [
      ...STATUS_FIELDS,
      ['payload_encrypted', 'bool', false],
      ['payload_encryption', 'bool', false],
      ['media_params', 'object', false],
    ],
  },
  [MessageType.EVENT_SUBSCRIPTION]: {
    fields: [['events', 'array', true]],
    finish: (msg) => {
      const events = msg.events as unknown[];
      for (let i = 0; i < events.length; i++) {
        const entry = events[i];
        if (
          !isPlainObject(entry) ||
          !Number.isInteger(entry.event_type) ||
          typeof entry.subscribe !== 'boolean'
        ) {
          return invalidField(
            MessageType.EVENT_SUBSCRIPTION,
            `events.${i}`,
            '{ event_type: int, subscribe: bool }',
          );
        }
      }
      return undefined;
    },
  },
  [MessageType.EVENT_UPDATE]: {
    fields: [['event', 'object', true]],
    finish: (msg) => {
      const event = msg.event as Record<string, unknown>;
      const err = checkFields(
        event,
        [
          ['event_type', 'int', true],
          ['timestamp', 'number', false],
          ['event_ts', 'number', false],
          ['user_id', 'id', false],
          ['user_name', 'string', false],
          ['participants', 'array', false],
          ['media_type', 'int', false],
        ],
        MessageType.EVENT_UPDATE,
        'event.',
      );
      if (err) return err;
      const participants = event.participants as unknown[] | undefined;
      if (participants) {
        for (let i = 0; i < participants.length; i++) {
          const p = participants[i];
          if (!isPlainObject(p) || (!Number.isInteger(p.user_id) && typeof p.user_id !== 'string')) {
            return invalidField(
              MessageType.EVENT_UPDATE,
              `event.participants.${i}.user_id`,
              'a number or string',
            );
          }
        }
      }
      return undefined;
    },
  },
  [MessageType.CLIENT_READY_ACK]: { fields: [['rtms_stream_id', 'string', true]] },
  [MessageType.STREAM_STATE_UPDATE]: {
    fields: [
      ['state', 'int', true],
      ['reason', 'int', false],
      ['stop_reason', 'int', false],
      ['timestamp', 'number', false],
    ],
  },
  [MessageType.SESSION_STATE_UPDATE]: {
    fields: [
      ['state', 'int', true],
      ['stop_reason', 'int', false],
      ['reason', 'int', false],
      ['timestamp', 'number', false],
      ['rtms_session_id', 'string', false],
    ],
  },
  [MessageType.SESSION_STATE_REQ]: { fields: [['rtms_session_id', 'string', true]] },
  [MessageType.SESSION_STATE_RESP]: {
    fields: [
      ['rtms_session_id', 'string', false],
      ['state', 'int', true],
      ['timestamp', 'number', false],
    ],
  },
  [MessageType.KEEP_ALIVE_REQ]: { fields: [['timestamp', 'number', true]] },
  [MessageType.KEEP_ALIVE_RESP]: { fields: [['timestamp', 'number', true]] },
  [MessageType.MEDIA_DATA_AUDIO]: { fields: [], finish: finishBinary },
  [MessageType.MEDIA_DATA_VIDEO]: { fields: [], finish: finishBinary },
  [MessageType.MEDIA_DATA_SHARE]: { fields: [], finish: finishBinary },
  [MessageType.MEDIA_DATA_TRANSCRIPT]: { fields: [], finish: finishTranscript },
  [MessageType.MEDIA_DATA_CHAT]: {
    fields: [],
    content: [
      ['user_id', 'id', false],
      ['user_name', 'string', false],
      ['timestamp', 'number', false],
      ['channel_id', 'string', false],
    ],
    contentRequired: true,
    finish: finishChat,
  },
  [MessageType.STREAM_STATE_REQ]: { fields: [['rtms_stream_id', 'string', true]] },
  [MessageType.STREAM_STATE_RESP]: {
    fields: [
      ['state', 'int', true],
      ['rtms_stream_id', 'string', false],
      ['timestamp', 'number', false],
    ],
  },
  [MessageType.STREAM_CLOSE_REQ]: { fields: [['rtms_stream_id', 'string', true]] },
  [MessageType.STREAM_CLOSE_RESP]: {
    fields: [
      ['rtms_stream_id', 'string', false],
      ['status_code', 'int', true],
      ['reason', 'string', false],
      ['timestamp', 'number', false],
    ],
  },
  [MessageType.META_DATA_AUDIO]: { fields: [['content', 'object', false]] },
  [MessageType.META_DATA_VIDEO]: { fields: [['content', 'object', false]] },
  [MessageType.META_DATA_SHARE]: { fields: [['content', 'object', false]] },
  [MessageType.META_DATA_TRANSCRIPT]: { fields: [['content', 'object', false]] },
  [MessageType.META_DATA_CHAT]: { fields: [['content', 'object', false]] },
  [MessageType.VIDEO_SUBSCRIPTION_REQ]: {
    fields: [
      ['user_id', 'int', true],
      ['subscribe', 'bool', true],
      ['timestamp', 'number', false],
    ],
  },
  [MessageType.VIDEO_SUBSCRIPTION_RESP]: {
    fields: [
      ['user_id', 'int', true],
      ['status_code', 'int', true],
      ['reason', 'string', false],
      ['timestamp', 'number', false],
      ['subscribe', 'bool', false],
    ],
  },
};

const KIND_TEXT: Readonly<Record<FieldKind, string>> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  bool: 'a boolean',
  object: 'an object',
  array: 'an array',
  id: 'a number or string',
};

function invalidField(msgType: number, field: string, expected: string): DecodeError {
  return {
    code: 'INVALID_FIELD',
    message: `${MessageType[msgType] ?? `msg_type ${msgType}`}: field "${field}" must be ${expected}`,
    msgType,
    field,
  };
}

function matches(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'int':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'object':
      return isPlainObject(value);
    case 'array':
      return Array.isArray(value);
    case 'id':
      return typeof value === 'string' || Number.isInteger(value);
  }
}

function checkFields(
  obj: Record<string, unknown>,
  spec: FieldSpec,
  msgType: number,
  prefix: string,
): DecodeError | undefined {
  for (let i = 0; i < spec.length; i++) {
    const [name, kind, required] = spec[i]!;
    const value = obj[name];
    if (value === undefined || value === null) {
      if (required) return invalidField(msgType, prefix + name, `present (${KIND_TEXT[kind]})`);
      if (value === null) delete obj[name];
      continue;
    }
    if (!matches(value, kind)) return invalidField(msgType, prefix + name, KIND_TEXT[kind]);
  }
  return undefined;
}

const utf8Decoder = new TextDecoder('utf-8');

function frameText(data: FrameData, isBinary: boolean): string | DecodeError {
  if (typeof data === 'string') return data;
  let bytes: Uint8Array;
  if (Array.isArray(data)) bytes = Buffer.concat(data);
  else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else bytes = data;
  // A binary frame may hold anything, so it is checked; text frames are JSON-parsed right away, and a
  // broken UTF-8 sequence in one can only turn into a decode error or a replacement character in a string.
  if (isBinary && !isUtf8(bytes)) return { code: 'NOT_UTF8', message: 'binary frame is not UTF-8 text' };
  if (Buffer.isBuffer(bytes)) {
    // TextDecoder drops a byte-order mark; Buffer#toString keeps it, and JSON.parse would refuse it.
    const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
    return bytes.toString('utf8', bom ? 3 : 0);
  }
  return utf8Decoder.decode(bytes);
}

/**
 * Decodes one WebSocket frame. Text frames and binary frames holding UTF-8 JSON give the same message.
 * Never throws: malformed input gives `{ ok: false, error }`.
 *
 * @remarks The parsed object is reused as the message (no copy); media `content.data` becomes a Buffer.
 */
export function decodeFrame(data: FrameData, isBinary = false): DecodeResult {
  const text = frameText(data, isBinary);
  if (typeof text !== 'string') return { ok: false, error: text };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      error: { code: 'NOT_JSON', message: `frame is not JSON: ${(err as Error).message}` },
    };
  }
  return decodeObject(parsed);
}

/** Validates an already-parsed frame. Used by {@link decodeFrame}; takes ownership of `parsed`. */
export function decodeObject(parsed: unknown): DecodeResult {
  if (!isPlainObject(parsed)) {
    return { ok: false, error: { code: 'NOT_OBJECT', message: 'frame is JSON but not an object' } };
  }
  const msgType = parsed.msg_type;
  if (msgType === undefined || msgType === null) {
    return { ok: false, error: { code: 'MISSING_MSG_TYPE', message: 'frame has no msg_type' } };
  }
  if (!Number.isInteger(msgType)) {
    return {
      ok: false,
      error: { code: 'INVALID_FIELD', message: 'msg_type must be an integer', field: 'msg_type' },
    };
  }
  const spec = SPECS[msgType as number];
  if (spec === undefined) {
    return {
      ok: false,
      error: { code: 'UNKNOWN_MSG_TYPE', message: `unknown msg_type ${msgType}`, msgType: msgType as number },
    };
  }
  let err = checkFields(parsed, spec.fields, msgType as number, '');
  if (err) return { ok: false, error: err };
  if (spec.content) {
    const content = parsed.content;
    if (!isPlainObject(content)) {
      if (spec.contentRequired)
        return { ok: false, error: invalidField(msgType as number, 'content', 'an object') };
    } else {
      err = checkFields(content, spec.content, msgType as number, 'content.');
      if (err) return { ok: false, error: err };
    }
  }
  if (spec.finish) {
    err = spec.finish(parsed);
    if (err) return { ok: false, error: err };
  }
  return { ok: true, message: parsed as unknown as RtmsMessage };
}

function wireChat(content: ChatContent): Record<string, unknown> {
  const { structured, data, ...rest } = content;
  if (structured === undefined) return { ...rest, data };
  return { ...rest, data: JSON.stringify({ ...structured, data }) };
}

/**
 * Encodes a message as the JSON text Zoom sends or expects. Media bytes become base64; a chat with
 * `structured` details is written in the structured layout.
 */
export function encodeMessage(msg: RtmsMessage): string {
  switch (msg.msg_type) {
    case MessageType.MEDIA_DATA_AUDIO:
    case MessageType.MEDIA_DATA_VIDEO:
    case MessageType.MEDIA_DATA_SHARE:
      return JSON.stringify({
        msg_type: msg.msg_type,
        content: { ...msg.content, data: msg.content.data.toString('base64') },
      });
    case MessageType.MEDIA_DATA_CHAT:
      return JSON.stringify({ msg_type: msg.msg_type, content: wireChat(msg.content) });
    default:
      return JSON.stringify(msg);
  }
}
