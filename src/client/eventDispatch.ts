/**
 * Turns EVENT_UPDATEs into the stream's typed events, by product: a number means one thing in a meeting,
 * another in Contact Center (RTMS_ZCC_VOICE_EVENT_TYPE) and another again in Zoom Phone (V2
 * `event_code`). Every EVENT_UPDATE is also emitted raw, and anything not typed here stays raw only.
 */
import { EventType, PhoneCallEventCode, ZccVoiceEventType } from '../protocol/enums.js';
import { type EventPayload, eventNumberOf } from '../protocol/eventPayloads.js';
import type { Participant } from '../protocol/messages.js';
import type { Product } from '../protocol/products.js';
import {
  callEventOf,
  callTransferOf,
  chatGroupDeleteOf,
  chatGroupEventOf,
  eventTimeOf,
  ivrDtmfOf,
  ivrFlowOf,
  ivrInputOf,
  ivrPromptOf,
} from './eventReaders.js';
import type { ParticipantInfo, StreamEvents } from './events.js';

/** Emits one event with its one payload (every stream event has exactly one). */
export type Emit = <K extends keyof StreamEvents>(name: K, payload: StreamEvents[K][0]) => void;

/** Meeting events about participants, sharing and video: each emitted as a typed event too. */
export const MEETING_NOTICE_EVENT_TYPES: readonly number[] = [
  EventType.ACTIVE_SPEAKER_CHANGE,
  EventType.PARTICIPANT_JOIN,
  EventType.PARTICIPANT_LEAVE,
  EventType.SHARING_START,
  EventType.SHARING_STOP,
  EventType.PARTICIPANT_VIDEO_ON,
  EventType.PARTICIPANT_VIDEO_OFF,
];

/** Chat-group events: each emitted as a typed event too. */
export const CHAT_GROUP_EVENT_TYPES: readonly number[] = [
  EventType.CHAT_GROUP_CREATE,
  EventType.CHAT_GROUP_DELETE,
  EventType.CHAT_GROUP_MEMBERS_ADD,
  EventType.CHAT_GROUP_MEMBERS_DELETE,
  EventType.CHAT_GROUP_MEMBER_STATUS_UPDATE,
];

/** Meeting, webinar and Video SDK EVENT_UPDATE types {@link dispatchEvent} also emits as a typed event. */
export const TYPED_EVENT_TYPES: ReadonlySet<number> = new Set([
  EventType.FIRST_PACKET_TIMESTAMP,
  ...MEETING_NOTICE_EVENT_TYPES,
  ...CHAT_GROUP_EVENT_TYPES,
]);

/** Contact Center voice events with a typed event: the IVR events. The others are raw only. */
export const TYPED_ZCC_EVENT_TYPES: ReadonlySet<number> = new Set([
  ZccVoiceEventType.FLOW_ENTER,
  ZccVoiceEventType.FLOW_EXIT,
  ZccVoiceEventType.DTMF_INPUT,
  ZccVoiceEventType.SEND_MEDIA,
  ZccVoiceEventType.COLLECT_INPUT,
]);

/** Zoom Phone event codes with a typed event: the first packet and every call event. */
export const TYPED_PHONE_EVENT_CODES: ReadonlySet<number> = new Set([
  EventType.FIRST_PACKET_TIMESTAMP,
  ...Object.values(PhoneCallEventCode).filter((v): v is PhoneCallEventCode => typeof v === 'number'),
]);

/** The set of numbers a product's events are typed by. */
function typedSetOf(product: Product): ReadonlySet<number> {
  if (product === 'contact_center') return TYPED_ZCC_EVENT_TYPES;
  if (product === 'phone') return TYPED_PHONE_EVENT_CODES;
  return TYPED_EVENT_TYPES;
}

function participantsOf(event: EventPayload): ParticipantInfo[] {
  const list: Participant[] =
    event.participants ??
    (event.user_id === undefined
      ? []
      : [{ user_id: event.user_id, ...(event.user_name ? { user_name: event.user_name } : {}) }]);
  return list.map((p) => ({ userId: p.user_id, userName: p.user_name }));
}

/**
 * Emits the raw `event` of every EVENT_UPDATE, then its typed event when the product has one for it
 * (`typed` on the raw event says so). Zoom Phone events are read by `event_code` (or `event_type`);
 * other products by `event_type`, since no V2 code table is public for them.
 */
export function dispatchEvent(event: EventPayload, product: Product, emit: Emit): void {
  const number = eventNumberOf(event, product === 'phone');
  const typed = number !== undefined && typedSetOf(product).has(number);
  emit('event', {
    eventType: event.event_type ?? event.event_code ?? EventType.UNDEFINED,
    ...(event.event_code === undefined ? {} : { eventCode: event.event_code }),
    event,
    typed,
  });
  if (!typed) return;
  if (product === 'contact_center') dispatchIvr(event, number, emit);
  else if (product === 'phone') dispatchCall(event, number, emit);
  else dispatchMeeting(event, number, emit);
}

function dispatchMeeting(event: EventPayload, type: number, emit: Emit): void {
  const timestamp = event.timestamp ?? event.event_ts;
  switch (type) {
    case EventType.FIRST_PACKET_TIMESTAMP:
      if (timestamp !== undefined) emit('firstPacket', { timestamp });
      return;
    case EventType.ACTIVE_SPEAKER_CHANGE:
      if (event.user_id !== undefined)
        emit('activeSpeaker', { userId: event.user_id, userName: event.user_name, timestamp });
      return;
    case EventType.PARTICIPANT_JOIN:
      emit('participantJoin', { participants: participantsOf(event), timestamp });
      return;
    case EventType.PARTICIPANT_LEAVE:
      emit('participantLeave', { participants: participantsOf(event), timestamp });
      return;
    case EventType.SHARING_START:
      emit('sharingStart', { userId: event.user_id, userName: event.user_name, timestamp });
      return;
    case EventType.SHARING_STOP:
      emit('sharingStop', { timestamp });
      return;
    case EventType.PARTICIPANT_VIDEO_ON:
    case EventType.PARTICIPANT_VIDEO_OFF:
      emit('participantVideo', {
        participants: participantsOf(event),
        timestamp,
        on: type === EventType.PARTICIPANT_VIDEO_ON,
      });
      return;
    case EventType.CHAT_GROUP_CREATE:
      emit('chatGroupCreate', chatGroupEventOf(event));
      return;
    case EventType.CHAT_GROUP_DELETE:
      emit('chatGroupDelete', chatGroupDeleteOf(event));
      return;
    case EventType.CHAT_GROUP_MEMBERS_ADD:
      emit('chatGroupMembersAdd', chatGroupEventOf(event));
      return;
    case EventType.CHAT_GROUP_MEMBERS_DELETE:
      emit('chatGroupMembersDelete', chatGroupEventOf(event));
      return;
    case EventType.CHAT_GROUP_MEMBER_STATUS_UPDATE:
      emit('chatGroupMemberStatus', chatGroupEventOf(event));
      return;
    default:
      return;
  }
}

function dispatchIvr(event: EventPayload, type: number, emit: Emit): void {
  switch (type) {
    case ZccVoiceEventType.FLOW_ENTER:
      emit('ivrFlowEnter', ivrFlowOf(event));
      return;
    case ZccVoiceEventType.FLOW_EXIT:
      emit('ivrFlowExit', ivrFlowOf(event));
      return;
    case ZccVoiceEventType.DTMF_INPUT:
      emit('ivrDtmf', ivrDtmfOf(event));
      return;
    case ZccVoiceEventType.SEND_MEDIA:
      emit('ivrPrompt', ivrPromptOf(event));
      return;
    case ZccVoiceEventType.COLLECT_INPUT:
      emit('ivrInput', ivrInputOf(event));
      return;
    default:
      return;
  }
}

function dispatchCall(event: EventPayload, code: number, emit: Emit): void {
  switch (code) {
    case EventType.FIRST_PACKET_TIMESTAMP: {
      const timestamp = eventTimeOf(event);
      if (timestamp !== undefined) emit('firstPacket', { timestamp });
      return;
    }
    case PhoneCallEventCode.CONSUMER_ANSWERED:
    case PhoneCallEventCode.USER_ANSWERED:
      emit('callAnswered', {
        ...callEventOf(event, code),
        party: code === PhoneCallEventCode.USER_ANSWERED ? 'user' : 'consumer',
      });
      return;
    case PhoneCallEventCode.CONSUMER_END:
    case PhoneCallEventCode.USER_END:
      emit('callEnded', {
        ...callEventOf(event, code),
        party: code === PhoneCallEventCode.USER_END ? 'user' : 'consumer',
      });
      return;
    case PhoneCallEventCode.USER_HOLD:
      emit('callHold', callEventOf(event, code));
      return;
    case PhoneCallEventCode.USER_UNHOLD:
      emit('callResume', callEventOf(event, code));
      return;
    default: {
      const transfer = callTransferOf(event, code);
      if (transfer) emit('callTransfer', transfer);
      return;
    }
  }
}
