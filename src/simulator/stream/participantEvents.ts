/**
 * EVENT_UPDATE about the meeting or call: the subscriptions, the script's events as they happen, who is
 * there. Meetings get participant, sharing, video and chat-group events; Contact Center its voice and
 * IVR events and Zoom Phone its call events (`voiceEvents.ts`) instead of meeting-style ones.
 */
import { EventType } from '../../protocol/enums.js';
import type { EventPayload, EventSubscriptionEntry } from '../../protocol/eventPayloads.js';
import type { Product } from '../../protocol/products.js';
import { AUDIO_BUFFER_MS } from '../../protocol/timing.js';
import type { ScenarioEvent } from '../content/scenario.js';
import type { Timeline } from '../timeline.js';
import { chatGroupEvent } from './chatGroupEvents.js';
import { phoneEvents, type VoiceContext, zccEvents } from './voiceEvents.js';

export interface ParticipantEventsInit {
  product: Product;
  timeline: Timeline;
  /** Epoch ms of simulated time 0. */
  tsBase: number;
  /** The app's account (Contact Center `participant_info.account_id`). */
  accountId: string;
  /** The instance id (Zoom Phone: the call id). */
  instanceId: string;
  /** Simulated ms since the stream started. */
  simNow: () => number;
  /** Sends EVENT_UPDATE on the stream's signaling socket, if it has one. */
  send: (event: EventPayload) => void;
}

export class ParticipantEvents {
  private readonly product: Product;
  private readonly timeline: Timeline;
  private readonly tsBase: number;
  private readonly simNow: () => number;
  private readonly send: (event: EventPayload) => void;
  private readonly voice: VoiceContext;
  private readonly subscriptions = new Set<number>();
  /** Simulated ms up to which the script has been played. */
  private cursorMs = 0;
  /**
   * Contact Center and Zoom Phone: what the call did before the app's first subscription (a caller
   * answers and goes through the IVR before any app is connected), sent when it subscribes, at most
   * {@link AUDIO_BUFFER_MS} of it. Zoom documents this for "consumer answered"; the simulator keeps the
   * rest of the call's start the same way. `undefined` once sent, and for meetings, whose new
   * subscribers learn who is there instead.
   */
  private backlog: ScenarioEvent[] | undefined;
  private lastActiveSpeaker: number | undefined;

  constructor(init: ParticipantEventsInit) {
    this.product = init.product;
    this.timeline = init.timeline;
    this.tsBase = init.tsBase;
    this.simNow = init.simNow;
    this.send = init.send;
    this.voice = {
      timeline: init.timeline,
      tsBase: init.tsBase,
      accountId: init.accountId,
      callId: init.instanceId,
    };
    if (this.voiceProduct) this.backlog = [];
  }

  /** Contact Center and Zoom Phone: voice events, never meeting-style participant events. */
  private get voiceProduct(): boolean {
    return this.product === 'contact_center' || this.product === 'phone';
  }

  /** EVENT_SUBSCRIPTION (msg 5); an entry may name its event by `event_type` or by V2 `event_code`. */
  subscribe(events: readonly EventSubscriptionEntry[]): void {
    for (const entry of events) {
      const type = entry.event_type ?? entry.event_code;
      if (type === undefined) continue;
      const isNew = entry.subscribe && !this.subscriptions.has(type);
      if (entry.subscribe) this.subscriptions.add(type);
      else this.subscriptions.delete(type);
      if (this.voiceProduct) continue;
      if (isNew && type === EventType.PARTICIPANT_JOIN) this.announcePresent();
      if (isNew && type === EventType.PARTICIPANT_VIDEO_ON) this.announceVideoOn();
    }
    const backlog = this.backlog;
    this.backlog = undefined;
    for (const e of backlog ?? []) this.play(e);
  }

  /**
   * Plays the script up to simulated `now`. Events are sent only while someone `listening` is connected;
   * the ones missed meanwhile are not replayed (but for a voice call's start, kept in the backlog).
   */
  advance(now: number, listening: boolean): void {
    if (now <= this.cursorMs) return;
    const events = this.timeline.eventsIn(this.cursorMs, now);
    this.cursorMs = now;
    if (this.backlog) {
      this.backlog.push(...events);
      const oldest = now - AUDIO_BUFFER_MS;
      while ((this.backlog[0]?.atMs ?? oldest) < oldest) this.backlog.shift();
      return;
    }
    if (!listening) return;
    for (const e of events) this.play(e);
  }

  /** At the end of the stream, everyone present leaves. */
  everyoneLeaves(timestamp: number): void {
    if (!this.subscribed(EventType.PARTICIPANT_LEAVE) || this.voiceProduct) return;
    const present = this.timeline.presentAt(this.simNow()).map((p) => ({ user_id: p.userId }));
    this.send({ event_type: EventType.PARTICIPANT_LEAVE, timestamp, participants: present });
  }

  /** A new subscriber to joins learns who is already in the meeting. */
  private announcePresent(): void {
    const present = this.timeline.presentAt(this.simNow());
    if (present.length === 0) return;
    this.send({
      event_type: EventType.PARTICIPANT_JOIN,
      timestamp: this.tsBase + this.simNow(),
      participants: present.map((p) => ({ user_id: p.userId, user_name: p.userName })),
    });
  }

  /** A new subscriber to video-on learns whose video is already on. */
  private announceVideoOn(): void {
    const users = this.timeline.videoUsersAt(this.simNow());
    if (users.length === 0) return;
    this.send({
      event_type: EventType.PARTICIPANT_VIDEO_ON,
      timestamp: this.tsBase + this.simNow(),
      participants: users.map((user_id) => ({ user_id })),
    });
  }

  private subscribed(type: number): boolean {
    return this.subscriptions.has(type);
  }

  /** One script event: what the product sends for it, when the app subscribed to its number. */
  private play(e: ScenarioEvent): void {
    const payloads =
      this.product === 'contact_center'
        ? zccEvents(e, this.voice)
        : this.product === 'phone'
          ? phoneEvents(e, this.voice)
          : this.meetingEvents(e);
    for (const event of payloads) {
      if (event.event_type !== undefined && this.subscribed(event.event_type)) this.send(event);
    }
  }

  private meetingEvents(e: ScenarioEvent): EventPayload[] {
    const timestamp = this.tsBase + e.atMs;
    const p = this.timeline.participant(e.userId);
    const user = { user_id: e.userId, ...(p ? { user_name: p.userName } : {}) };
    switch (e.type) {
      case 'join':
        return [{ event_type: EventType.PARTICIPANT_JOIN, timestamp, participants: [user] }];
      case 'leave':
        return [
          { event_type: EventType.PARTICIPANT_LEAVE, timestamp, participants: [{ user_id: e.userId }] },
        ];
      case 'speak':
        if (this.lastActiveSpeaker === e.userId) return [];
        this.lastActiveSpeaker = e.userId;
        return [{ event_type: EventType.ACTIVE_SPEAKER_CHANGE, timestamp, ...user }];
      case 'share-start':
        return [{ event_type: EventType.SHARING_START, timestamp, ...user }];
      case 'share-stop':
        return [{ event_type: EventType.SHARING_STOP, timestamp }];
      case 'video-on':
        return [
          { event_type: EventType.PARTICIPANT_VIDEO_ON, timestamp, participants: [{ user_id: e.userId }] },
        ];
      case 'video-off':
        return [
          { event_type: EventType.PARTICIPANT_VIDEO_OFF, timestamp, participants: [{ user_id: e.userId }] },
        ];
      case 'chat-group':
        return [chatGroupEvent(e, this.timeline, this.tsBase)];
      default:
        return [];
    }
  }
}
