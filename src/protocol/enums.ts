/**
 * Every enumeration of the RTMS wire protocol, with the names Zoom uses.
 *
 * Numeric enums give a reverse mapping (`MessageType[12] === 'KEEP_ALIVE_REQ'`), which keeps logs readable.
 */

/** RTMS_MESSAGE_TYPE: the `msg_type` of every frame. */
export enum MessageType {
  UNDEFINED = 0,
  SIGNALING_HAND_SHAKE_REQ = 1,
  SIGNALING_HAND_SHAKE_RESP = 2,
  DATA_HAND_SHAKE_REQ = 3,
  DATA_HAND_SHAKE_RESP = 4,
  EVENT_SUBSCRIPTION = 5,
  EVENT_UPDATE = 6,
  CLIENT_READY_ACK = 7,
  STREAM_STATE_UPDATE = 8,
  SESSION_STATE_UPDATE = 9,
  SESSION_STATE_REQ = 10,
  SESSION_STATE_RESP = 11,
  KEEP_ALIVE_REQ = 12,
  KEEP_ALIVE_RESP = 13,
  MEDIA_DATA_AUDIO = 14,
  MEDIA_DATA_VIDEO = 15,
  MEDIA_DATA_SHARE = 16,
  MEDIA_DATA_TRANSCRIPT = 17,
  MEDIA_DATA_CHAT = 18,
  STREAM_STATE_REQ = 19,
  STREAM_STATE_RESP = 20,
  STREAM_CLOSE_REQ = 21,
  STREAM_CLOSE_RESP = 22,
  META_DATA_AUDIO = 23,
  META_DATA_VIDEO = 24,
  META_DATA_SHARE = 25,
  META_DATA_TRANSCRIPT = 26,
  META_DATA_CHAT = 27,
  VIDEO_SUBSCRIPTION_REQ = 28,
  VIDEO_SUBSCRIPTION_RESP = 29,
}

/** RTMS_EVENT_TYPE: `event.event_type` of EVENT_UPDATE (msg 6) and EVENT_SUBSCRIPTION (msg 5). */
export enum EventType {
  UNDEFINED = 0,
  FIRST_PACKET_TIMESTAMP = 1,
  ACTIVE_SPEAKER_CHANGE = 2,
  PARTICIPANT_JOIN = 3,
  PARTICIPANT_LEAVE = 4,
  SHARING_START = 5,
  SHARING_STOP = 6,
  MEDIA_CONNECTION_INTERRUPTED = 7,
  PARTICIPANT_VIDEO_ON = 8,
  PARTICIPANT_VIDEO_OFF = 9,
  CHAT_GROUP_CREATE = 10,
  CHAT_GROUP_DELETE = 11,
  CHAT_GROUP_MEMBERS_ADD = 12,
  CHAT_GROUP_MEMBERS_DELETE = 13,
  CHAT_GROUP_MEMBER_STATUS_UPDATE = 14,
}

/**
 * RTMS_ZCC_VOICE_EVENT_TYPE: Contact Center voice events. They reuse `event_type` numbers 8–34 with a
 * meaning of their own, so an event type is read by product. 30–34 are the IVR streaming events: Zoom's
 * IVR page names flow enter, flow exit, Send Media (a prompt played) and Collect Input (DTMF digits); the
 * numbers' order follows Zoom's list and the last two names are this project's reading of it.
 */
export enum ZccVoiceEventType {
  UNDEFINED = 0,
  CONSUMER_ANSWERED = 8,
  CONSUMER_END = 9,
  USER_ANSWERED = 10,
  USER_END = 11,
  USER_HOLD = 12,
  USER_UNHOLD = 13,
  MONITOR_STARTED = 14,
  MONITOR_TRANSITIONED = 15,
  MONITOR_ENDED = 16,
  TAKEOVER_STARTED = 17,
  TRANSFER_INITIATED = 18,
  TRANSFER_CANCELED = 19,
  TRANSFER_ACCEPTED = 20,
  TRANSFER_COMPLETED = 21,
  TRANSFER_REJECTED = 22,
  TRANSFER_TIMEOUT = 23,
  CONFERENCE_CANCELED = 24,
  CONFERENCE_PARTICIPANT_CANCELED = 25,
  CONFERENCE_PARTICIPANT_INVITED = 26,
  CONFERENCE_PARTICIPANT_REJECTED = 27,
  CONFERENCE_PARTICIPANT_TIMEOUT = 28,
  CONFERENCE_PARTICIPANT_LEFT = 29,
  /** The call entered an IVR flow (or a subflow). */
  FLOW_ENTER = 30,
  /** The call left an IVR flow, to an agent's queue or to another flow. */
  FLOW_EXIT = 31,
  /** The caller pressed one DTMF key. */
  DTMF_INPUT = 32,
  /** A Send Media widget played a prompt to the caller. */
  SEND_MEDIA = 33,
  /** A Collect Input widget finished collecting the caller's digits. */
  COLLECT_INPUT = 34,
}

/**
 * Zoom Phone call events, sent as V2 `event_code` (Zoom Phone sends no `event_type`). Zoom has not
 * published the code table; these are the numbers of Zoom's SDK constants documented "for phone calls"
 * (`EVENT_CONSUMER_ANSWERED` … `EVENT_USER_UNHOLD`, 8–13), with transfers at their place in the same
 * voice table (18–23). The universal events keep their RTMS_EVENT_TYPE numbers as codes (1, 7).
 */
export enum PhoneCallEventCode {
  /** The far end (the other party, outside the Zoom Phone user's account) answered. */
  CONSUMER_ANSWERED = 8,
  /** The far end hung up. */
  CONSUMER_END = 9,
  /** The Zoom Phone user answered. */
  USER_ANSWERED = 10,
  /** The Zoom Phone user hung up. */
  USER_END = 11,
  /** The Zoom Phone user put the call on hold. */
  USER_HOLD = 12,
  /** The Zoom Phone user resumed the call. */
  USER_UNHOLD = 13,
  TRANSFER_INITIATED = 18,
  TRANSFER_CANCELED = 19,
  TRANSFER_ACCEPTED = 20,
  TRANSFER_COMPLETED = 21,
  TRANSFER_REJECTED = 22,
  TRANSFER_TIMEOUT = 23,
}

/** RTMS_STATUS_CODE: `status_code` of handshake and request responses. */
export enum StatusCode {
  STATUS_OK = 0,
  STATUS_INVALID_MESSAGE_TYPE = 1,
  STATUS_INVALID_RTMS_STREAM_ID = 2,
  STATUS_INVALID_SIGNATURE = 3,
  STATUS_INVALID_PAYLOAD = 4,
  STATUS_INVALID_EVENTS = 5,
  STATUS_INVALID_EVENT_TYPE = 6,
  STATUS_INVALID_MEDIA_TYPE = 7,
  STATUS_DUPLICATE_SIGNAL_REQUEST = 8,
  STATUS_MEDIA_TYPE_AUDIO_NOT_SUPPORT = 9,
  STATUS_MEDIA_TYPE_VIDEO_NOT_SUPPORT = 10,
  STATUS_MEDIA_TYPE_DESKSHARE_NOT_SUPPORT = 11,
  STATUS_MEDIA_TYPE_TRANSCRIPT_NOT_SUPPORT = 12,
  STATUS_MEDIA_TYPE_CHAT_NOT_SUPPORT = 13,
  STATUS_MEDIA_TYPE_INVALID_VALUE = 14,
  STATUS_MEDIA_DATA_ALL_CONNECTION_EXIST = 15,
  STATUS_DUPLICATE_MEDIA_DATA_CONNECTION = 16,
  STATUS_INVALID_MEDIA_PARAMS = 17,
  STATUS_INVALID_MEDIA_AUDIO_PARAMS = 18,
  STATUS_INVALID_MEDIA_AUDIO_CONTENT_TYPE = 19,
  STATUS_INVALID_MEDIA_AUDIO_SAMPLE_RATE = 20,
  STATUS_INVALID_MEDIA_AUDIO_CHANNEL = 21,
  STATUS_INVALID_MEDIA_AUDIO_CODEC = 22,
  STATUS_INVALID_MEDIA_AUDIO_DATA_OPT = 23,
  STATUS_INVALID_MEDIA_AUDIO_SEND_RATE = 24,
  STATUS_INVALID_MEDIA_VIDEO_PARAMS = 25,
  STATUS_INVALID_MEDIA_VIDEO_CONTENT_TYPE = 26,
  STATUS_INVALID_MEDIA_VIDEO_CODEC = 27,
  STATUS_INVALID_MEDIA_VIDEO_RESOLUTION = 28,
  STATUS_INVALID_MEDIA_VIDEO_DATA_OPT = 29,
  STATUS_INVALID_MEDIA_VIDEO_FPS = 30,
  STATUS_INVALID_MEDIA_DESKSHARE_PARAMS = 31,
  STATUS_INVALID_MEDIA_DESKSHARE_CONTENT_TYPE = 32,
  STATUS_INVALID_MEDIA_DESKSHARE_CODEC = 33,
  STATUS_INVALID_MEDIA_DESKSHARE_RESOLUTION = 34,
  STATUS_INVALID_MEDIA_DESKSHARE_FPS = 35,
  STATUS_INVALID_MEDIA_TRANSCRIPT_PARAMS = 36,
  STATUS_INVALID_MEDIA_TRANSCRIPT_CONTENT_TYPE = 37,
  STATUS_INVALID_MEDIA_CHAT_PARAMS = 38,
  STATUS_INVALID_MEDIA_CHAT_CONTENT_TYPE = 39,
  STATUS_INVALID_RTMS_SESSION_ID = 40,
  STATUS_INVALID_CLIENT_READY_ACK = 41,
  STATUS_INVALID_EVENT_SUBSCRIBE = 42,
  /** Spelled `..._SROUCE_LANGUAGE` in Zoom's SDK lists. */
  STATUS_INVALID_MEDIA_TRANSCRIPT_SOURCE_LANGUAGE = 43,
  STATUS_DUPLICATE_VIDEO_SUBSCRIPTION = 44,
  STATUS_INTERNAL_EXCEPTION = 45,
  STATUS_INVALID_MEDIA_TRANSCRIPT_TARGET_LANGUAGE = 46,
  STATUS_CHAT_SESSION_KEY_NOT_AVAILABLE = 47,
}

/** RTMS_STOP_REASON (prefixed `STOP_BC_` in Zoom's docs): `stop_reason` of webhooks and msg 9, `reason` of msg 8. */
export enum StopReason {
  UNDEFINED = 0,
  HOST_TRIGGERED = 1,
  USER_TRIGGERED = 2,
  USER_LEFT = 3,
  USER_EJECTED = 4,
  HOST_DISABLED_APP = 5,
  MEETING_ENDED = 6,
  STREAM_CANCELED = 7,
  /** The stream was revoked: delete its assets immediately. */
  STREAM_REVOKED = 8,
  ALL_APPS_DISABLED = 9,
  INTERNAL_EXCEPTION = 10,
  CONNECTION_TIMEOUT = 11,
  INSTANCE_CONNECTION_INTERRUPTED = 12,
  SIGNAL_CONNECTION_INTERRUPTED = 13,
  DATA_CONNECTION_INTERRUPTED = 14,
  SIGNAL_CONNECTION_CLOSED_ABNORMALLY = 15,
  DATA_CONNECTION_CLOSED_ABNORMALLY = 16,
  EXIT_SIGNAL = 17,
  AUTHENTICATION_FAILURE = 18,
  AWAIT_RECONNECTION_TIMEOUT = 19,
  RECEIVER_REQUEST_CLOSE = 20,
  CUSTOMER_DISCONNECTED = 21,
  AGENT_DISCONNECTED = 22,
  ADMIN_DISABLED_APP = 23,
  KEEP_ALIVE_TIMEOUT = 24,
  MANUAL_API_TRIGGERED = 25,
  STREAMING_NOT_SUPPORTED = 26,
}

/** RTMS_SESSION_STATE. */
export enum SessionState {
  INACTIVE = 0,
  INITIALIZE = 1,
  STARTED = 2,
  PAUSED = 3,
  RESUMED = 4,
  STOPPED = 5,
}

/** RTMS_STREAM_STATE. */
export enum StreamState {
  INACTIVE = 0,
  ACTIVE = 1,
  INTERRUPTED = 2,
  TERMINATING = 3,
  TERMINATED = 4,
  PAUSED = 5,
  RESUMED = 6,
}

/** MEDIA_DATA_TYPE: a bitmask; `media_type` of DATA_HAND_SHAKE_REQ. */
export enum MediaType {
  AUDIO = 1,
  VIDEO = 2,
  DESKSHARE = 4,
  TRANSCRIPT = 8,
  CHAT = 16,
  ALL = 32,
}

/** MEDIA_CONTENT_TYPE. */
export enum ContentType {
  UNDEFINED = 0,
  /** Deprecated by Zoom in favour of RAW_AUDIO; still accepted. */
  RTP = 1,
  RAW_AUDIO = 2,
  RAW_VIDEO = 3,
  FILE_STREAM = 4,
  TEXT = 5,
}

/** MEDIA_PAYLOAD_TYPE: the codec of audio, video and screen share. */
export enum Codec {
  UNDEFINED = 0,
  L16 = 1,
  /** A-law only. */
  G711 = 2,
  G722 = 3,
  OPUS = 4,
  JPG = 5,
  PNG = 6,
  H264 = 7,
}

/** MEDIA_DATA_OPTION. */
export enum DataOption {
  UNDEFINED = 0,
  AUDIO_MIXED_STREAM = 1,
  /** One stream per speaker, up to three speakers per 20 ms. */
  AUDIO_MULTI_STREAMS = 2,
  VIDEO_SINGLE_ACTIVE_STREAM = 3,
  VIDEO_SINGLE_INDIVIDUAL_STREAM = 4,
  /** Present in Zoom's SDK header only. */
  VIDEO_MIXED_GALLERY_VIEW = 5,
}

/** MEDIA_RESOLUTION. */
export enum Resolution {
  /** 854×480 or 640×360. */
  SD = 1,
  /** 1280×720. */
  HD = 2,
  /** 1920×1080. */
  FHD = 3,
  /** 2560×1440. */
  QHD = 4,
}

/** AUDIO_SAMPLE_RATE: an index, not Hz. See {@link sampleRateHz}. */
export enum SampleRate {
  SR_8K = 0,
  SR_16K = 1,
  SR_32K = 2,
  SR_48K = 3,
}

/** AUDIO_CHANNEL. */
export enum AudioChannel {
  MONO = 1,
  STEREO = 2,
}

/** TRANSMISSION_PROTOCOL. Only WebSocket is supported by Zoom. */
export enum TransmissionProtocol {
  WEBSOCKET = 1,
  RTMP = 2,
  UDP = 3,
  WEBRTC = 4,
}

/** RTMS_DATA_MESSAGE_ATTRIBUTE: `content.attribute` of transcripts. */
export enum DataMessageAttribute {
  ATTR_NONE = 0,
  ATTR_NEW = 1,
  ATTR_UPDATE = 2,
  ATTR_DELETE = 3,
}

/** RTMS_TRANSCRIPT_LANGUAGE. */
export enum TranscriptLanguage {
  NONE = -1,
  ARABIC = 0,
  BENGALI = 1,
  CANTONESE = 2,
  CATALAN = 3,
  CHINESE_SIMPLIFIED = 4,
  CHINESE_TRADITIONAL = 5,
  CZECH = 6,
  DANISH = 7,
  DUTCH = 8,
  ENGLISH = 9,
  ESTONIAN = 10,
  FINNISH = 11,
  FRENCH_CANADA = 12,
  FRENCH_FRANCE = 13,
  GERMAN = 14,
  HEBREW = 15,
  HINDI = 16,
  HUNGARIAN = 17,
  INDONESIAN = 18,
  ITALIAN = 19,
  JAPANESE = 20,
  KOREAN = 21,
  MALAY = 22,
  PERSIAN = 23,
  POLISH = 24,
  PORTUGUESE = 25,
  ROMANIAN = 26,
  RUSSIAN = 27,
  SPANISH = 28,
  SWEDISH = 29,
  TAGALOG = 30,
  TAMIL = 31,
  TELUGU = 32,
  THAI = 33,
  TURKISH = 34,
  UKRAINIAN = 35,
  VIETNAMESE = 36,
}

/** Chat session types of the structured chat layout. */
export enum ChatSessionType {
  EVERYONE = 1,
  INDIVIDUAL = 2,
  CHAT_GROUP = 3,
  HOSTS_AND_PANELISTS = 4,
  INDIVIDUAL_CC_HOSTS_AND_PANELISTS = 5,
}

/** Chat operation types of the structured chat layout. */
export enum ChatOperationType {
  NEW = 1,
  DELETE = 2,
  UPDATE = 3,
  ADD_EMOJI_REACTION = 4,
  REMOVE_EMOJI_REACTION = 5,
}

/** Chat-group member statuses (CHAT_GROUP_MEMBER_STATUS_UPDATE events). */
export enum ChatGroupMemberStatus {
  IN_CHAT_GROUP = 0,
  IN_BREAKOUT_ROOM = 1,
  IN_WAITING_ROOM = 2,
  IN_BACKSTAGE = 3,
  LEFT_MEETING = 4,
}

/** Chat-group types. */
export enum ChatGroupType {
  PRIVATE_CHAT_GROUP = 0,
}

const SAMPLE_RATE_HZ: Readonly<Record<SampleRate, number>> = {
  [SampleRate.SR_8K]: 8_000,
  [SampleRate.SR_16K]: 16_000,
  [SampleRate.SR_32K]: 32_000,
  [SampleRate.SR_48K]: 48_000,
};

/** The rate in Hz of an AUDIO_SAMPLE_RATE index, or `undefined` for an index outside the enum. */
export function sampleRateHz(rate: number): number | undefined {
  return SAMPLE_RATE_HZ[rate as SampleRate];
}

/** The media kinds a client can ask for, by name. */
export type MediaKind = 'audio' | 'video' | 'deskshare' | 'transcript' | 'chat';

/** Every media kind, in bitmask order. */
export const MEDIA_KINDS: readonly MediaKind[] = ['audio', 'video', 'deskshare', 'transcript', 'chat'];

/** The MEDIA_DATA_TYPE bit of each media kind. */
export const MEDIA_KIND_BIT: Readonly<Record<MediaKind, MediaType>> = {
  audio: MediaType.AUDIO,
  video: MediaType.VIDEO,
  deskshare: MediaType.DESKSHARE,
  transcript: MediaType.TRANSCRIPT,
  chat: MediaType.CHAT,
};

/** The media kinds set in a MEDIA_DATA_TYPE bitmask; `ALL` (32) means every kind. */
export function mediaKindsOf(mask: number): MediaKind[] {
  if (mask & MediaType.ALL) return [...MEDIA_KINDS];
  return MEDIA_KINDS.filter((kind) => (mask & MEDIA_KIND_BIT[kind]) !== 0);
}

/** The bitmask of a list of media kinds. */
export function mediaMaskOf(kinds: Iterable<MediaKind>): number {
  let mask = 0;
  for (const kind of kinds) mask |= MEDIA_KIND_BIT[kind];
  return mask;
}
