/**
 * Typed payloads of the product-specific events: Contact Center IVR, Zoom Phone calls, meeting chat
 * groups, and the AI interpreter's audio metadata. Wire names are snake_case; these are camelCase, and a
 * field Zoom left out (or sent with an unexpected type) is `undefined`.
 */
import type { PhoneCallEventCode } from '../protocol/enums.js';
import type { UserId } from '../protocol/messages.js';

/**
 * A Contact Center or Zoom Phone party, read from `participant_info` (Zoom's current spelling) or
 * `paticipant_info` (its older one).
 */
export interface VoiceParticipant {
  userId: UserId | undefined;
  displayName: string | undefined;
  phoneNumber: string | undefined;
  channelId: string | undefined;
  /** `caller` or `callee`. */
  mode: string | undefined;
  queueId: string | undefined;
  queueName: string | undefined;
  /** The parent account of the division. */
  accountId: string | undefined;
  divisionId: string | undefined;
}

interface IvrEvent {
  /** The caller. */
  participant: VoiceParticipant | undefined;
  /** Milliseconds (`event_ts`, or `timestamp`). */
  timestamp: number | undefined;
  flowId: string | undefined;
}

/** `ivrFlowEnter` and `ivrFlowExit` (Contact Center events 30, 31). */
export interface IvrFlowEvent extends IvrEvent {
  flowName: string | undefined;
}

/** `ivrPrompt`: a Send Media widget played a prompt (event 33). */
export interface IvrPromptEvent extends IvrEvent {
  widgetName: string | undefined;
  mediaName: string | undefined;
}

/** `ivrDtmf`: the caller pressed a key (event 32). */
export interface IvrDtmfEvent extends IvrEvent {
  /** `0`–`9`, `*` or `#`. */
  digit: string | undefined;
}

/** `ivrInput`: a Collect Input widget has the caller's digits (event 34). */
export interface IvrInputEvent extends IvrEvent {
  widgetName: string | undefined;
  digits: string | undefined;
}

/** Who a Zoom Phone call event is about: the Zoom Phone user, or the far end (Zoom's "consumer"). */
export type CallParty = 'user' | 'consumer';

/** Every Zoom Phone call event. */
export interface CallEvent {
  /** The event's `event_code`. */
  code: PhoneCallEventCode;
  callId: string | undefined;
  participant: VoiceParticipant | undefined;
  timestamp: number | undefined;
}

/** `callAnswered` and `callEnded`. */
export interface CallPartyEvent extends CallEvent {
  party: CallParty;
}

export type TransferStage = 'initiated' | 'canceled' | 'accepted' | 'completed' | 'rejected' | 'timeout';

/** `callTransfer`: one step of a transfer. */
export interface CallTransferEvent extends CallEvent {
  stage: TransferStage;
  /** Where the call is being transferred. */
  target: VoiceParticipant | undefined;
}

export interface ChatGroupMemberInfo {
  userId: UserId;
  userName: string | undefined;
  /** ChatGroupMemberStatus, in `chatGroupMemberStatus`. */
  status: number | undefined;
}

/** `chatGroupCreate`, `chatGroupMembersAdd`, `chatGroupMembersDelete`, `chatGroupMemberStatus`. */
export interface ChatGroupEvent {
  groupId: string | undefined;
  groupName: string | undefined;
  /** ChatGroupType. */
  groupType: number | undefined;
  members: ChatGroupMemberInfo[];
  timestamp: number | undefined;
}

/** `chatGroupDelete`: one or more groups are gone. */
export interface ChatGroupDeleteEvent {
  groupIds: string[];
  timestamp: number | undefined;
}

/** A language the AI interpreter renders the speech into (Zoom's SDK: `AiTargetLanguage`). */
export interface InterpreterTarget {
  lid: number;
  toneId: number | undefined;
  voiceId: string | undefined;
  engine: string | undefined;
}

/** `interpreter`: the AI interpreter's state, from audio metadata (msg 23; Zoom's SDK: `AiInterpreter`). */
export interface InterpreterEvent {
  /** Language id of the source speech. */
  lid: number;
  timestamp: number | undefined;
  channelNum: number | undefined;
  /** Hz. */
  sampleRate: number | undefined;
  /** At most 100. */
  targets: InterpreterTarget[];
}
