/**
 * Reads product-specific EVENT_UPDATE fields and audio metadata into the typed payloads of
 * `productEvents.ts`. Each field is checked for its type: Zoom documents few of these shapes, so a field
 * that is missing or unexpected becomes `undefined` rather than an error.
 */
import { PhoneCallEventCode } from '../protocol/enums.js';
import type { ChatGroupMember, EventPayload, ZccParticipantInfo } from '../protocol/eventPayloads.js';
import type { UserId } from '../protocol/messages.js';
import { type AiInterpreterInfo, interpreterOf, type MetadataContent } from '../protocol/metadata.js';
import type {
  CallEvent,
  CallTransferEvent,
  ChatGroupDeleteEvent,
  ChatGroupEvent,
  ChatGroupMemberInfo,
  InterpreterEvent,
  IvrDtmfEvent,
  IvrFlowEvent,
  IvrInputEvent,
  IvrPromptEvent,
  TransferStage,
  VoiceParticipant,
} from './productEvents.js';

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function int(value: unknown): number | undefined {
  return Number.isInteger(value) ? (value as number) : undefined;
}

function userId(value: unknown): UserId | undefined {
  return typeof value === 'string' || Number.isInteger(value) ? (value as UserId) : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `event_ts` (Contact Center) or `timestamp`, ms. */
export function eventTimeOf(event: EventPayload): number | undefined {
  const ts = event.event_ts ?? event.timestamp;
  return typeof ts === 'number' && Number.isFinite(ts) ? ts : undefined;
}

function participantFrom(info: ZccParticipantInfo | undefined): VoiceParticipant | undefined {
  if (!isObject(info)) return undefined;
  return {
    userId: userId(info.user_id),
    displayName: str(info.display_name),
    phoneNumber: str(info.phone_number),
    channelId: str(info.channel_id),
    mode: str(info.participant_mode),
    queueId: str(info.queue_id),
    queueName: str(info.queue_name),
    accountId: str(info.account_id),
    divisionId: str(info.division_id),
  };
}

/**
 * The party of a Contact Center or Zoom Phone event: `participant_info` as Zoom's current reference
 * spells it, else `paticipant_info` as its older examples (and code written against them) do.
 */
export function voiceParticipantOf(event: EventPayload): VoiceParticipant | undefined {
  return participantFrom(event.participant_info ?? event.paticipant_info);
}

/** DTMF keys may come as a number (`1`) or a string (`"1"`, `"*"`): always a string here. */
function keys(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return String(value);
  return str(value);
}

function ivrBaseOf(event: EventPayload) {
  return {
    participant: voiceParticipantOf(event),
    timestamp: eventTimeOf(event),
    flowId: str(event.flow_id),
  };
}

/** FLOW_ENTER and FLOW_EXIT. */
export function ivrFlowOf(event: EventPayload): IvrFlowEvent {
  return { ...ivrBaseOf(event), flowName: str(event.flow_name) };
}

/** SEND_MEDIA. */
export function ivrPromptOf(event: EventPayload): IvrPromptEvent {
  return { ...ivrBaseOf(event), widgetName: str(event.widget_name), mediaName: str(event.media_name) };
}

/** DTMF_INPUT. */
export function ivrDtmfOf(event: EventPayload): IvrDtmfEvent {
  return { ...ivrBaseOf(event), digit: keys(event.digit) };
}

/** COLLECT_INPUT. */
export function ivrInputOf(event: EventPayload): IvrInputEvent {
  return { ...ivrBaseOf(event), widgetName: str(event.widget_name), digits: keys(event.digits) };
}

const TRANSFER_STAGES: Readonly<Partial<Record<PhoneCallEventCode, TransferStage>>> = {
  [PhoneCallEventCode.TRANSFER_INITIATED]: 'initiated',
  [PhoneCallEventCode.TRANSFER_CANCELED]: 'canceled',
  [PhoneCallEventCode.TRANSFER_ACCEPTED]: 'accepted',
  [PhoneCallEventCode.TRANSFER_COMPLETED]: 'completed',
  [PhoneCallEventCode.TRANSFER_REJECTED]: 'rejected',
  [PhoneCallEventCode.TRANSFER_TIMEOUT]: 'timeout',
};

export function callEventOf(event: EventPayload, code: PhoneCallEventCode): CallEvent {
  return {
    code,
    callId: str(event.call_id),
    participant: voiceParticipantOf(event),
    timestamp: eventTimeOf(event),
  };
}

/** A transfer step, or `undefined` for a code that is not one. */
export function callTransferOf(event: EventPayload, code: PhoneCallEventCode): CallTransferEvent | undefined {
  const stage = TRANSFER_STAGES[code];
  if (stage === undefined) return undefined;
  return { ...callEventOf(event, code), stage, target: participantFrom(event.transfer_target) };
}

function memberOf(raw: ChatGroupMember): ChatGroupMemberInfo | undefined {
  if (!isObject(raw)) return undefined;
  const id = userId(raw.user_id);
  if (id === undefined) return undefined;
  return { userId: id, userName: str(raw.user_name), status: int(raw.status) };
}

/**
 * A chat-group event. Members come from `members` (falling back to `participants`, Zoom's list of users
 * elsewhere), or from a single `user_id` on the event itself.
 */
export function chatGroupEventOf(event: EventPayload): ChatGroupEvent {
  const list: unknown = event.members ?? event.participants;
  const members: ChatGroupMemberInfo[] = [];
  if (Array.isArray(list)) {
    for (const raw of list) {
      const member = memberOf(raw as ChatGroupMember);
      if (member) members.push(member);
    }
  } else {
    const id = userId(event.user_id);
    if (id !== undefined)
      members.push({ userId: id, userName: str(event.user_name), status: int(event.status) });
  }
  return {
    groupId: str(event.chat_group_id),
    groupName: str(event.chat_group_name),
    groupType: int(event.chat_group_type),
    members,
    timestamp: eventTimeOf(event),
  };
}

/** CHAT_GROUP_DELETE: `chat_group_ids`, or the single `chat_group_id`. */
export function chatGroupDeleteOf(event: EventPayload): ChatGroupDeleteEvent {
  const ids: unknown = event.chat_group_ids;
  const groupIds = Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
  const single = str(event.chat_group_id);
  if (single !== undefined && !groupIds.includes(single)) groupIds.push(single);
  return { groupIds, timestamp: eventTimeOf(event) };
}

function interpreterEventFrom(info: AiInterpreterInfo): InterpreterEvent {
  return {
    lid: info.lid,
    timestamp: info.timestamp,
    channelNum: info.channel_num,
    sampleRate: info.sample_rate,
    targets: info.targets.map((t) => ({
      lid: t.lid,
      toneId: t.tone_id,
      voiceId: t.voice_id,
      engine: t.engine,
    })),
  };
}

/** The `interpreter` event of a META_DATA_AUDIO, or `undefined` when it carries no interpreter. */
export function interpreterEventOf(content: MetadataContent | undefined): InterpreterEvent | undefined {
  const info = interpreterOf(content);
  return info === undefined ? undefined : interpreterEventFrom(info);
}
