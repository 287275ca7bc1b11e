/** Per message type: its fields, its content's fields and the check after them, keyed by MessageType. */
import type { DecodeError } from './codec.js';
import { finishBinary, finishChat, finishTranscript } from './contentDecoders.js';
import { MessageType } from './enums.js';
import { checkFields, type FieldSpec, invalidField, isPlainObject } from './fieldChecks.js';
import { finishAudioMetadata } from './metadata.js';

export interface MessageSpec {
  fields: FieldSpec;
  /** Spec of `content`, when the message has one. */
  content?: FieldSpec;
  contentRequired?: boolean;
  /** Post-processing after validation: base64 → bytes, chat layouts. */
  finish?: (msg: Record<string, unknown>) => DecodeError | undefined;
}

/** Every message type but UNDEFINED (0), which no frame may carry: it decodes as UNKNOWN_MSG_TYPE. */
export type DecodableType = Exclude<MessageType, MessageType.UNDEFINED>;

const INSTANCE_FIELDS: FieldSpec = [
  ['meeting_uuid', 'string', false],
  ['webinar_uuid', 'string', false],
  ['session_id', 'string', false],
  ['engagement_id', 'string', false],
  ['call_id', 'string', false],
];

const STATUS_FIELDS: FieldSpec = [
  ['protocol_version', 'int', false],
  ['sequence', 'int', false],
  ['status_code', 'int', true],
  ['reason', 'string', false],
];

/** A handshake's `protocol_version`, when present, is a version number (1 or more). */
function checkProtocolVersion(msg: Record<string, unknown>, type: MessageType): DecodeError | undefined {
  const version = msg.protocol_version;
  if (version === undefined || (version as number) >= 1) return undefined;
  return invalidField(type, 'protocol_version', 'an integer of at least 1 (or absent, meaning 1)');
}

/** Keyed by {@link DecodableType}, so a message type added to the enum without a spec does not compile. */
const SPECS = {
  [MessageType.SIGNALING_HAND_SHAKE_REQ]: {
    // Zoom's own samples and RTMSManager leave protocol_version out: absent means version 1.
    finish: (msg) => checkProtocolVersion(msg, MessageType.SIGNALING_HAND_SHAKE_REQ),
    fields: [
      ['protocol_version', 'int', false],
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
    finish: (msg) => checkProtocolVersion(msg, MessageType.DATA_HAND_SHAKE_REQ),
    fields: [
      ['protocol_version', 'int', false],
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
        // V2 names an event by `event_code` (Zoom Phone has nothing else); either number will do.
        if (
          !isPlainObject(entry) ||
          !(Number.isInteger(entry.event_type) || Number.isInteger(entry.event_code)) ||
          typeof entry.subscribe !== 'boolean'
        ) {
          return invalidField(
            MessageType.EVENT_SUBSCRIPTION,
            `events.${i}`,
            '{ event_type (or event_code): int, subscribe: bool }',
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
          ['event_type', 'int', false],
          ['event_code', 'int', false],
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
      // V1 sends `event_type`; V2 `event_code` (Zoom Phone only that): one of them names the event.
      if (event.event_type === undefined && event.event_code === undefined) {
        return invalidField(MessageType.EVENT_UPDATE, 'event.event_type', 'present (or event.event_code)');
      }
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
  [MessageType.META_DATA_AUDIO]: { fields: [['content', 'object', false]], finish: finishAudioMetadata },
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
} satisfies Record<DecodableType, MessageSpec>;

/**
 * {@link SPECS} by a frame's `msg_type` number: a plain indexed read on the decode path, undefined for a
 * number that names no decodable message type.
 */
export const MESSAGE_SPECS: Readonly<Partial<Record<number, MessageSpec>>> = SPECS;
