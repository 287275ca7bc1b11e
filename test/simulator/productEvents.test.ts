/**
 * The simulator's product-specific events over real loopback sockets, driven by the bare client of
 * `rawClient.ts`: Contact Center `participant_info`, IVR events 30–34 and the started webhook's custom
 * fields; Zoom Phone's media kinds, webhooks and V2 `event_code` call events; meeting chat-group events
 * 10–14; AI-interpreter metadata (msg 23) when the script has interpretation on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimStreamInfo } from '../../src/simulator/index.js';
import { connectSignaling, type RawMessage, type RawSocket } from './rawClient.js';
import {
  connectStreamMedia,
  credsFor,
  idsOf,
  LONG_STREAM_MS,
  MSG,
  mediaUrlsOf,
  type OpenStream,
  openAudio,
  SimHarness,
  signalingUrlOf,
  TIME_SCALE,
  waitUntil,
} from './simHelpers.js';

const harness = new SimHarness();

afterEach(async () => {
  await harness.cleanup();
});

/** Contact Center voice event numbers, spelled out so the test does not lean on rtmskit's enums. */
const ZCC = {
  CONSUMER_ANSWERED: 8,
  CONSUMER_END: 9,
  USER_ANSWERED: 10,
  USER_END: 11,
  FLOW_ENTER: 30,
  FLOW_EXIT: 31,
  DTMF_INPUT: 32,
  SEND_MEDIA: 33,
  COLLECT_INPUT: 34,
} as const;
const IVR_EVENTS: readonly number[] = [
  ZCC.FLOW_ENTER,
  ZCC.FLOW_EXIT,
  ZCC.DTMF_INPUT,
  ZCC.SEND_MEDIA,
  ZCC.COLLECT_INPUT,
];

/** Zoom Phone codes (the SDK's "phone calls" constants, transfers 18–23). */
const PHONE = {
  FIRST_PACKET: 1,
  CONSUMER_ANSWERED: 8,
  USER_ANSWERED: 10,
  USER_END: 11,
  USER_HOLD: 12,
  USER_UNHOLD: 13,
  TRANSFER_INITIATED: 18,
  TRANSFER_ACCEPTED: 20,
  TRANSFER_COMPLETED: 21,
} as const;

const CHAT_GROUP = {
  CREATE: 10,
  DELETE: 11,
  MEMBERS_ADD: 12,
  MEMBERS_DELETE: 13,
  MEMBER_STATUS: 14,
} as const;
const META_DATA_AUDIO = 23;
/** ChatGroupMemberStatus. */
const IN_CHAT_GROUP = 0;
const IN_BREAKOUT_ROOM = 1;

/** A simulated stream short enough that its whole script plays in about a second of real time. */
const SHORT_STREAM_MS = 20_000;
const SHORT_STREAM_REAL_MS = SHORT_STREAM_MS / TIME_SCALE;

type EventBody = Record<string, unknown> & { event_type?: number; event_code?: number };

function eventsOf(socket: RawSocket): EventBody[] {
  return socket.ofType(MSG.EVENT_UPDATE).map((m) => m.event as EventBody);
}

/** Event numbers received, in order, of the ones in `numbers`. */
function numbersOf(
  socket: RawSocket,
  numbers: readonly number[],
  key: 'event_type' | 'event_code',
): number[] {
  return eventsOf(socket)
    .map((e) => e[key])
    .filter((n): n is number => typeof n === 'number' && numbers.includes(n));
}

/** Opens a stream's signaling and subscribes to `events`, by `event_type` or by V2 `event_code`. */
async function openSubscribed(
  info: SimStreamInfo,
  sim: Parameters<typeof credsFor>[0],
  events: readonly number[],
  key: 'event_type' | 'event_code' = 'event_type',
): Promise<OpenStream> {
  const creds = credsFor(sim, info.product);
  const ids = idsOf(info);
  const { socket, response } = await connectSignaling(signalingUrlOf(info), creds, ids, []);
  expect(response.status_code).toBe(0);
  socket.send({
    msg_type: MSG.EVENT_SUBSCRIPTION,
    events: events.map((n) => ({ [key]: n, subscribe: true })),
  });
  return { info, ids, creds, signaling: socket, response, urls: mediaUrlsOf(response) };
}

/**
 * A third-party client as Zoom's Contact Center samples write one: it reads the party from
 * `msg.event.participant_info` (the current reference's spelling) and nothing else.
 */
function zoomSampleParty(msg: RawMessage): string {
  const event = msg.event as { participant_info?: { display_name?: string; participant_mode?: string } };
  const info = event.participant_info;
  if (!info) throw new Error('no participant_info');
  return `${info.participant_mode}: ${info.display_name}`;
}

describe('Contact Center', () => {
  it('sends participant_info (with account_id and division_id), never the old paticipant_info', async () => {
    const { sim } = await harness.start();
    const info = sim.startStream({ product: 'contact_center', participants: 2, durationMs: LONG_STREAM_MS });
    const stream = await openSubscribed(info, sim, [ZCC.CONSUMER_ANSWERED, ZCC.USER_ANSWERED]);
    const answered = await stream.signaling.waitFor(
      (m) => m.msg_type === MSG.EVENT_UPDATE && (m.event as EventBody).event_type === ZCC.USER_ANSWERED,
    );
    const consumer = stream.signaling.received.find(
      (m) => m.msg_type === MSG.EVENT_UPDATE && (m.event as EventBody).event_type === ZCC.CONSUMER_ANSWERED,
    );
    if (!consumer) throw new Error('no consumer answered event');
    for (const msg of [consumer, answered]) {
      const event = msg.event as EventBody;
      expect(event).not.toHaveProperty('paticipant_info');
      expect(typeof event.event_ts).toBe('number');
      expect(event.participant_info).toMatchObject({
        account_id: sim.credentials.accountId,
        division_id: expect.any(String),
        queue_id: expect.any(String),
        queue_name: expect.any(String),
        channel_id: expect.stringMatching(/^channel-\d+$/),
        phone_number: expect.stringMatching(/^\+\d{11}$/),
        user_id: expect.any(Number),
        display_name: expect.any(String),
      });
    }
    expect(zoomSampleParty(consumer)).toBe('caller: Ada Lovelace');
    expect(zoomSampleParty(answered)).toBe('callee: Grace Hopper');
  });

  it('plays the IVR phase, 30–34 in the flow’s order, before the agent answers', async () => {
    const { sim } = await harness.start();
    const info = sim.startStream({ product: 'contact_center', participants: 2, durationMs: LONG_STREAM_MS });
    const stream = await openSubscribed(info, sim, [...IVR_EVENTS, ZCC.CONSUMER_ANSWERED, ZCC.USER_ANSWERED]);
    await stream.signaling.waitFor(
      (m) => m.msg_type === MSG.EVENT_UPDATE && (m.event as EventBody).event_type === ZCC.USER_ANSWERED,
    );
    const order = numbersOf(
      stream.signaling,
      [...IVR_EVENTS, ZCC.CONSUMER_ANSWERED, ZCC.USER_ANSWERED],
      'event_type',
    );
    expect(order).toEqual([
      ZCC.CONSUMER_ANSWERED,
      ZCC.FLOW_ENTER,
      ZCC.SEND_MEDIA,
      ZCC.DTMF_INPUT,
      ZCC.DTMF_INPUT,
      ZCC.COLLECT_INPUT,
      ZCC.FLOW_EXIT,
      ZCC.USER_ANSWERED,
    ]);
    const ivr = eventsOf(stream.signaling).filter((e) => IVR_EVENTS.includes(e.event_type ?? -1));
    const times = ivr.map((e) => e.event_ts as number);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    for (const e of ivr) {
      expect(e.flow_id).toBe('flow-main-menu');
      expect(e.flow_name).toBe('Main Menu');
      expect((e.participant_info as { participant_mode?: string }).participant_mode).toBe('caller');
    }
    const [, prompt, first, second, collected] = ivr;
    expect(prompt).toMatchObject({ widget_name: 'Welcome Prompt', media_name: 'welcome-menu.wav' });
    expect([first?.digit, second?.digit]).toEqual(['2', '#']);
    expect(collected).toMatchObject({ widget_name: 'Menu Choice', digits: '2#' });
  });

  it('sends nothing the app did not subscribe to', async () => {
    const { sim } = await harness.start();
    const info = sim.startStream({ product: 'contact_center', participants: 2, durationMs: LONG_STREAM_MS });
    const stream = await openSubscribed(info, sim, [ZCC.FLOW_EXIT, ZCC.USER_ANSWERED]);
    await stream.signaling.waitFor(
      (m) => m.msg_type === MSG.EVENT_UPDATE && (m.event as EventBody).event_type === ZCC.USER_ANSWERED,
    );
    expect(
      numbersOf(stream.signaling, [...IVR_EVENTS, ZCC.CONSUMER_ANSWERED, ZCC.USER_ANSWERED], 'event_type'),
    ).toEqual([ZCC.FLOW_EXIT, ZCC.USER_ANSWERED]);
  });

  it('puts the SIP custom fields in contact_center.voice_rtms_started', async () => {
    const { sim, webhooks } = await harness.start();
    const info = sim.startStream({ product: 'contact_center', durationMs: LONG_STREAM_MS });
    const started = await webhooks.waitFor('started');
    expect(started.event).toBe('contact_center.voice_rtms_started');
    expect(started.payload.engagement_id).toBe(info.instanceId);
    const fields = started.payload.custom_fields as Record<string, unknown>;
    expect(fields).toMatchObject({
      sip_call_id: expect.stringContaining('@'),
      sip_from: expect.stringMatching(/^sip:\+\d+@/),
      sip_to: expect.stringMatching(/^sip:\+\d+@/),
      x_customer_id: expect.stringMatching(/^CUST-/),
    });
    expect(JSON.parse(started.body.toString('utf8')).payload.custom_fields).toEqual(fields);
    const meeting = sim.startStream({ durationMs: LONG_STREAM_MS });
    await webhooks.waitFor('started', 2);
    expect(webhooks.of('started', meeting.streamId)[0]?.payload).not.toHaveProperty('custom_fields');
  });
});

describe('Zoom Phone', () => {
  it('sends phone.rtms_started/_stopped keyed by call_id and offers only audio and transcript', async () => {
    const { sim, webhooks } = await harness.start();
    const info = sim.startStream({ product: 'phone', durationMs: LONG_STREAM_MS });
    expect(info.instanceKey).toBe('call_id');
    expect(info.instanceId).toMatch(/^[1-9]\d{18}$/);
    const started = await webhooks.waitFor('started');
    expect(started.event).toBe('phone.rtms_started');
    expect(started.payload).toMatchObject({ call_id: info.instanceId, rtms_stream_id: info.streamId });
    expect(started.payload).not.toHaveProperty('meeting_uuid');

    const stream = await openSubscribed(info, sim, []);
    expect(Object.keys(stream.urls).sort()).toEqual(['all', 'audio', 'transcript']);
    const video = await connectStreamMedia(stream, 'all', 2);
    expect(video.response.status_code).toBe(10); // STATUS_MEDIA_TYPE_VIDEO_NOT_SUPPORT
    const share = await connectStreamMedia(stream, 'all', 4);
    expect(share.response.status_code).toBe(11); // STATUS_MEDIA_TYPE_DESKSHARE_NOT_SUPPORT
    const chat = await connectStreamMedia(stream, 'all', 16);
    expect(chat.response.status_code).toBe(13); // STATUS_MEDIA_TYPE_CHAT_NOT_SUPPORT
    const all = await connectStreamMedia(stream, 'all', 32);
    expect(all.response.status_code).toBe(0);
    expect(Object.keys(all.response.media_params as object).sort()).toEqual(['audio', 'transcript']);

    sim.stopStream(info.streamId);
    const stopped = await webhooks.waitFor('stopped');
    expect(stopped.event).toBe('phone.rtms_stopped');
    expect(stopped.payload).toMatchObject({ call_id: info.instanceId, stop_reason: 1 });
  });

  it('sends phone.rtms_interrupted when signaling breaks', async () => {
    const { sim, webhooks } = await harness.start();
    const info = sim.startStream({ product: 'phone', durationMs: LONG_STREAM_MS });
    const stream = await openSubscribed(info, sim, []);
    stream.signaling.terminate();
    const interrupted = await webhooks.waitFor('interrupted');
    expect(interrupted.event).toBe('phone.rtms_interrupted');
    expect(interrupted.payload).toEqual({ call_id: info.instanceId, rtms_stream_id: info.streamId });
  });

  it('sends call events with event_code only: answer, hold, resume, transfer', async () => {
    const { sim } = await harness.start();
    const info = sim.startStream({ product: 'phone', participants: 3, durationMs: SHORT_STREAM_MS });
    const codes = [
      PHONE.CONSUMER_ANSWERED,
      PHONE.USER_ANSWERED,
      PHONE.USER_HOLD,
      PHONE.USER_UNHOLD,
      PHONE.TRANSFER_INITIATED,
      PHONE.TRANSFER_ACCEPTED,
      PHONE.TRANSFER_COMPLETED,
      PHONE.USER_END,
    ];
    const stream = await openSubscribed(info, sim, codes, 'event_code');
    await stream.signaling.waitFor(
      (m) => m.msg_type === MSG.EVENT_UPDATE && (m.event as EventBody).event_code === PHONE.USER_END,
      SHORT_STREAM_REAL_MS * 3,
    );
    const events = eventsOf(stream.signaling);
    for (const e of events) expect(e).not.toHaveProperty('event_type');
    const order = numbersOf(stream.signaling, codes, 'event_code');
    expect(order).toEqual([
      PHONE.CONSUMER_ANSWERED, // participant 0, the far end, is there from the start
      PHONE.USER_ANSWERED,
      PHONE.USER_ANSWERED, // the third participant joins, answering too
      PHONE.USER_HOLD,
      PHONE.USER_UNHOLD,
      PHONE.TRANSFER_INITIATED,
      PHONE.TRANSFER_ACCEPTED,
      PHONE.TRANSFER_COMPLETED,
      PHONE.USER_END,
    ]);
    const hold = events.find((e) => e.event_code === PHONE.USER_HOLD);
    expect(hold).toMatchObject({
      call_id: info.instanceId,
      participant_info: { display_name: 'Grace Hopper' },
    });
    const completed = events.find((e) => e.event_code === PHONE.TRANSFER_COMPLETED);
    expect(completed?.transfer_target).toMatchObject({ display_name: 'Alan Turing' });
    // No meeting-style participant or speaker events, whatever the app asks for.
    expect(events.some((e) => e.event_code === 2 || e.event_code === 3)).toBe(false);
  });

  it('names even the universal events by event_code', async () => {
    const { sim } = await harness.start();
    const info = sim.startStream({ product: 'phone', durationMs: LONG_STREAM_MS });
    const stream = await openSubscribed(info, sim, [], 'event_code');
    const audio = await openAudio(stream);
    await audio.waitForCount(MSG.AUDIO, 1);
    audio.terminate();
    const interrupted = await stream.signaling.waitFor(
      (m) => m.msg_type === MSG.EVENT_UPDATE && (m.event as EventBody).event_code === 7,
    );
    expect(interrupted.event).not.toHaveProperty('event_type');
  });
});

describe('meeting chat groups', () => {
  const ALL_CHAT_GROUP: readonly number[] = Object.values(CHAT_GROUP);

  it('arrive when subscribed: created, members added, status changes, members removed, deleted', async () => {
    const { sim } = await harness.start();
    const info = sim.startStream({ participants: 3, durationMs: SHORT_STREAM_MS });
    const stream = await openSubscribed(info, sim, ALL_CHAT_GROUP);
    await stream.signaling.waitFor(
      (m) => m.msg_type === MSG.EVENT_UPDATE && (m.event as EventBody).event_type === CHAT_GROUP.DELETE,
      SHORT_STREAM_REAL_MS * 3,
    );
    expect(numbersOf(stream.signaling, ALL_CHAT_GROUP, 'event_type')).toEqual([
      CHAT_GROUP.CREATE,
      CHAT_GROUP.MEMBERS_ADD,
      CHAT_GROUP.MEMBER_STATUS,
      CHAT_GROUP.MEMBER_STATUS,
      CHAT_GROUP.MEMBERS_DELETE,
      CHAT_GROUP.DELETE,
    ]);
    const [created, added, away, back, removed, deleted] = eventsOf(stream.signaling).filter((e) =>
      ALL_CHAT_GROUP.includes(e.event_type ?? -1),
    );
    const groupId = created?.chat_group_id;
    expect(groupId).toEqual(expect.any(String));
    expect(created).toMatchObject({
      chat_group_name: 'Breakout planning',
      chat_group_type: 0,
      members: [
        { user_id: 16_778_240, user_name: 'Ada Lovelace' },
        { user_id: 16_778_241, user_name: 'Grace Hopper' },
      ],
    });
    expect(added).toMatchObject({ chat_group_id: groupId, members: [{ user_id: 16_778_242 }] });
    expect(away).toMatchObject({ members: [{ user_id: 16_778_241, status: IN_BREAKOUT_ROOM }] });
    expect(back).toMatchObject({ members: [{ user_id: 16_778_241, status: IN_CHAT_GROUP }] });
    expect(removed).toMatchObject({ chat_group_id: groupId, members: [{ user_id: 16_778_241 }] });
    expect(deleted).toMatchObject({ chat_group_ids: [groupId] });
    for (const e of [created, added, away, back, removed, deleted])
      expect(typeof e?.timestamp).toBe('number');
  });

  it('are not sent without a subscription', async () => {
    const { sim } = await harness.start();
    const info = sim.startStream({ participants: 3, durationMs: SHORT_STREAM_MS });
    const stream = await openSubscribed(info, sim, [4]);
    await stream.signaling.waitFor(
      (m) => m.msg_type === MSG.EVENT_UPDATE && (m.event as EventBody).event_type === 4,
      SHORT_STREAM_REAL_MS * 3,
    );
    expect(numbersOf(stream.signaling, ALL_CHAT_GROUP, 'event_type')).toEqual([]);
  });
});

describe('AI interpreter metadata', () => {
  interface Interpreter {
    lid: number;
    timestamp: number;
    channel_num: number;
    sample_rate: number;
    targets: { lid: number; tone_id: number; voice_id: string; engine: string }[];
  }
  const interpreterOf = (m: RawMessage) => (m.content as { ai_interpreter: Interpreter }).ai_interpreter;

  it('arrives on the audio socket when interpretation is on: the state at connect, then each change', async () => {
    const { sim } = await harness.start();
    const info = sim.startStream({ durationMs: SHORT_STREAM_MS, interpretation: true });
    const stream = await openSubscribed(info, sim, []);
    const audio = await openAudio(stream, { audio: { sample_rate: 3, channel: 1, codec: 1 } });
    await audio.waitForCount(META_DATA_AUDIO, 2, SHORT_STREAM_REAL_MS * 3);
    const [first, changed] = audio.ofType(META_DATA_AUDIO).map(interpreterOf);
    expect(first).toMatchObject({ lid: 9, channel_num: 1, sample_rate: 48_000 });
    expect(first?.targets.map((t) => t.lid)).toEqual([28, 13]);
    for (const t of first?.targets ?? []) {
      expect(t).toEqual({ lid: t.lid, tone_id: 0, voice_id: expect.any(String), engine: 'zoom_ai' });
    }
    expect(changed?.targets.map((t) => t.lid)).toEqual([28, 13, 14]);
    expect(changed!.timestamp).toBeGreaterThan(first!.timestamp);
    expect(changed!.targets.length).toBeLessThanOrEqual(100);
    expect(stream.signaling.ofType(META_DATA_AUDIO)).toEqual([]);
  });

  it('is never sent with interpretation off', async () => {
    const { sim } = await harness.start();
    const info = sim.startStream({ durationMs: SHORT_STREAM_MS });
    const stream = await openSubscribed(info, sim, []);
    const audio = await openAudio(stream);
    await audio.waitForCount(MSG.AUDIO, 20);
    await waitUntil(() => audio.closeCode !== undefined, SHORT_STREAM_REAL_MS * 3, 'the end of the stream');
    expect(audio.ofType(META_DATA_AUDIO)).toEqual([]);
  });

  it('can be turned on for every stream with the simulator option', async () => {
    const { sim } = await harness.start({ interpretation: true });
    const info = sim.startStream({ product: 'contact_center', durationMs: LONG_STREAM_MS });
    const stream = await openSubscribed(info, sim, []);
    const audio = await openAudio(stream);
    const meta = await audio.waitForType(META_DATA_AUDIO);
    expect(interpreterOf(meta)).toMatchObject({ lid: 9, sample_rate: 16_000, channel_num: 1 });
  });
});
