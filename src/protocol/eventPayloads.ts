/**
 * The wire shape of EVENT_SUBSCRIPTION entries and of the `event` object of EVENT_UPDATE, for every
 * product: meetings' participant and chat-group events, Contact Center voice and IVR events, Zoom Phone
 * call events. Fields a product does not send are simply absent; readers check each one's type.
 */
import type { UserId } from './messages.js';

/** One entry of EVENT_SUBSCRIPTION (msg 5). */
export interface EventSubscriptionEntry {
  /** RTMS_EVENT_TYPE, or the product's own table (RTMS_ZCC_VOICE_EVENT_TYPE for Contact Center). */
  event_type?: number;
  /** V2: the event's global code, for products that send codes only (Zoom Phone). */
  event_code?: number;
  subscribe: boolean;
}

export interface Participant {
  user_id: UserId;
  user_name?: string;
}

/**
 * A Contact Center (or Zoom Phone) party: `participant_info` in Zoom's current event reference, which
 * adds `account_id` and `division_id`; `paticipant_info` (sic) in its older examples.
 */
export interface ZccParticipantInfo {
  channel_id?: string;
  /** `caller` or `callee`. */
  participant_mode?: string;
  queue_id?: string;
  queue_name?: string;
  /** The parent account of the division. */
  account_id?: string;
  division_id?: string;
  phone_number?: string;
  user_id?: UserId;
  display_name?: string;
  [key: string]: unknown;
}

/** A member of a private chat group (chat-group events 10–14). */
export interface ChatGroupMember {
  user_id: UserId;
  user_name?: string;
  /** ChatGroupMemberStatus, in CHAT_GROUP_MEMBER_STATUS_UPDATE. */
  status?: number;
}

/**
 * The `event` object of EVENT_UPDATE. Which fields are present depends on the event's number: its
 * `event_type` (RTMS_EVENT_TYPE, or RTMS_ZCC_VOICE_EVENT_TYPE for Contact Center), or its V2
 * `event_code` (Zoom Phone sends only that). See the protocol reference §3.5 and §10.
 */
export interface EventPayload {
  event_type?: number;
  /** V2 global event code; Zoom Phone's only event number. */
  event_code?: number;
  /** Milliseconds. */
  timestamp?: number;
  /** Contact Center examples carry `event_ts` instead of `timestamp`. */
  event_ts?: number;
  user_id?: UserId;
  user_name?: string;
  participants?: Participant[];
  /** MEDIA_CONNECTION_INTERRUPTED: the MEDIA_DATA_TYPE bit of the media connection that dropped. */
  media_type?: number;
  /** Contact Center and Zoom Phone: the party the event is about (current spelling). */
  participant_info?: ZccParticipantInfo;
  /** The same, as Zoom's older examples spell it. */
  paticipant_info?: ZccParticipantInfo;

  /** Chat groups: the group the event is about. */
  chat_group_id?: string;
  chat_group_name?: string;
  /** ChatGroupType. */
  chat_group_type?: number;
  /** CHAT_GROUP_DELETE: every group deleted at once. */
  chat_group_ids?: string[];
  /** Members created with the group, added, removed or whose status changed. */
  members?: ChatGroupMember[];

  /** IVR: the flow entered or left. */
  flow_id?: string;
  flow_name?: string;
  /** IVR: the Send Media or Collect Input widget of the flow. */
  widget_name?: string;
  /** SEND_MEDIA: the prompt played. */
  media_name?: string;
  /** DTMF_INPUT: the key pressed (`0`–`9`, `*`, `#`). */
  digit?: string;
  /** COLLECT_INPUT: every key collected, in order. */
  digits?: string;

  /** Zoom Phone: the call the event is about. */
  call_id?: string;
  /** Zoom Phone transfers: where the call goes. */
  transfer_target?: ZccParticipantInfo;
  [key: string]: unknown;
}

/**
 * The number an event is read by: its `event_type`, or, when Zoom sent only a V2 `event_code`, that code
 * for a product whose codes are known (Zoom Phone, `codesKnown`). `undefined` for a code nobody has
 * published a table for.
 */
export function eventNumberOf(event: EventPayload, codesKnown: boolean): number | undefined {
  if (event.event_type !== undefined) return event.event_type;
  return codesKnown ? event.event_code : undefined;
}
