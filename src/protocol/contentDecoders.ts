/** Hot-path decoders of media content (audio, video, share, transcript, chat): checks, base64, layouts. */
import type { DecodeError } from './codec.js';
import { MessageType } from './enums.js';
import { invalidField, isPlainObject } from './fieldChecks.js';
import type { ChatContent, StructuredChat } from './messages.js';

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
export function finishBinary(msg: Record<string, unknown>): DecodeError | undefined {
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

export function finishTranscript(msg: Record<string, unknown>): DecodeError | undefined {
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

/**
 * Chat arrives in two layouts: plain text in `content.data`, or a JSON object (or a string holding one)
 * whose `data` is the text and whose other fields describe the chat. Both become a {@link ChatContent}.
 */
export function finishChat(msg: Record<string, unknown>): DecodeError | undefined {
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
