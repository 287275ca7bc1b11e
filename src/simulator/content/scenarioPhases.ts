/**
 * The product-specific parts of the script, as pure data like the rest of it: a Contact Center call's
 * IVR phase, a Zoom Phone call's hold, resume and transfer, a meeting's private chat group, and the AI
 * interpreter's target languages.
 *
 * @module
 */
import { ChatGroupMemberStatus, ChatGroupType, TranscriptLanguage } from '../../protocol/enums.js';

/** One step of the IVR flow a Contact Center caller goes through before an agent answers. */
export type IvrStep = 'flow-enter' | 'prompt' | 'dtmf' | 'collect' | 'flow-exit';

export interface IvrStepEvent {
  atMs: number;
  type: 'ivr';
  /** The caller. */
  userId: number;
  step: IvrStep;
  flowId: string;
  flowName: string;
  /** `prompt` and `collect`: the flow's widget. */
  widgetName?: string;
  /** `prompt`: the audio played. */
  mediaName?: string;
  /** `dtmf`: the key pressed; `collect`: every key, in order. */
  keys?: string;
}

export type CallAction =
  | 'hold'
  | 'unhold'
  | 'transfer-initiated'
  | 'transfer-accepted'
  | 'transfer-completed';

export interface CallStepEvent {
  atMs: number;
  type: 'call';
  /** The Zoom Phone user who acts. */
  userId: number;
  action: CallAction;
  /** Transfers: the participant the call goes to, when it is one of the script's. */
  targetUserId?: number;
}

export type ChatGroupOp = 'create' | 'members-add' | 'member-status' | 'members-delete' | 'delete';

export interface ChatGroupStepEvent {
  atMs: number;
  type: 'chat-group';
  /** Who acts (the host creates and deletes; a member's status changes by itself). */
  userId: number;
  op: ChatGroupOp;
  groupId: string;
  groupName: string;
  /** ChatGroupType. */
  groupType: number;
  /** The members created with the group, added, removed or whose status changed. */
  members: number[];
  /** `member-status`: ChatGroupMemberStatus. */
  status?: number;
}

export interface InterpreterTargetScript {
  lid: number;
  toneId: number;
  voiceId: string;
  engine: string;
}

export interface InterpretationEvent {
  atMs: number;
  type: 'interpretation';
  /** The speaker whose audio is interpreted (participant 0). */
  userId: number;
  /** Language of the source speech (RTMS_TRANSCRIPT_LANGUAGE). */
  sourceLid: number;
  targets: InterpreterTargetScript[];
}

/** Nominal IVR timings, ms from the start of the call (scaled down for very short calls). */
const IVR_FLOW_ENTER_MS = 100;
const IVR_PROMPT_MS = 300;
/** The prompt takes about two seconds before the caller starts pressing keys. */
const IVR_FIRST_KEY_MS = 2_500;
const IVR_KEY_GAP_MS = 400;
const IVR_COLLECT_AFTER_MS = 200;
const IVR_EXIT_AFTER_MS = 200;
/** The agents join this long after the flow exits. */
const IVR_HANDOFF_MS = 200;
/** The keys the caller presses (a menu choice, then a confirmation). */
const IVR_KEYS = ['2', '#'] as const;
const IVR_FLOW = { id: 'flow-main-menu', name: 'Main Menu' } as const;
const IVR_WIDGETS = { prompt: 'Welcome Prompt', collect: 'Menu Choice' } as const;
const IVR_PROMPT_MEDIA = 'welcome-menu.wav';

/** The IVR phase may take at most this share of the call. */
const IVR_MAX_SHARE = 0.2;

/**
 * A caller's IVR phase: flow enter, a prompt, one DTMF event per key, the collected input, flow exit.
 * Returns the events and when the phase is over (the agents join after it).
 */
export function ivrPhase(callerId: number, durationMs: number): { events: IvrStepEvent[]; endMs: number } {
  const lastKeyMs = IVR_FIRST_KEY_MS + IVR_KEY_GAP_MS * (IVR_KEYS.length - 1);
  const collectMs = lastKeyMs + IVR_COLLECT_AFTER_MS;
  const exitMs = collectMs + IVR_EXIT_AFTER_MS;
  const fullMs = exitMs + IVR_HANDOFF_MS;
  const scale = Math.min(1, (durationMs * IVR_MAX_SHARE) / fullMs);
  const at = (ms: number) => Math.floor(ms * scale);
  const flow = { userId: callerId, flowId: IVR_FLOW.id, flowName: IVR_FLOW.name, type: 'ivr' as const };
  const events: IvrStepEvent[] = [
    { ...flow, atMs: at(IVR_FLOW_ENTER_MS), step: 'flow-enter' },
    {
      ...flow,
      atMs: at(IVR_PROMPT_MS),
      step: 'prompt',
      widgetName: IVR_WIDGETS.prompt,
      mediaName: IVR_PROMPT_MEDIA,
    },
    ...IVR_KEYS.map(
      (key, i): IvrStepEvent => ({
        ...flow,
        atMs: at(IVR_FIRST_KEY_MS + IVR_KEY_GAP_MS * i),
        step: 'dtmf',
        keys: key,
      }),
    ),
    {
      ...flow,
      atMs: at(collectMs),
      step: 'collect',
      widgetName: IVR_WIDGETS.collect,
      keys: IVR_KEYS.join(''),
    },
    { ...flow, atMs: at(exitMs), step: 'flow-exit' },
  ];
  return { events, endMs: at(fullMs) };
}

/** The far number a call is transferred to when the script has no third participant. */
export const EXTERNAL_TRANSFER_NUMBER = '+15550100199';

/**
 * A Zoom Phone call's events, for two or more participants: the user (participant 1) holds the call at
 * 35 % and resumes it at 45 %, then transfers it at 60 % (to the last participant when there are three
 * or more, else to an outside number), accepted at 61 % and completed at 62 %.
 */
export function callSteps(userIds: readonly number[], durationMs: number): CallStepEvent[] {
  const user = userIds[1];
  if (user === undefined) return [];
  const at = (share: number) => Math.floor(durationMs * share);
  const target = userIds.length >= 3 ? userIds[userIds.length - 1] : undefined;
  const transfer = target === undefined ? {} : { targetUserId: target };
  return [
    { atMs: at(0.35), type: 'call', userId: user, action: 'hold' },
    { atMs: at(0.45), type: 'call', userId: user, action: 'unhold' },
    { atMs: at(0.6), type: 'call', userId: user, action: 'transfer-initiated', ...transfer },
    { atMs: at(0.61), type: 'call', userId: user, action: 'transfer-accepted', ...transfer },
    { atMs: at(0.62), type: 'call', userId: user, action: 'transfer-completed', ...transfer },
  ];
}

/**
 * A meeting's private chat group, for two or more participants: the host (participant 0) creates it
 * with participant 1 at 45 %; participant 2, when there is one, is added at 50 %; participant 1 goes to
 * a breakout room at 55 % and is back at 58 %, is removed at 65 %; the host deletes the group at 75 %.
 */
export function chatGroupSteps(
  userIds: readonly number[],
  durationMs: number,
  seed: number,
): ChatGroupStepEvent[] {
  const [host, member, third] = userIds;
  if (host === undefined || member === undefined) return [];
  const at = (share: number) => Math.floor(durationMs * share);
  const group = {
    type: 'chat-group' as const,
    groupId: `chat-group-${(seed >>> 0).toString(16)}-1`,
    groupName: 'Breakout planning',
    groupType: ChatGroupType.PRIVATE_CHAT_GROUP,
  };
  const steps: ChatGroupStepEvent[] = [
    { ...group, atMs: at(0.45), userId: host, op: 'create', members: [host, member] },
  ];
  if (third !== undefined)
    steps.push({ ...group, atMs: at(0.5), userId: host, op: 'members-add', members: [third] });
  steps.push(
    {
      ...group,
      atMs: at(0.55),
      userId: member,
      op: 'member-status',
      members: [member],
      status: ChatGroupMemberStatus.IN_BREAKOUT_ROOM,
    },
    {
      ...group,
      atMs: at(0.58),
      userId: member,
      op: 'member-status',
      members: [member],
      status: ChatGroupMemberStatus.IN_CHAT_GROUP,
    },
    { ...group, atMs: at(0.65), userId: host, op: 'members-delete', members: [member] },
    { ...group, atMs: at(0.75), userId: host, op: 'delete', members: [] },
  );
  return steps;
}

/** The AI engine Zoom's SDK names in its example. */
const INTERPRETER_ENGINE = 'zoom_ai';

function target(lid: number): InterpreterTargetScript {
  return {
    lid,
    toneId: 0,
    voiceId: `voice-${TranscriptLanguage[lid]?.toLowerCase() ?? lid}-1`,
    engine: INTERPRETER_ENGINE,
  };
}

/**
 * The AI interpreter: participant 0's English is interpreted into Spanish and French from the start,
 * and German is added at 50 %.
 */
export function interpretationSteps(speakerId: number, durationMs: number): InterpretationEvent[] {
  const first = [target(TranscriptLanguage.SPANISH), target(TranscriptLanguage.FRENCH_FRANCE)];
  const base = { type: 'interpretation' as const, userId: speakerId, sourceLid: TranscriptLanguage.ENGLISH };
  return [
    { ...base, atMs: 0, targets: first },
    { ...base, atMs: Math.floor(durationMs * 0.5), targets: [...first, target(TranscriptLanguage.GERMAN)] },
  ];
}
