/**
 * EVENT_UPDATE payloads of the voice products: Contact Center (voice events, IVR) and Zoom Phone (call
 * events), from the script's events. Zoom Phone's events leave the stream as V2 `event_code`
 * ({@link asEventCode}); the numbers here are the ones the protocol enums give them.
 */
import { PhoneCallEventCode, ZccVoiceEventType } from '../../protocol/enums.js';
import type { EventPayload, ZccParticipantInfo } from '../../protocol/eventPayloads.js';
import type { ScenarioEvent, ScenarioParticipant } from '../content/scenario.js';
import { type CallAction, EXTERNAL_TRANSFER_NUMBER, type IvrStep } from '../content/scenarioPhases.js';
import type { Timeline } from '../timeline.js';

/** What the payloads need besides the script. */
export interface VoiceContext {
  timeline: Timeline;
  /** Epoch ms of simulated time 0. */
  tsBase: number;
  /** The app's Zoom account: the parent account of the Contact Center division. */
  accountId: string;
  /** The call's id (Zoom Phone). */
  callId: string;
}

/** The simulated Contact Center division and queue every call goes through. */
const ZCC_DIVISION_ID = 'sim-division-1';
const ZCC_QUEUE = { id: 'sim-queue-support', name: 'Support' } as const;
/** Participant i's number: `+1555` and seven digits counting from 0100000. */
const PHONE_NUMBER_BASE = 100_000;

export function phoneNumberOf(index: number): string {
  return `+1555${String(PHONE_NUMBER_BASE + index).padStart(7, '0')}`;
}

/** The caller is participant 0; everyone else is on the answering side. */
function modeOf(p: ScenarioParticipant): 'caller' | 'callee' {
  return p.index === 0 ? 'caller' : 'callee';
}

/** `participant_info` as Zoom's current Contact Center reference spells it. */
export function zccParticipantInfo(p: ScenarioParticipant, accountId: string): ZccParticipantInfo {
  return {
    channel_id: `channel-${p.index + 1}`,
    participant_mode: modeOf(p),
    queue_id: ZCC_QUEUE.id,
    queue_name: ZCC_QUEUE.name,
    account_id: accountId,
    division_id: ZCC_DIVISION_ID,
    phone_number: phoneNumberOf(p.index),
    user_id: p.userId,
    display_name: p.userName,
  };
}

/** A Zoom Phone party, in the Contact Center shape (Zoom's closest published one). */
function phoneParticipantInfo(p: ScenarioParticipant): ZccParticipantInfo {
  return {
    participant_mode: modeOf(p),
    phone_number: phoneNumberOf(p.index),
    user_id: p.userId,
    display_name: p.userName,
  };
}

const IVR_TYPES: Readonly<Record<IvrStep, ZccVoiceEventType>> = {
  'flow-enter': ZccVoiceEventType.FLOW_ENTER,
  'flow-exit': ZccVoiceEventType.FLOW_EXIT,
  dtmf: ZccVoiceEventType.DTMF_INPUT,
  prompt: ZccVoiceEventType.SEND_MEDIA,
  collect: ZccVoiceEventType.COLLECT_INPUT,
};

/** Contact Center: answers, ends and the IVR phase, each with the party's `participant_info`. */
export function zccEvents(e: ScenarioEvent, ctx: VoiceContext): EventPayload[] {
  const p = ctx.timeline.participant(e.userId);
  if (!p) return [];
  const base = { event_ts: ctx.tsBase + e.atMs, participant_info: zccParticipantInfo(p, ctx.accountId) };
  switch (e.type) {
    case 'join': {
      const type = p.index === 0 ? ZccVoiceEventType.CONSUMER_ANSWERED : ZccVoiceEventType.USER_ANSWERED;
      return [{ event_type: type, ...base }];
    }
    case 'leave': {
      const type = p.index === 0 ? ZccVoiceEventType.CONSUMER_END : ZccVoiceEventType.USER_END;
      return [{ event_type: type, ...base }];
    }
    case 'ivr': {
      const event: EventPayload = {
        event_type: IVR_TYPES[e.step],
        ...base,
        flow_id: e.flowId,
        flow_name: e.flowName,
      };
      if (e.widgetName !== undefined) event.widget_name = e.widgetName;
      if (e.mediaName !== undefined) event.media_name = e.mediaName;
      if (e.step === 'dtmf' && e.keys !== undefined) event.digit = e.keys;
      if (e.step === 'collect' && e.keys !== undefined) event.digits = e.keys;
      return [event];
    }
    default:
      return [];
  }
}

const CALL_CODES: Readonly<Record<CallAction, PhoneCallEventCode>> = {
  hold: PhoneCallEventCode.USER_HOLD,
  unhold: PhoneCallEventCode.USER_UNHOLD,
  'transfer-initiated': PhoneCallEventCode.TRANSFER_INITIATED,
  'transfer-accepted': PhoneCallEventCode.TRANSFER_ACCEPTED,
  'transfer-completed': PhoneCallEventCode.TRANSFER_COMPLETED,
};

/** Zoom Phone: answers, ends, hold, resume and transfers, with the call id and the party. */
export function phoneEvents(e: ScenarioEvent, ctx: VoiceContext): EventPayload[] {
  const p = ctx.timeline.participant(e.userId);
  if (!p) return [];
  const base = {
    timestamp: ctx.tsBase + e.atMs,
    call_id: ctx.callId,
    participant_info: phoneParticipantInfo(p),
  };
  switch (e.type) {
    case 'join': {
      const code = p.index === 0 ? PhoneCallEventCode.CONSUMER_ANSWERED : PhoneCallEventCode.USER_ANSWERED;
      return [{ event_type: code, ...base }];
    }
    case 'leave': {
      const code = p.index === 0 ? PhoneCallEventCode.CONSUMER_END : PhoneCallEventCode.USER_END;
      return [{ event_type: code, ...base }];
    }
    case 'call': {
      const event: EventPayload = { event_type: CALL_CODES[e.action], ...base };
      if (e.action.startsWith('transfer')) {
        const target = e.targetUserId === undefined ? undefined : ctx.timeline.participant(e.targetUserId);
        event.transfer_target = target
          ? phoneParticipantInfo(target)
          : { phone_number: EXTERNAL_TRANSFER_NUMBER, participant_mode: 'callee' };
      }
      return [event];
    }
    default:
      return [];
  }
}

/**
 * Zoom Phone speaks V2 only: the event's number goes out as `event_code`, with no `event_type`.
 * Every other product's events are sent as they are.
 */
export function asEventCode(event: EventPayload): EventPayload {
  if (event.event_type === undefined) return event;
  const { event_type, ...rest } = event;
  return { ...rest, event_code: event_type };
}
