/**
 * Typed RTMS messages, both directions, as rtmskit sees them after decoding: media payloads
 * (`content.data` of audio, video and screen share) are bytes, not base64.
 */
import type { MessageType } from './enums.js';
import type { EventPayload, EventSubscriptionEntry } from './eventPayloads.js';
import type { MetadataContent } from './metadata.js';

export type {
  ChatGroupMember,
  EventPayload,
  EventSubscriptionEntry,
  Participant,
  ZccParticipantInfo,
} from './eventPayloads.js';
export type { AiInterpreterInfo, AiTargetLanguage, MetadataContent } from './metadata.js';

/** Zoom sends user ids as numbers in most places and as strings in some event examples; both are accepted. */
export type UserId = number | string;

/** Keys that can carry the instance id (the signed id) in a handshake, by product. */
export const INSTANCE_ID_KEYS = [
  'meeting_uuid',
  'webinar_uuid',
  'session_id',
  'engagement_id',
  'call_id',
] as const;
export type InstanceIdKey = (typeof INSTANCE_ID_KEYS)[number];

/** The instance id of a handshake, under the product's own key (or `meeting_uuid` for every product). */
export type InstanceIdFields = { [K in InstanceIdKey]?: string };

// ---------------------------------------------------------------------------------------------------
// Media parameters (DATA_HAND_SHAKE_REQ / RESP)

export interface AudioParams {
  content_type?: number;
  sample_rate?: number;
  channel?: number;
  codec?: number;
  data_opt?: number;
  /** Milliseconds between packets: a multiple of 20, at most 1000. */
  send_rate?: number;
}

export interface VideoParams {
  content_type?: number;
  codec?: number;
  resolution?: number;
  data_opt?: number;
  fps?: number;
}

export interface DeskshareParams {
  content_type?: number;
  codec?: number;
  resolution?: number;
  fps?: number;
}

export interface TranscriptParams {
  content_type?: number;
  src_language?: number;
  enable_lid?: boolean;
}

export interface ChatParams {
  content_type?: number;
}

export interface MediaParams {
  audio?: AudioParams;
  video?: VideoParams;
  deskshare?: DeskshareParams;
  transcript?: TranscriptParams;
  chat?: ChatParams;
}

// ---------------------------------------------------------------------------------------------------
// Signaling

/** msg 1, client → server on the signaling socket. */
export interface SignalingHandshakeRequest extends InstanceIdFields {
  msg_type: MessageType.SIGNALING_HAND_SHAKE_REQ;
  /** Absent means 1: Zoom's own clients leave it out. */
  protocol_version?: number;
  sequence?: number;
  rtms_stream_id: string;
  signature: string;
  /** Default true: deliver audio buffered between the webhook and this connection. */
  buffer_data?: boolean;
}

export interface MediaServerInfo {
  /** Media kind (`audio`, `video`, `transcript`, `all`, …) → WebSocket URL. */
  server_urls: Record<string, string>;
  datacenter_region?: string;
}

/** msg 2, server → client. */
export interface SignalingHandshakeResponse {
  msg_type: MessageType.SIGNALING_HAND_SHAKE_RESP;
  protocol_version?: number;
  sequence?: number;
  status_code: number;
  reason?: string;
  media_server?: MediaServerInfo;
}

/** msg 3, client → server on a media socket. */
export interface DataHandshakeRequest extends InstanceIdFields {
  msg_type: MessageType.DATA_HAND_SHAKE_REQ;
  /** Absent means 1. */
  protocol_version?: number;
  sequence?: number;
  rtms_stream_id: string;
  signature: string;
  /** MEDIA_DATA_TYPE bitmask. */
  media_type: number;
  payload_encryption?: boolean;
  media_params?: MediaParams;
}

/** msg 4, server → client: the confirmed parameters, defaults filled in. */
export interface DataHandshakeResponse {
  msg_type: MessageType.DATA_HAND_SHAKE_RESP;
  protocol_version?: number;
  sequence?: number;
  status_code: number;
  reason?: string;
  payload_encrypted?: boolean;
  payload_encryption?: boolean;
  media_params?: MediaParams;
}

/** msg 5, client → server; Zoom sends no response. */
export interface EventSubscription {
  msg_type: MessageType.EVENT_SUBSCRIPTION;
  events: EventSubscriptionEntry[];
}

/** msg 6, server → client. */
export interface EventUpdate {
  msg_type: MessageType.EVENT_UPDATE;
  event: EventPayload;
}

/** msg 7, client → server after each successful media handshake. */
export interface ClientReadyAck {
  msg_type: MessageType.CLIENT_READY_ACK;
  rtms_stream_id: string;
}

/** msg 8, server → client. Zoom's docs disagree on `reason` vs `stop_reason`: read both. */
export interface StreamStateUpdate {
  msg_type: MessageType.STREAM_STATE_UPDATE;
  /** RTMS_STREAM_STATE. */
  state: number;
  /** RTMS_STOP_REASON. */
  reason?: number;
  stop_reason?: number;
  timestamp?: number;
}

/** msg 9, server → client. */
export interface SessionStateUpdate {
  msg_type: MessageType.SESSION_STATE_UPDATE;
  /** RTMS_SESSION_STATE. */
  state: number;
  stop_reason?: number;
  reason?: number;
  timestamp?: number;
  rtms_session_id?: string;
}

/** msg 10, client → server. */
export interface SessionStateRequest {
  msg_type: MessageType.SESSION_STATE_REQ;
  rtms_session_id: string;
}

/** msg 11, server → client. */
export interface SessionStateResponse {
  msg_type: MessageType.SESSION_STATE_RESP;
  rtms_session_id?: string;
  state: number;
  timestamp?: number;
}

/** msg 12, server → client on every socket. */
export interface KeepAliveRequest {
  msg_type: MessageType.KEEP_ALIVE_REQ;
  timestamp: number;
}

/** msg 13, client → server: echoes the request's `timestamp`. */
export interface KeepAliveResponse {
  msg_type: MessageType.KEEP_ALIVE_RESP;
  timestamp: number;
}

// ---------------------------------------------------------------------------------------------------
// Media data

export interface AudioContent {
  /** 0 for the mixed stream (or when Zoom omits it, as Contact Center may). */
  user_id: number;
  user_name?: string;
  /** Raw codec bytes (decoded from base64). */
  data: Buffer;
  /** Byte length before base64, as Zoom sent it. */
  length?: number;
  /** Milliseconds, Zoom server time. */
  timestamp: number;
  /** Contact Center: one channel per SIP trunk party. */
  channel_id?: string;
}

/** msg 14. */
export interface AudioMessage {
  msg_type: MessageType.MEDIA_DATA_AUDIO;
  content: AudioContent;
}

export interface VideoContent {
  user_id: number;
  user_name?: string;
  /** A JPG/PNG frame or H.264 data (decoded from base64). */
  data: Buffer;
  length?: number;
  timestamp: number;
}

/** msg 15. */
export interface VideoMessage {
  msg_type: MessageType.MEDIA_DATA_VIDEO;
  content: VideoContent;
}

/** msg 16 (screen share). */
export interface ShareMessage {
  msg_type: MessageType.MEDIA_DATA_SHARE;
  content: VideoContent;
}

export interface TranscriptContent {
  user_id: number;
  user_name?: string;
  /** UTF-8 text (not base64). */
  data: string;
  /** Milliseconds. */
  start_time?: number;
  end_time?: number;
  /** Milliseconds: when the utterance began. */
  timestamp?: number;
  /** RTMS_TRANSCRIPT_LANGUAGE. */
  language?: number;
  /** RTMS_DATA_MESSAGE_ATTRIBUTE. */
  attribute?: number;
  channel_id?: string;
}

/** msg 17. */
export interface TranscriptMessage {
  msg_type: MessageType.MEDIA_DATA_TRANSCRIPT;
  content: TranscriptContent;
}

export interface ChatUser {
  user_id?: UserId;
  user_name?: string;
}

export interface ChatFile {
  file_id?: string;
  file_name?: string;
  file_size?: number;
}

/** The structured chat layout: fields Zoom places in a JSON `content.data`. */
export interface StructuredChat {
  chat_session?: { type: number; id?: string };
  /** ChatOperationType. */
  operation_type?: number;
  message_id?: string;
  parent_message_id?: string;
  sender?: ChatUser;
  receiver?: ChatUser;
  files?: ChatFile[];
  delete_file_id_list?: string[];
  [key: string]: unknown;
}

export interface ChatContent {
  /** The message text. */
  data: string;
  timestamp?: number;
  user_id?: UserId;
  user_name?: string;
  channel_id?: string;
  /** Present when Zoom sent the structured layout (`content.data` holding JSON). */
  structured?: StructuredChat;
}

/** msg 18. */
export interface ChatMessage {
  msg_type: MessageType.MEDIA_DATA_CHAT;
  content: ChatContent;
}

// ---------------------------------------------------------------------------------------------------
// Stream requests

/** msg 19, client → server. */
export interface StreamStateRequest {
  msg_type: MessageType.STREAM_STATE_REQ;
  rtms_stream_id: string;
}

/** msg 20, server → client. */
export interface StreamStateResponse {
  msg_type: MessageType.STREAM_STATE_RESP;
  state: number;
  rtms_stream_id?: string;
  timestamp?: number;
}

/** msg 21, client → server: end this stream. */
export interface StreamCloseRequest {
  msg_type: MessageType.STREAM_CLOSE_REQ;
  rtms_stream_id: string;
}

/** msg 22, server → client; Zoom then terminates the stream. */
export interface StreamCloseResponse {
  msg_type: MessageType.STREAM_CLOSE_RESP;
  rtms_stream_id?: string;
  status_code: number;
  reason?: string;
  timestamp?: number;
}

/**
 * msgs 23–27: metadata. 23 (audio) carries the AI interpreter's state in `content.ai_interpreter` (decoded
 * into one shape whatever the spelling); anything else in `content`, and 24–27, is passed through.
 */
export interface MetadataMessage {
  msg_type:
    | MessageType.META_DATA_AUDIO
    | MessageType.META_DATA_VIDEO
    | MessageType.META_DATA_SHARE
    | MessageType.META_DATA_TRANSCRIPT
    | MessageType.META_DATA_CHAT;
  content?: MetadataContent;
  [key: string]: unknown;
}

/** msg 28, client → server: stream one participant's video (needs video `data_opt` 4). */
export interface VideoSubscriptionRequest {
  msg_type: MessageType.VIDEO_SUBSCRIPTION_REQ;
  user_id: number;
  subscribe: boolean;
  timestamp?: number;
}

/** msg 29, server → client. */
export interface VideoSubscriptionResponse {
  msg_type: MessageType.VIDEO_SUBSCRIPTION_RESP;
  user_id: number;
  status_code: number;
  reason?: string;
  timestamp?: number;
  subscribe?: boolean;
}

/** Every message a client sends. */
export type ClientMessage =
  | SignalingHandshakeRequest
  | DataHandshakeRequest
  | EventSubscription
  | ClientReadyAck
  | SessionStateRequest
  | KeepAliveResponse
  | StreamStateRequest
  | StreamCloseRequest
  | VideoSubscriptionRequest;

/** Every message the server sends. */
export type ServerMessage =
  | SignalingHandshakeResponse
  | DataHandshakeResponse
  | EventUpdate
  | StreamStateUpdate
  | SessionStateUpdate
  | SessionStateResponse
  | KeepAliveRequest
  | AudioMessage
  | VideoMessage
  | ShareMessage
  | TranscriptMessage
  | ChatMessage
  | StreamStateResponse
  | StreamCloseResponse
  | MetadataMessage
  | VideoSubscriptionResponse;

/** Any RTMS message, 1–29. */
export type RtmsMessage = ClientMessage | ServerMessage;

/** The message type of a given `msg_type`. */
export type MessageOf<T extends MessageType> = Extract<RtmsMessage, { msg_type: T }>;
