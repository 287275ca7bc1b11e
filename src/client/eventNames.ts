/**
 * The names of a stream's events about its meeting (participants, speaking, sharing, video, chat
 * groups, Contact Center IVR, Zoom Phone calls, the AI interpreter) and its first packet: the events that
 * both the recording's `events.jsonl` and the live outputs carry as they are.
 */
import type { StreamEvents } from './events.js';

export const MEETING_EVENT_NAMES = [
  'participantJoin',
  'participantLeave',
  'activeSpeaker',
  'sharingStart',
  'sharingStop',
  'participantVideo',
  'firstPacket',
  'chatGroupCreate',
  'chatGroupDelete',
  'chatGroupMembersAdd',
  'chatGroupMembersDelete',
  'chatGroupMemberStatus',
  'ivrFlowEnter',
  'ivrFlowExit',
  'ivrDtmf',
  'ivrPrompt',
  'ivrInput',
  'callAnswered',
  'callEnded',
  'callHold',
  'callResume',
  'callTransfer',
  'interpreter',
] as const satisfies readonly (keyof StreamEvents)[];
