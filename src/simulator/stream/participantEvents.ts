/** EVENT_UPDATE about the meeting: the subscriptions, the script's events as they happen, who is there. */
import { EventType, ZccVoiceEventType } from '../../protocol/enums.js';
import type { EventPayload } from '../../protocol/messages.js';
import type { Product } from '../../protocol/products.js';
import type { ScenarioEvent } from '../content/scenario.js';
import type { Timeline } from '../timeline.js';

export interface ParticipantEventsInit {
  product: Product;
  timeline: Timeline;
  /** Epoch ms of simulated time 0. */
  tsBase: number;
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
  private readonly subscriptions = new Set<number>();
  /** Simulated ms up to which the script has been played. */
  private cursorMs = 0;
  private lastActiveSpeaker: number | undefined;

  constructor(init: ParticipantEventsInit) {
    this.product = init.product;
    this.timeline = init.timeline;
    this.tsBase = init.tsBase;
    this.simNow = init.simNow;
    this.send = init.send;
  }

  private get zcc(): boolean {
    return this.product === 'contact_center';
  }

  /** EVENT_SUBSCRIPTION (msg 5). */
  subscribe(events: readonly { event_type: number; subscribe: boolean }[]): void {
    for (const { event_type, subscribe } of events) {
      const isNew = subscribe && !this.subscriptions.has(event_type);
      if (subscribe) this.subscriptions.add(event_type);
      else this.subscriptions.delete(event_type);
      if (isNew && event_type === EventType.PARTICIPANT_JOIN) this.announcePresent();
      if (isNew && event_type === EventType.PARTICIPANT_VIDEO_ON) this.announceVideoOn();
    }
  }

  /**
   * Plays the script up to simulated `now`. Events are sent only while someone `listening` is connected;
   * the ones missed meanwhile are not replayed.
   */
  advance(now: number, listening: boolean): void {
    if (now <= this.cursorMs) return;
    const events = this.timeline.eventsIn(this.cursorMs, now);
    this.cursorMs = now;
    if (!listening) return;
    for (const e of events) this.play(e);
  }

  /** At the end of the stream, everyone present leaves. */
  everyoneLeaves(timestamp: number): void {
    if (!this.subscribed(EventType.PARTICIPANT_LEAVE) || this.zcc) return;
    const present = this.timeline.presentAt(this.simNow()).map((p) => ({ user_id: p.userId }));
    this.send({ event_type: EventType.PARTICIPANT_LEAVE, timestamp, participants: present });
  }

  /** A new subscriber to joins learns who is already in the meeting. */
  private announcePresent(): void {
    if (this.zcc) return;
    const present = this.timeline.presentAt(this.simNow());
    if (present.length === 0) return;
    this.send({
      event_type: EventType.PARTICIPANT_JOIN,
      timestamp: Date.now(),
      participants: present.map((p) => ({ user_id: p.userId, user_name: p.userName })),
    });
  }

  /** A new subscriber to video-on learns whose video is already on. */
  private announceVideoOn(): void {
    if (this.zcc) return;
    const users = this.timeline.videoUsersAt(this.simNow());
    if (users.length === 0) return;
    this.send({
      event_type: EventType.PARTICIPANT_VIDEO_ON,
      timestamp: Date.now(),
      participants: users.map((user_id) => ({ user_id })),
    });
  }

  private subscribed(type: number): boolean {
    return this.subscriptions.has(type);
  }

  private play(e: ScenarioEvent): void {
    const p = this.timeline.participant(e.userId);
    const timestamp = this.tsBase + e.atMs;
    const zcc = this.zcc;
    const user = { user_id: e.userId, ...(p ? { user_name: p.userName } : {}) };
    switch (e.type) {
      case 'join': {
        if (zcc) {
          const type = p?.index === 0 ? ZccVoiceEventType.CONSUMER_ANSWERED : ZccVoiceEventType.USER_ANSWERED;
          if (this.subscribed(type))
            this.send({ event_type: type, event_ts: timestamp, paticipant_info: { ...user } });
        } else if (this.subscribed(EventType.PARTICIPANT_JOIN)) {
          this.send({ event_type: EventType.PARTICIPANT_JOIN, timestamp, participants: [user] });
        }
        break;
      }
      case 'leave': {
        if (zcc) {
          const type = p?.index === 0 ? ZccVoiceEventType.CONSUMER_END : ZccVoiceEventType.USER_END;
          if (this.subscribed(type))
            this.send({ event_type: type, event_ts: timestamp, paticipant_info: { ...user } });
        } else if (this.subscribed(EventType.PARTICIPANT_LEAVE)) {
          this.send({
            event_type: EventType.PARTICIPANT_LEAVE,
            timestamp,
            participants: [{ user_id: e.userId }],
          });
        }
        break;
      }
      case 'speak':
        if (this.lastActiveSpeaker !== e.userId) {
          this.lastActiveSpeaker = e.userId;
          if (!zcc && this.subscribed(EventType.ACTIVE_SPEAKER_CHANGE)) {
            this.send({ event_type: EventType.ACTIVE_SPEAKER_CHANGE, timestamp, ...user });
          }
        }
        break;
      case 'share-start':
        if (this.subscribed(EventType.SHARING_START))
          this.send({ event_type: EventType.SHARING_START, timestamp, ...user });
        break;
      case 'share-stop':
        if (this.subscribed(EventType.SHARING_STOP))
          this.send({ event_type: EventType.SHARING_STOP, timestamp });
        break;
      case 'video-on':
      case 'video-off': {
        const type = e.type === 'video-on' ? EventType.PARTICIPANT_VIDEO_ON : EventType.PARTICIPANT_VIDEO_OFF;
        if (!zcc && this.subscribed(type))
          this.send({ event_type: type, timestamp, participants: [{ user_id: e.userId }] });
        break;
      }
      case 'chat':
        break;
    }
  }
}
