/**
 * Typed events of one stream. One payload object per event; media payloads reuse the decoded bytes.
 */
import type { MediaKind, SessionState, StreamState } from '../protocol/enums.js';
import type { RtmsError } from '../protocol/errors.js';
import type { StructuredChat, UserId } from '../protocol/messages.js';
import type {
  CallEvent,
  CallPartyEvent,
  CallTransferEvent,
  ChatGroupDeleteEvent,
  ChatGroupEvent,
  InterpreterEvent,
  IvrDtmfEvent,
  IvrFlowEvent,
  IvrInputEvent,
  IvrPromptEvent,
} from './productEvents.js';

export type * from './productEvents.js';

export interface AudioFrame {
  /** Raw codec bytes (L16: little-endian signed 16-bit). */
  data: Buffer;
  /** 0 for the mixed stream. */
  userId: number;
  userName: string | undefined;
  /** Zoom server time, ms. */
  timestamp: number;
  sampleRate: number;
  channels: number;
  /** Codec (Codec enum). */
  codec: number;
  /** Contact Center channel. */
  channelId: string | undefined;
}

export interface VideoFrame {
  /** A JPG/PNG picture or H.264 data. */
  data: Buffer;
  userId: number;
  userName: string | undefined;
  timestamp: number;
  /** Codec (Codec enum). */
  codec: number;
}

export interface TranscriptSegment {
  text: string;
  userId: number;
  userName: string | undefined;
  /** Milliseconds. */
  startTime: number | undefined;
  endTime: number | undefined;
  timestamp: number | undefined;
  /** TranscriptLanguage. */
  language: number | undefined;
  attribute: number | undefined;
  channelId: string | undefined;
}

export interface ChatLine {
  text: string;
  userId: UserId | undefined;
  userName: string | undefined;
  timestamp: number | undefined;
  /** Present in the structured chat layout. */
  structured: StructuredChat | undefined;
}

export interface ParticipantInfo {
  userId: UserId;
  userName: string | undefined;
}

export interface ParticipantsEvent {
  participants: ParticipantInfo[];
  timestamp: number | undefined;
}

export interface ActiveSpeakerEvent {
  userId: UserId;
  userName: string | undefined;
  timestamp: number | undefined;
}

export interface SharingStartEvent {
  userId: UserId | undefined;
  userName: string | undefined;
  timestamp: number | undefined;
}

export interface ParticipantVideoEvent extends ParticipantsEvent {
  on: boolean;
}

export interface SessionStateEvent {
  state: SessionState;
  sessionId: string | undefined;
  stopReason: number | undefined;
  timestamp: number | undefined;
}

export interface StreamStateEvent {
  state: StreamState;
  reason: number | undefined;
  timestamp: number | undefined;
}

/** Any EVENT_UPDATE, as received (Contact Center voice events, Zoom Phone call events, chat groups…). */
export interface RawEvent {
  /** The event's `event_type`, or its `event_code` when Zoom sent only that (V2, Zoom Phone). */
  eventType: number;
  /** The V2 `event_code`, when Zoom sent one. */
  eventCode?: number;
  event: Readonly<Record<string, unknown>>;
  /**
   * True when the stream also emits this EVENT_UPDATE as a typed event (`participantJoin`,
   * `activeSpeaker`, `ivrFlowEnter`, `callHold`…), so that a consumer of raw events can skip it and
   * record nothing twice. Set by the event's number and the product: Contact Center voice events other
   * than IVR (30–34) are only raw. A typed event that lacks the field it needs (a first packet without a
   * timestamp, an active speaker without a user id) is dropped, yet its raw event is still `typed`.
   */
  typed: boolean;
}

export type StreamStatus =
  | 'idle'
  | 'connecting'
  | 'ready'
  | 'reconnecting'
  | 'closing'
  | 'closed'
  | 'lost'
  | 'failed';

export interface StateChange {
  from: StreamStatus;
  to: StreamStatus;
}

export type ReconnectScope = 'all' | 'media';

/** What started a recovery: a small, fixed set (for metrics and dashboards); `reason` has the details. */
export type ReconnectTrigger =
  | 'initial'
  | 'failover'
  | 'interrupted-webhook'
  | 'media-interrupted-event'
  | 'stream-state'
  | 'silent-socket'
  | 'connection-reset'
  | 'signaling-lost'
  | 'media-lost';

export interface ReconnectingEvent {
  scope: ReconnectScope;
  /** Media kinds being reconnected (every kind for `all`). */
  kinds: MediaKind[];
  trigger: ReconnectTrigger;
  /** Why, in words (close code, keep-alive, failover, event 7…); the latest failure on later attempts. */
  reason: string;
  attempt: number;
  delayMs: number;
}

export interface ReconnectedEvent {
  scope: ReconnectScope;
  kinds: MediaKind[];
  /** From the loss to the socket being ready again. */
  downtimeMs: number;
  attempts: number;
}

export interface ClosedEvent {
  /**
   * - `stopped`: Zoom ended the stream (`stopReason` says why).
   * - `closed`: the application closed it.
   * - `lost`: recovery failed inside Zoom's window.
   * - `failed`: a fatal error (`error` says which).
   */
  reason: 'stopped' | 'closed' | 'lost' | 'failed';
  stopReason: number | undefined;
  error: RtmsError | undefined;
}

export interface FirstPacketEvent {
  timestamp: number;
}

/** Every event of {@link RtmsStream}. */
export interface StreamEvents {
  audio: [frame: AudioFrame];
  video: [frame: VideoFrame];
  deskshare: [frame: VideoFrame];
  transcript: [segment: TranscriptSegment];
  chat: [line: ChatLine];
  participantJoin: [event: ParticipantsEvent];
  participantLeave: [event: ParticipantsEvent];
  activeSpeaker: [event: ActiveSpeakerEvent];
  sharingStart: [event: SharingStartEvent];
  sharingStop: [event: { timestamp: number | undefined }];
  participantVideo: [event: ParticipantVideoEvent];
  firstPacket: [event: FirstPacketEvent];
  /** Meetings: a private chat group was created, with its first members. */
  chatGroupCreate: [event: ChatGroupEvent];
  chatGroupDelete: [event: ChatGroupDeleteEvent];
  chatGroupMembersAdd: [event: ChatGroupEvent];
  chatGroupMembersDelete: [event: ChatGroupEvent];
  /** A member's in-meeting status changed (`members[].status`, ChatGroupMemberStatus). */
  chatGroupMemberStatus: [event: ChatGroupEvent];
  /** Contact Center IVR (events 30–34). */
  ivrFlowEnter: [event: IvrFlowEvent];
  ivrFlowExit: [event: IvrFlowEvent];
  ivrDtmf: [event: IvrDtmfEvent];
  ivrPrompt: [event: IvrPromptEvent];
  ivrInput: [event: IvrInputEvent];
  /** Zoom Phone call events (V2 `event_code`). */
  callAnswered: [event: CallPartyEvent];
  callEnded: [event: CallPartyEvent];
  callHold: [event: CallEvent];
  callResume: [event: CallEvent];
  callTransfer: [event: CallTransferEvent];
  /** The AI interpreter's state, from audio metadata (msg 23). */
  interpreter: [event: InterpreterEvent];
  /** Every EVENT_UPDATE, including the ones with a typed event of their own. */
  event: [event: RawEvent];
  sessionState: [event: SessionStateEvent];
  streamState: [event: StreamStateEvent];
  stateChange: [change: StateChange];
  reconnecting: [event: ReconnectingEvent];
  reconnected: [event: ReconnectedEvent];
  error: [error: RtmsError];
  closed: [event: ClosedEvent];
}
