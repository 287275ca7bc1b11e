/**
 * EVENT_UPDATE payloads of a meeting's private chat group (events 10–14), from the script's chat-group
 * steps. Zoom publishes the event names only; the fields are this project's choice, in Zoom's style:
 * `chat_group_id`, `chat_group_name`, `chat_group_type`, `members: [{ user_id, user_name, status }]`,
 * and `chat_group_ids` for a deletion (which may remove several groups at once).
 */
import { EventType } from '../../protocol/enums.js';
import type { ChatGroupMember, EventPayload } from '../../protocol/eventPayloads.js';
import type { ChatGroupOp, ChatGroupStepEvent } from '../content/scenarioPhases.js';
import type { Timeline } from '../timeline.js';

const TYPES: Readonly<Record<ChatGroupOp, EventType>> = {
  create: EventType.CHAT_GROUP_CREATE,
  delete: EventType.CHAT_GROUP_DELETE,
  'members-add': EventType.CHAT_GROUP_MEMBERS_ADD,
  'members-delete': EventType.CHAT_GROUP_MEMBERS_DELETE,
  'member-status': EventType.CHAT_GROUP_MEMBER_STATUS_UPDATE,
};

export function chatGroupEvent(e: ChatGroupStepEvent, timeline: Timeline, tsBase: number): EventPayload {
  const timestamp = tsBase + e.atMs;
  if (e.op === 'delete') {
    return { event_type: TYPES.delete, timestamp, chat_group_ids: [e.groupId] };
  }
  const members: ChatGroupMember[] = e.members.map((userId) => {
    const name = timeline.participant(userId)?.userName;
    return {
      user_id: userId,
      ...(name === undefined ? {} : { user_name: name }),
      ...(e.status === undefined ? {} : { status: e.status }),
    };
  });
  const event: EventPayload = { event_type: TYPES[e.op], timestamp, chat_group_id: e.groupId, members };
  if (e.op === 'create') {
    event.chat_group_name = e.groupName;
    event.chat_group_type = e.groupType;
  }
  return event;
}
