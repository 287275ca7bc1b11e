/**
 * One way in and one way out for every frame: `decodeFrame` turns a text or binary WebSocket frame into a
 * typed message (or a typed decode error, never a throw); `encodeMessage` turns a message into JSON.
 */
import { isUtf8 } from 'node:buffer';
import { MessageType } from './enums.js';
import { checkFields, invalidField, isPlainObject } from './fieldChecks.js';
import { MESSAGE_SPECS } from './messageSpecs.js';
import type { ChatContent, RtmsMessage } from './messages.js';

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

const utf8Decoder = new TextDecoder('utf-8');

function frameText(
  data: FrameData,
  isBinary: boolean,
  start: number,
  end: number | undefined,
): string | DecodeError {
  if (typeof data === 'string') return data;
  let bytes: Uint8Array;
  if (Array.isArray(data)) bytes = Buffer.concat(data);
  else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else bytes = data;
  const stop = end ?? bytes.length;
  // A view only when the frame is part of `bytes` and a check needs one.
  const frame = () => (start === 0 && stop === bytes.length ? bytes : bytes.subarray(start, stop));
  // A binary frame may hold anything, so it is checked; text frames are JSON-parsed right away, and a
  // broken UTF-8 sequence in one can only turn into a decode error or a replacement character in a string.
  if (isBinary && !isUtf8(frame())) return { code: 'NOT_UTF8', message: 'binary frame is not UTF-8 text' };
  if (Buffer.isBuffer(bytes)) {
    // TextDecoder drops a byte-order mark; Buffer#toString keeps it, and JSON.parse would refuse it.
    const bom =
      stop - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf;
    return bytes.toString('utf8', bom ? start + 3 : start, stop);
  }
  return utf8Decoder.decode(frame());
}

/**
 * Decodes one WebSocket frame. Text frames and binary frames holding UTF-8 JSON give the same message.
 * Never throws: malformed input gives `{ ok: false, error }`.
 *
 * @param start, end - Bounds of the frame within `data` when it is bytes (a reused read buffer, say);
 *   all of `data` by default.
 * @remarks The parsed object is reused as the message (no copy); media `content.data` becomes a Buffer.
 */
export function decodeFrame(data: FrameData, isBinary = false, start = 0, end?: number): DecodeResult {
  const text = frameText(data, isBinary, start, end);
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
  const spec = MESSAGE_SPECS[msgType as number];
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
