/**
 * Time-indexed views of a scenario, so media for any past moment (buffered audio, a reconnect backlog)
 * is generated exactly as it would have been live.
 */
import type { Scenario, ScenarioEvent, ScenarioParticipant } from './content/scenario.js';

type Interval = readonly [startMs: number, endMs: number];

export interface Utterance {
  participant: ScenarioParticipant;
  startMs: number;
  endMs: number;
  text: string;
}

export class Timeline {
  readonly scenario: Scenario;
  readonly utterances: readonly Utterance[];
  private readonly byUser = new Map<number, ScenarioParticipant>();
  private readonly video = new Map<number, Interval[]>();
  private readonly shares: { userId: number; interval: Interval }[] = [];
  /** Longest utterance: how far back a lookup must scan for one still going on. */
  private readonly maxUtteranceMs: number;

  constructor(scenario: Scenario) {
    this.scenario = scenario;
    for (const p of scenario.participants) this.byUser.set(p.userId, p);
    const utterances: Utterance[] = [];
    const videoOn = new Map<number, number>();
    const shareOn = new Map<number, number>();
    const end = scenario.durationMs;
    for (const e of scenario.events) {
      switch (e.type) {
        case 'speak': {
          const participant = this.byUser.get(e.userId);
          if (participant) utterances.push({ participant, startMs: e.atMs, endMs: e.endMs, text: e.text });
          break;
        }
        case 'video-on':
          videoOn.set(e.userId, e.atMs);
          break;
        case 'video-off':
        case 'leave': {
          const from = videoOn.get(e.userId);
          if (from !== undefined) this.pushInterval(this.video, e.userId, [from, e.atMs]);
          videoOn.delete(e.userId);
          if (e.type === 'leave') this.closeShare(shareOn, e.userId, e.atMs);
          break;
        }
        case 'share-start':
          shareOn.set(e.userId, e.atMs);
          break;
        case 'share-stop':
          this.closeShare(shareOn, e.userId, e.atMs);
          break;
        default:
          break;
      }
    }
    for (const [userId, from] of videoOn) this.pushInterval(this.video, userId, [from, end]);
    for (const [userId, from] of shareOn) this.shares.push({ userId, interval: [from, end] });
    utterances.sort((a, b) => a.startMs - b.startMs);
    this.utterances = utterances;
    this.maxUtteranceMs = utterances.reduce((max, u) => Math.max(max, u.endMs - u.startMs), 0);
  }

  /** Index of the first utterance starting after `atMs` (binary search: media is generated per frame). */
  private utteranceAfter(atMs: number): number {
    let lo = 0;
    let hi = this.utterances.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.utterances[mid]?.startMs ?? 0) <= atMs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first scenario event at or after `atMs`. */
  private eventAt(atMs: number): number {
    const events = this.scenario.events;
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((events[mid]?.atMs ?? 0) < atMs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Utterances whose end falls in `[fromMs, toMs)`, in start order. */
  utterancesEndingIn(fromMs: number, toMs: number): Utterance[] {
    const out: Utterance[] = [];
    const last = this.utteranceAfter(toMs);
    for (let i = this.utteranceAfter(fromMs - this.maxUtteranceMs - 1); i < last; i++) {
      const u = this.utterances[i];
      if (u && u.endMs >= fromMs && u.endMs < toMs) out.push(u);
    }
    return out;
  }

  private pushInterval(map: Map<number, Interval[]>, userId: number, interval: Interval): void {
    const list = map.get(userId) ?? [];
    list.push(interval);
    map.set(userId, list);
  }

  private closeShare(open: Map<number, number>, userId: number, atMs: number): void {
    const from = open.get(userId);
    if (from !== undefined) this.shares.push({ userId, interval: [from, atMs] });
    open.delete(userId);
  }

  participant(userId: number): ScenarioParticipant | undefined {
    return this.byUser.get(userId);
  }

  /** Who is speaking at `atMs` (end exclusive), in order of who started first. */
  speakersAt(atMs: number): ScenarioParticipant[] {
    const out: ScenarioParticipant[] = [];
    const end = this.utteranceAfter(atMs);
    for (let i = this.utteranceAfter(atMs - this.maxUtteranceMs - 1); i < end; i++) {
      const u = this.utterances[i];
      if (u && atMs < u.endMs && !out.includes(u.participant)) out.push(u.participant);
    }
    return out;
  }

  /** The most recent speaker to start talking at or before `atMs`. */
  activeSpeakerAt(atMs: number): ScenarioParticipant | undefined {
    return this.utterances[this.utteranceAfter(atMs) - 1]?.participant;
  }

  videoOn(userId: number, atMs: number): boolean {
    return (this.video.get(userId) ?? []).some(([from, to]) => atMs >= from && atMs < to);
  }

  /** Users with video on at `atMs`. */
  videoUsersAt(atMs: number): number[] {
    const out: number[] = [];
    for (const [userId, intervals] of this.video) {
      if (intervals.some(([from, to]) => atMs >= from && atMs < to)) out.push(userId);
    }
    return out;
  }

  /** Who is sharing their screen at `atMs`. */
  sharerAt(atMs: number): number | undefined {
    return this.shares.find(({ interval: [from, to] }) => atMs >= from && atMs < to)?.userId;
  }

  /** Participants who joined at or before `atMs` and had not left. */
  presentAt(atMs: number): ScenarioParticipant[] {
    const present = new Set<number>();
    for (const e of this.scenario.events) {
      if (e.atMs > atMs) break;
      if (e.type === 'join') present.add(e.userId);
      else if (e.type === 'leave') present.delete(e.userId);
    }
    return this.scenario.participants.filter((p) => present.has(p.userId));
  }

  /** Scenario events in `[fromMs, toMs)`. */
  eventsIn(fromMs: number, toMs: number): ScenarioEvent[] {
    const events = this.scenario.events;
    const out: ScenarioEvent[] = [];
    for (let i = this.eventAt(fromMs); i < events.length; i++) {
      const e = events[i];
      if (!e || e.atMs >= toMs) break;
      out.push(e);
    }
    return out;
  }
}
