/**
 * The meeting the simulator plays: who joins, speaks, chats, shares and leaves, and when. A scenario is
 * pure data computed from its options, so a test can predict every packet the simulator will send.
 *
 * @module
 */

import { RtmsError } from '../../protocol/errors.js';
import {
  type CallStepEvent,
  type ChatGroupStepEvent,
  callSteps,
  chatGroupSteps,
  type InterpretationEvent,
  type IvrStepEvent,
  interpretationSteps,
  ivrPhase,
} from './scenarioPhases.js';

/** A participant of a scenario. */
export interface ScenarioParticipant {
  /** Zoom user id: {@link FIRST_USER_ID} + index. */
  userId: number;
  userName: string;
  /** Position in `Scenario.participants`, from 0; picks the participant's tone (`toneHz`). */
  index: number;
}

/** One thing that happens in the meeting, at `atMs` milliseconds of simulated time from its start. */
export type ScenarioEvent =
  | { atMs: number; type: 'join'; userId: number }
  | { atMs: number; type: 'leave'; userId: number }
  /** One utterance, from `atMs` to `endMs` (exclusive); `text` is its transcript. */
  | { atMs: number; type: 'speak'; userId: number; endMs: number; text: string }
  | { atMs: number; type: 'chat'; userId: number; text: string; structured: boolean }
  | { atMs: number; type: 'share-start'; userId: number }
  | { atMs: number; type: 'share-stop'; userId: number }
  | { atMs: number; type: 'video-on'; userId: number }
  | { atMs: number; type: 'video-off'; userId: number }
  | IvrStepEvent
  | CallStepEvent
  | ChatGroupStepEvent
  | InterpretationEvent;

/** A whole meeting. */
export interface Scenario {
  participants: ScenarioParticipant[];
  /** Sorted by `atMs`; at equal times joins come first and leaves last (see {@link buildScenario}). */
  events: ScenarioEvent[];
  durationMs: number;
}

/** Options of {@link buildScenario}. */
export interface ScenarioOptions {
  /** How many people attend, at least 1. */
  participants: number;
  /** Length of the meeting; nothing happens at or after it. */
  durationMs: number;
  /** Varies join times, sentences, pauses and overlaps; 1 when omitted. */
  seed?: number;
  /** Contact Center: the caller goes through an IVR flow before the others (the agents) join. */
  ivr?: boolean;
  /** Zoom Phone: the call is held, resumed and transferred. */
  callEvents?: boolean;
  /** Meetings: a private chat group is created, changes and is deleted. */
  chatGroups?: boolean;
  /** The AI interpreter renders participant 0's speech into other languages. */
  interpretation?: boolean;
  /**
   * `turns` (default): turns with pauses and overlaps, as people talk. `continuous`: from the start, each
   * turn begins as the last one ends, so there is audio in every 20 ms of the meeting: what a recovery
   * benchmark needs, where a pause would be counted as time to recover.
   */
  speech?: SpeechPattern;
}

export type SpeechPattern = 'turns' | 'continuous';

/** User id of participant 0; the others count up from it. A realistic uint32 of Zoom's range. */
export const FIRST_USER_ID = 16_778_240;

/** Most participants a scenario holds: more than a test needs, few enough to stay fast. */
export const MAX_SCENARIO_PARTICIPANTS = 1000;

const NAMES = [
  'Ada Lovelace',
  'Grace Hopper',
  'Alan Turing',
  'Katherine Johnson',
  'Claude Shannon',
  'Margaret Hamilton',
  'Edsger Dijkstra',
  'Barbara Liskov',
  'Donald Knuth',
  'Radia Perlman',
] as const;

const SENTENCES = [
  'Good morning everyone, thanks for joining.',
  'Can everyone hear me all right?',
  "Let's start with a quick update on the release.",
  'The build is green and the tests pass.',
  'I think we should ship it on Thursday.',
  'We still have two open bugs in the importer.',
  'Could you share the numbers from last week?',
  'Latency went down by about twenty percent.',
  "That's great news, well done.",
  'I have a question about the migration plan.',
  'We can roll back within five minutes if needed.',
  "Let's take that offline after the call.",
  'Does anyone have concerns about the timeline?',
  'I will send the notes to the channel.',
  'The customer asked for a demo next month.',
  'Sounds good to me.',
  'Can you repeat the last point, please?',
  'We need one more reviewer for the pull request.',
  "I'll pick that up this afternoon.",
  "Let's wrap up, thanks everyone.",
] as const;

const CHAT_LINES = [
  'Slides are in the shared folder.',
  'Here is the link to the dashboard.',
  'Sorry, my connection dropped for a second.',
  '+1 to shipping on Thursday.',
] as const;

/** Utterance length bounds: short turns keep tests quick, long ones span many audio packets. */
const MIN_UTTERANCE_MS = 1500;
const MAX_UTTERANCE_MS = 4000;
/** Speaking pace used to size an utterance from its text. */
const MS_PER_WORD = 350;
/** Silence between turns: real gaps, where Zoom sends no multi-stream audio at all. */
const MIN_PAUSE_MS = 200;
const MAX_PAUSE_MS = 800;
/**
 * The meeting's last utterance may be cut at `durationMs`, if at least this much of it remains; it
 * keeps short test meetings from being silent.
 */
const MIN_CUT_UTTERANCE_MS = 500;
/** Chance that the next speaker starts before the current one finishes (two concurrent speakers). */
const OVERLAP_PROBABILITY = 0.15;
/** Chance that two speakers jump in before the current one finishes (three concurrent, Zoom's maximum). */
const CROSSTALK_PROBABILITY = 0.07;

/** Zoom's multi-stream audio carries at most three speakers per packet (RTMS-PROTOCOL §7). */
const MAX_CONCURRENT_SPEAKERS = 3;

/** Order of simultaneous events: someone joins before speaking, and speaks before leaving. */
const TYPE_ORDER: Readonly<Record<ScenarioEvent['type'], number>> = {
  join: 0,
  interpretation: 1,
  ivr: 2,
  'video-on': 3,
  'share-start': 4,
  speak: 5,
  chat: 6,
  'chat-group': 7,
  call: 8,
  'share-stop': 9,
  'video-off': 10,
  leave: 11,
};

/**
 * Builds the meeting script; the same options always give a deep-equal scenario.
 *
 * - Participant i has user id `FIRST_USER_ID + i` and a name from a fixed list (then `Participant N`).
 * - Participant 0 joins at 0 and turns video on; the others join within the first second
 *   (within a fifth of the meeting when it is shorter than 5 s).
 * - Once everyone is in, they speak in turn (round-robin) in utterances of 1.5–4 s separated by
 *   200–800 ms pauses. Now and then (seeded) the next speaker starts early, so two speak at once, and
 *   rarely two jump in together, so three do (Zoom's multi-stream limit). The turn order never
 *   changes; nobody speaks over themselves.
 * - Participant 1 shares the screen from 30 % to 60 % of the meeting; participant 0 sends a plain chat
 *   at 40 %; participant 1 a structured chat at 70 %.
 * - With 3 or more participants, the last one leaves at 80 % and has finished speaking by then.
 * - Nobody speaks at or after `durationMs`; the last utterance may be cut off there.
 * - The options' extras add the phases of `scenarioPhases.ts`: an IVR phase for participant 0 first
 *   (the others then join after it), call events, a chat group, the interpreter's languages.
 *
 * @throws RtmsError `INVALID_OPTIONS` for a participant count outside 1–1000 or a non-positive duration.
 */
export function buildScenario(options: ScenarioOptions): Scenario {
  const { participants: count, durationMs, seed = 1 } = options;
  if (!Number.isInteger(count) || count < 1 || count > MAX_SCENARIO_PARTICIPANTS) {
    throw RtmsError.invalidOptions(
      `scenario participants must be an integer from 1 to ${MAX_SCENARIO_PARTICIPANTS}, got ${count}`,
      'pass participants: 3 (or any count in range)',
    );
  }
  if (!Number.isInteger(durationMs) || durationMs < 1) {
    throw RtmsError.invalidOptions(
      `scenario durationMs must be a positive integer, got ${durationMs}`,
      'pass durationMs: 60_000 for a one-minute meeting',
    );
  }
  const random = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

  const participants: ScenarioParticipant[] = [];
  for (let index = 0; index < count; index++) {
    participants.push({
      userId: FIRST_USER_ID + index,
      userName: NAMES[index] ?? `Participant ${index + 1}`,
      index,
    });
  }
  const userId = (index: number): number => FIRST_USER_ID + index;

  const events: ScenarioEvent[] = [];
  const joinWindowMs = Math.min(1000, Math.floor(durationMs / 5));
  const ivr = options.ivr ? ivrPhase(userId(0), durationMs) : undefined;
  const othersFromMs = ivr?.endMs ?? 0;
  const joinedAt = participants.map((p) =>
    p.index === 0 ? 0 : othersFromMs + Math.floor(random() * joinWindowMs),
  );
  joinedAt.forEach((atMs, index) => {
    events.push({ atMs, type: 'join', userId: userId(index) });
  });
  events.push({ atMs: 0, type: 'video-on', userId: userId(0) });
  if (count >= 2) {
    // A second camera comes on and goes off again, so apps see both video events.
    events.push({ atMs: Math.floor(durationMs * 0.5), type: 'video-on', userId: userId(1) });
    events.push({ atMs: Math.floor(durationMs * 0.8), type: 'video-off', userId: userId(1) });
    events.push({ atMs: Math.floor(durationMs * 0.3), type: 'share-start', userId: userId(1) });
    events.push({ atMs: Math.floor(durationMs * 0.6), type: 'share-stop', userId: userId(1) });
  }
  events.push({
    atMs: Math.floor(durationMs * 0.4),
    type: 'chat',
    userId: userId(0),
    text: pick(CHAT_LINES),
    structured: false,
  });
  if (count >= 2) {
    events.push({
      atMs: Math.floor(durationMs * 0.7),
      type: 'chat',
      userId: userId(1),
      text: pick(CHAT_LINES),
      structured: true,
    });
  }
  const ids = participants.map((p) => p.userId);
  if (ivr) events.push(...ivr.events);
  if (options.callEvents) events.push(...callSteps(ids, durationMs));
  if (options.chatGroups) events.push(...chatGroupSteps(ids, durationMs, seed));
  if (options.interpretation) events.push(...interpretationSteps(userId(0), durationMs));
  const leaver = count >= 3 ? count - 1 : undefined;
  const leaveAtMs = Math.floor(durationMs * 0.8);
  if (leaver !== undefined) events.push({ atMs: leaveAtMs, type: 'leave', userId: userId(leaver) });

  const utterances = scheduleSpeech({
    continuous: options.speech === 'continuous',
    count,
    durationMs,
    joinedAt,
    leaver,
    leaveAtMs,
    random,
    pick,
  });
  for (const u of utterances) {
    events.push({ atMs: u.startMs, type: 'speak', userId: userId(u.index), endMs: u.endMs, text: u.text });
  }

  // Array.prototype.sort is stable, so equal keys keep the order they were pushed in.
  events.sort((a, b) => a.atMs - b.atMs || TYPE_ORDER[a.type] - TYPE_ORDER[b.type]);
  return { participants, events, durationMs };
}

interface Utterance {
  index: number;
  startMs: number;
  endMs: number;
  text: string;
}

interface SpeechPlan {
  continuous: boolean;
  count: number;
  durationMs: number;
  joinedAt: readonly number[];
  leaver: number | undefined;
  leaveAtMs: number;
  random: () => number;
  pick: <T>(list: readonly T[]) => T;
}

/**
 * Round-robin turns. Every turn starts at most 800 ms before the latest end so far, and every earlier
 * turn lasted at least 1.5 s, so starts only increase: the most concurrent speakers a new turn can
 * meet is at its start, and a turn that would be the fourth there is not taken.
 */
function scheduleSpeech(plan: SpeechPlan): Utterance[] {
  const { continuous, count, durationMs, joinedAt, leaver, leaveAtMs, random, pick } = plan;
  const utterances: Utterance[] = [];
  let turn = 0;
  // Continuous speech starts with participant 0, there from the start; turns once everyone is in.
  let latestEndMs = continuous ? 0 : Math.max(...joinedAt) + MIN_PAUSE_MS + Math.floor(random() * 300);
  let first = true;

  const place = (startMs: number): Utterance | undefined => {
    if (startMs + MIN_CUT_UTTERANCE_MS > durationMs) return undefined;
    // Starts only increase and no turn outlasts MAX_UTTERANCE_MS, so only the last few can still be on.
    const active: Utterance[] = [];
    for (let i = utterances.length - 1; i >= 0; i--) {
      const u = utterances[i] as Utterance;
      if (u.startMs <= startMs - MAX_UTTERANCE_MS) break;
      if (u.endMs > startMs) active.push(u);
    }
    if (active.length >= MAX_CONCURRENT_SPEAKERS) return undefined;
    const text = pick(SENTENCES);
    const words = text.split(' ').length;
    const lengthMs = clamp(
      words * MS_PER_WORD + Math.floor(random() * 500),
      MIN_UTTERANCE_MS,
      MAX_UTTERANCE_MS,
    );
    const endMs = Math.min(startMs + lengthMs, durationMs);
    for (let step = 0; step < count; step++) {
      const index = (turn + step) % count;
      const present = (joinedAt[index] ?? 0) <= startMs && (index !== leaver || endMs <= leaveAtMs);
      const busy = active.some((u) => u.index === index);
      if (present && !busy) {
        turn = index + 1;
        return { index, startMs, endMs, text };
      }
    }
    return undefined;
  };

  for (;;) {
    const roll = random();
    let starts: number[];
    if (first || continuous) {
      starts = [latestEndMs];
      first = false;
    } else if (count >= 3 && roll < CROSSTALK_PROBABILITY) {
      const earlier = 400 + Math.floor(random() * 400);
      const later = 100 + Math.floor(random() * (earlier - 200));
      starts = [latestEndMs - earlier, latestEndMs - later];
    } else if (count >= 2 && roll < CROSSTALK_PROBABILITY + OVERLAP_PROBABILITY) {
      starts = [latestEndMs - (200 + Math.floor(random() * 400))];
    } else {
      starts = [latestEndMs + MIN_PAUSE_MS + Math.floor(random() * (MAX_PAUSE_MS - MIN_PAUSE_MS + 1))];
    }
    let placedEndMs: number | undefined;
    for (const startMs of starts) {
      const utterance = place(startMs);
      if (utterance === undefined) continue;
      utterances.push(utterance);
      placedEndMs = Math.max(placedEndMs ?? 0, utterance.endMs);
    }
    if (placedEndMs === undefined) {
      // Nobody could take the turn: the meeting is over, or an early start found everyone busy.
      if ((starts[0] ?? durationMs) + MIN_CUT_UTTERANCE_MS > durationMs) break;
      // Continuous speech rolls nothing: wait a moment for a speaker, or the same turn fails forever.
      if (continuous) latestEndMs += MIN_PAUSE_MS;
      continue;
    }
    latestEndMs = Math.max(latestEndMs, placedEndMs);
    if (latestEndMs >= durationMs) break;
  }
  return utterances;
}

/**
 * The participants speaking at `atMs` (start inclusive, end exclusive), in the order they started;
 * empty during pauses.
 *
 * @remarks Scans the events: O(events) per call, fine for meetings of hours at one call per packet.
 */
export function speakersAt(scenario: Scenario, atMs: number): ScenarioParticipant[] {
  const speaking: ScenarioParticipant[] = [];
  for (const event of scenario.events) {
    if (event.atMs > atMs) break;
    if (event.type !== 'speak' || atMs >= event.endMs) continue;
    const participant = scenario.participants.find((p) => p.userId === event.userId);
    if (participant) speaking.push(participant);
  }
  return speaking;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** mulberry32: a small seeded PRNG, identical on every platform, so a seed always gives one meeting. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
