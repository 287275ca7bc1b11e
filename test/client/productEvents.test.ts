/**
 * The client's product-specific events: Contact Center IVR events (both spellings of the party object),
 * Zoom Phone call events by V2 `event_code`, meeting chat groups, the AI interpreter's audio metadata,
 * the started webhook's custom fields, and default subscriptions per product. Unit-level through the
 * codec and `dispatchEvent`, then end to end against the simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dispatchEvent } from '../../src/client/dispatch.js';
import type { RawEvent, StreamEvents } from '../../src/client/events.js';
import { defaultEventsFor } from '../../src/client/options.js';
import { decodeFrame } from '../../src/protocol/codec.js';
import {
  ChatGroupMemberStatus,
  EventType,
  MessageType,
  PhoneCallEventCode,
  ZccVoiceEventType,
} from '../../src/protocol/enums.js';
import type { ServerMessage } from '../../src/protocol/messages.js';
import type { Product } from '../../src/protocol/products.js';
import { parseWebhookEvent } from '../../src/webhook/events.js';
import { Harness, waitUntil } from './harness.js';

type Emitted = { name: keyof StreamEvents; payload: unknown };

/** Decodes one EVENT_UPDATE frame and dispatches it as a stream of `product` would. */
function dispatchFrame(product: Product, event: Record<string, unknown>): Emitted[] {
  const decoded = decodeFrame(JSON.stringify({ msg_type: MessageType.EVENT_UPDATE, event }));
  if (!decoded.ok) throw new Error(`undecodable: ${decoded.error.message}`);
  const msg = decoded.message as Extract<ServerMessage, { msg_type: MessageType.EVENT_UPDATE }>;
  const out: Emitted[] = [];
  dispatchEvent(msg.event, product, (name, payload) => out.push({ name, payload }));
  return out;
}

function typedOf(emitted: Emitted[]): Emitted {
  const typed = emitted.filter((e) => e.name !== 'event');
  expect(typed).toHaveLength(1);
  return typed[0]!;
}

const ZCC_PARTY = {
  channel_id: '123abc',
  participant_mode: 'caller',
  queue_id: 'xqJE_cgERLyAJHYYL5LLeg',
  queue_name: 'My Queue',
  account_id: 'parent-account-id',
  division_id: 'division-id',
  phone_number: '+18005550101',
  user_id: 'customer-contact-id',
  display_name: 'Jane Doe',
};

const EXPECTED_PARTY = {
  channelId: '123abc',
  mode: 'caller',
  queueId: 'xqJE_cgERLyAJHYYL5LLeg',
  queueName: 'My Queue',
  accountId: 'parent-account-id',
  divisionId: 'division-id',
  phoneNumber: '+18005550101',
  userId: 'customer-contact-id',
  displayName: 'Jane Doe',
};

describe('Contact Center IVR events', () => {
  const TS = 1_727_384_349_123;

  it.each(['participant_info', 'paticipant_info'])('reads the party from %s', (key) => {
    const emitted = dispatchFrame('contact_center', {
      event_type: ZccVoiceEventType.FLOW_ENTER,
      event_ts: TS,
      flow_id: 'f-1',
      flow_name: 'Main Menu',
      [key]: ZCC_PARTY,
    });
    expect(emitted[0]).toMatchObject({ name: 'event', payload: { typed: true, eventType: 30 } });
    expect(typedOf(emitted)).toEqual({
      name: 'ivrFlowEnter',
      payload: { participant: EXPECTED_PARTY, timestamp: TS, flowId: 'f-1', flowName: 'Main Menu' },
    });
  });

  it('prefers the current spelling when both are present', () => {
    const emitted = dispatchFrame('contact_center', {
      event_type: ZccVoiceEventType.FLOW_EXIT,
      event_ts: TS,
      participant_info: { display_name: 'Current' },
      paticipant_info: { display_name: 'Old' },
    });
    expect(typedOf(emitted)).toMatchObject({
      name: 'ivrFlowExit',
      payload: { participant: { displayName: 'Current' } },
    });
  });

  it('types every IVR event with its own fields', () => {
    const base = { event_ts: TS, flow_id: 'f-1', participant_info: ZCC_PARTY };
    expect(
      typedOf(dispatchFrame('contact_center', { ...base, event_type: 31, flow_name: 'Main Menu' })),
    ).toMatchObject({
      name: 'ivrFlowExit',
      payload: { flowName: 'Main Menu', flowId: 'f-1' },
    });
    expect(typedOf(dispatchFrame('contact_center', { ...base, event_type: 32, digit: 7 }))).toEqual({
      name: 'ivrDtmf',
      payload: { participant: EXPECTED_PARTY, timestamp: TS, flowId: 'f-1', digit: '7' },
    });
    expect(
      typedOf(
        dispatchFrame('contact_center', {
          ...base,
          event_type: 33,
          widget_name: 'Hello',
          media_name: 'a.wav',
        }),
      ),
    ).toEqual({
      name: 'ivrPrompt',
      payload: {
        participant: EXPECTED_PARTY,
        timestamp: TS,
        flowId: 'f-1',
        widgetName: 'Hello',
        mediaName: 'a.wav',
      },
    });
    expect(
      typedOf(
        dispatchFrame('contact_center', { ...base, event_type: 34, widget_name: 'Menu', digits: '2#' }),
      ),
    ).toEqual({
      name: 'ivrInput',
      payload: {
        participant: EXPECTED_PARTY,
        timestamp: TS,
        flowId: 'f-1',
        widgetName: 'Menu',
        digits: '2#',
      },
    });
  });

  it('gives undefined for a field of an unexpected type, and keeps the raw event whole', () => {
    const emitted = dispatchFrame('contact_center', {
      event_type: 33,
      widget_name: 5,
      participant_info: { display_name: ['x'], account_id: 'a' },
    });
    const typed = typedOf(emitted).payload as StreamEvents['ivrPrompt'][0];
    expect(typed.widgetName).toBeUndefined();
    expect(typed.participant?.displayName).toBeUndefined();
    expect(typed.participant?.accountId).toBe('a');
    expect((emitted[0]!.payload as RawEvent).event.widget_name).toBe(5);
  });

  it('keeps the other voice events raw, with the participant in the raw payload', () => {
    const emitted = dispatchFrame('contact_center', {
      event_type: ZccVoiceEventType.USER_HOLD,
      event_ts: TS,
      participant_info: ZCC_PARTY,
    });
    expect(emitted).toEqual([
      {
        name: 'event',
        payload: {
          eventType: 12,
          event: { event_type: 12, event_ts: TS, participant_info: ZCC_PARTY },
          typed: false,
        },
      },
    ]);
  });
});

describe('Zoom Phone call events (event_code)', () => {
  const party = { display_name: 'Grace Hopper', phone_number: '+15550100001', participant_mode: 'callee' };

  it('decodes an EVENT_UPDATE that has only event_code, and refuses one with neither number', () => {
    const ok = decodeFrame('{"msg_type":6,"event":{"event_code":12,"timestamp":5}}');
    expect(ok.ok).toBe(true);
    const neither = decodeFrame('{"msg_type":6,"event":{"timestamp":5}}');
    expect(neither).toMatchObject({ ok: false, error: { code: 'INVALID_FIELD', field: 'event.event_type' } });
    const fractional = decodeFrame('{"msg_type":6,"event":{"event_code":1.5}}');
    expect(fractional).toMatchObject({
      ok: false,
      error: { code: 'INVALID_FIELD', field: 'event.event_code' },
    });
  });

  it('types hold, resume, answers, ends and transfers with their payload', () => {
    const base = { timestamp: 9, call_id: '7118251040744541735', participant_info: party };
    const hold = dispatchFrame('phone', { ...base, event_code: PhoneCallEventCode.USER_HOLD });
    expect(hold[0]).toEqual({
      name: 'event',
      payload: { eventType: 12, eventCode: 12, event: { ...base, event_code: 12 }, typed: true },
    });
    const expectedParty = {
      userId: undefined,
      displayName: 'Grace Hopper',
      phoneNumber: '+15550100001',
      channelId: undefined,
      mode: 'callee',
      queueId: undefined,
      queueName: undefined,
      accountId: undefined,
      divisionId: undefined,
    };
    expect(typedOf(hold)).toEqual({
      name: 'callHold',
      payload: { code: 12, callId: base.call_id, participant: expectedParty, timestamp: 9 },
    });
    expect(typedOf(dispatchFrame('phone', { ...base, event_code: 13 })).name).toBe('callResume');
    expect(typedOf(dispatchFrame('phone', { ...base, event_code: 8 }))).toMatchObject({
      name: 'callAnswered',
      payload: { party: 'consumer' },
    });
    expect(typedOf(dispatchFrame('phone', { ...base, event_code: 10 }))).toMatchObject({
      name: 'callAnswered',
      payload: { party: 'user' },
    });
    expect(typedOf(dispatchFrame('phone', { ...base, event_code: 11 }))).toMatchObject({
      name: 'callEnded',
      payload: { party: 'user' },
    });
    const transfer = dispatchFrame('phone', {
      ...base,
      event_code: PhoneCallEventCode.TRANSFER_COMPLETED,
      transfer_target: { phone_number: '+15550100199' },
    });
    expect(typedOf(transfer)).toMatchObject({
      name: 'callTransfer',
      payload: { stage: 'completed', code: 21, target: { phoneNumber: '+15550100199' } },
    });
    expect(typedOf(dispatchFrame('phone', { ...base, event_code: 18 }))).toMatchObject({
      payload: { stage: 'initiated' },
    });
  });

  it('accepts event_type for a phone event too, and types the first packet by code', () => {
    expect(typedOf(dispatchFrame('phone', { event_type: 12, timestamp: 1 })).name).toBe('callHold');
    expect(typedOf(dispatchFrame('phone', { event_code: 1, timestamp: 77 }))).toEqual({
      name: 'firstPacket',
      payload: { timestamp: 77 },
    });
  });

  it('leaves an event_code outside the known tables raw (meetings publish no code table)', () => {
    const meeting = dispatchFrame('meeting', { event_code: 3, timestamp: 1 });
    expect(meeting).toEqual([
      {
        name: 'event',
        payload: { eventType: 3, eventCode: 3, event: { event_code: 3, timestamp: 1 }, typed: false },
      },
    ]);
    expect(dispatchFrame('phone', { event_code: 99 })).toHaveLength(1);
  });
});

describe('chat-group events', () => {
  it('types create, members add and delete, status updates and delete', () => {
    const members = [
      { user_id: 16_778_240, user_name: 'Ada' },
      { user_id: '16778241', user_name: 'Grace' },
    ];
    expect(
      typedOf(
        dispatchFrame('meeting', {
          event_type: EventType.CHAT_GROUP_CREATE,
          timestamp: 3,
          chat_group_id: 'g-1',
          chat_group_name: 'Breakout',
          chat_group_type: 0,
          members,
        }),
      ),
    ).toEqual({
      name: 'chatGroupCreate',
      payload: {
        groupId: 'g-1',
        groupName: 'Breakout',
        groupType: 0,
        timestamp: 3,
        members: [
          { userId: 16_778_240, userName: 'Ada', status: undefined },
          { userId: '16778241', userName: 'Grace', status: undefined },
        ],
      },
    });
    expect(
      typedOf(dispatchFrame('meeting', { event_type: 12, chat_group_id: 'g-1', members: [{ user_id: 5 }] })),
    ).toMatchObject({ name: 'chatGroupMembersAdd', payload: { members: [{ userId: 5 }] } });
    expect(
      typedOf(
        dispatchFrame('meeting', { event_type: 13, chat_group_id: 'g-1', participants: [{ user_id: 5 }] }),
      ),
    ).toMatchObject({ name: 'chatGroupMembersDelete', payload: { members: [{ userId: 5 }] } });
    expect(
      typedOf(
        dispatchFrame('meeting', {
          event_type: 14,
          chat_group_id: 'g-1',
          user_id: 5,
          status: ChatGroupMemberStatus.IN_WAITING_ROOM,
        }),
      ),
    ).toMatchObject({ name: 'chatGroupMemberStatus', payload: { members: [{ userId: 5, status: 2 }] } });
    expect(
      typedOf(dispatchFrame('meeting', { event_type: 11, chat_group_ids: ['g-1', 'g-2'], timestamp: 4 })),
    ).toEqual({
      name: 'chatGroupDelete',
      payload: { groupIds: ['g-1', 'g-2'], timestamp: 4 },
    });
  });
});

describe('AI interpreter metadata (msg 23)', () => {
  function interpreterOf(content: unknown) {
    const decoded = decodeFrame(JSON.stringify({ msg_type: MessageType.META_DATA_AUDIO, content }));
    if (!decoded.ok) throw new Error(decoded.error.message);
    return decoded.message;
  }

  it('decodes snake_case and the SDK’s camelCase into one shape', () => {
    const snake = interpreterOf({
      ai_interpreter: {
        lid: 9,
        timestamp: 10,
        channel_num: 1,
        sample_rate: 16_000,
        targets: [{ lid: 28, tone_id: 0, voice_id: 'v', engine: 'zoom_ai' }],
      },
    });
    const camel = interpreterOf({
      aiInterpreter: {
        lid: 9,
        timestamp: 10,
        channelNum: 1,
        sampleRate: 16_000,
        targets: [{ lid: 28, toneId: 0, voiceId: 'v', engine: 'zoom_ai' }],
      },
    });
    expect(camel).toStrictEqual(snake);
    expect(snake).toStrictEqual({
      msg_type: 23,
      content: {
        ai_interpreter: {
          lid: 9,
          timestamp: 10,
          channel_num: 1,
          sample_rate: 16_000,
          targets: [{ lid: 28, tone_id: 0, voice_id: 'v', engine: 'zoom_ai' }],
        },
      },
    });
  });

  it('refuses more than 100 targets and a target without a language', () => {
    const targets = Array.from({ length: 101 }, () => ({ lid: 28 }));
    expect(
      decodeFrame(JSON.stringify({ msg_type: 23, content: { ai_interpreter: { lid: 9, targets } } })),
    ).toMatchObject({ ok: false, error: { code: 'INVALID_FIELD', field: 'content.ai_interpreter.targets' } });
    expect(
      decodeFrame(JSON.stringify({ msg_type: 23, content: { ai_interpreter: { lid: 9, targets: [{}] } } })),
    ).toMatchObject({ ok: false, error: { field: 'content.ai_interpreter.targets.0.lid' } });
    const hundred = Array.from({ length: 100 }, () => ({ lid: 28 }));
    expect(
      decodeFrame(JSON.stringify({ msg_type: 23, content: { ai_interpreter: { lid: 9, targets: hundred } } }))
        .ok,
    ).toBe(true);
  });
});

describe('webhook custom fields', () => {
  it('keeps custom_fields of contact_center.voice_rtms_started as a record', () => {
    const custom = { sip_call_id: 'abc@sip', 'X-Account': 42, nested: { a: 1 } };
    const parsed = parseWebhookEvent({
      event: 'contact_center.voice_rtms_started',
      event_ts: 1,
      payload: {
        engagement_id: 'engm_1',
        rtms_stream_id: 's',
        server_urls: 'wss://x.zoom.us',
        custom_fields: custom,
      },
    });
    expect(parsed).toMatchObject({ ok: true, event: { kind: 'started', customFields: custom } });
    const without = parseWebhookEvent({
      event: 'contact_center.voice_rtms_started',
      event_ts: 1,
      payload: {
        engagement_id: 'engm_1',
        rtms_stream_id: 's',
        server_urls: 'wss://x.zoom.us',
        custom_fields: 'x',
      },
    });
    expect(without.ok && without.event).not.toHaveProperty('customFields');
  });
});

describe('default subscriptions', () => {
  it('follow the product', () => {
    expect(defaultEventsFor('meeting', ['audio'])).toEqual([2, 3, 4, 5, 6, 8, 9]);
    expect(defaultEventsFor('meeting', ['audio', 'chat'])).toEqual([2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14]);
    expect(defaultEventsFor('contact_center', ['audio'])).toEqual(
      Array.from({ length: 27 }, (_, i) => i + 8),
    );
    expect(defaultEventsFor('phone', ['audio'])).toEqual([8, 9, 10, 11, 12, 13, 18, 19, 20, 21, 22, 23]);
  });
});

describe('against the simulator', () => {
  const harness = new Harness();
  afterEach(async () => {
    await harness.cleanup();
  });

  /** Collects every emission of `names` from a stream. */
  function collect(stream: { on(name: string, fn: (p: unknown) => void): unknown }, names: string[]) {
    const seen: Emitted[] = [];
    for (const name of names)
      stream.on(name, (payload) => seen.push({ name: name as keyof StreamEvents, payload }));
    return seen;
  }

  it('Contact Center: the IVR events arrive typed, with the caller read from participant_info', async () => {
    const sim = await harness.sim();
    const info = sim.startStream({ product: 'contact_center', participants: 2, durationMs: 600_000 });
    const stream = harness.stream(sim, info);
    const seen = collect(stream, [
      'ivrFlowEnter',
      'ivrPrompt',
      'ivrDtmf',
      'ivrInput',
      'ivrFlowExit',
      'event',
    ]);
    await stream.connect();
    await waitUntil(() => seen.some((e) => e.name === 'ivrFlowExit'), 3_000, 'flow exit');
    expect(seen.filter((e) => e.name !== 'event').map((e) => e.name)).toEqual([
      'ivrFlowEnter',
      'ivrPrompt',
      'ivrDtmf',
      'ivrDtmf',
      'ivrInput',
      'ivrFlowExit',
    ]);
    const input = seen.find((e) => e.name === 'ivrInput')!.payload as StreamEvents['ivrInput'][0];
    expect(input).toMatchObject({
      digits: '2#',
      widgetName: 'Menu Choice',
      flowId: 'flow-main-menu',
      participant: { mode: 'caller', displayName: 'Ada Lovelace', accountId: sim.credentials.accountId },
    });
    expect(input.participant?.divisionId).toEqual(expect.any(String));
    // The agent's answer has no typed event: it comes raw, after the flow exit.
    await waitUntil(
      () =>
        seen.some(
          (e) => e.name === 'event' && (e.payload as RawEvent).eventType === ZccVoiceEventType.USER_ANSWERED,
        ),
      3_000,
      'the agent answering',
    );
  });

  it('Zoom Phone: subscribes by event_code and emits typed call events', async () => {
    const sim = await harness.sim();
    const info = sim.startStream({ product: 'phone', participants: 2, durationMs: 20_000 });
    const stream = harness.stream(sim, info);
    const seen = collect(stream, ['callAnswered', 'callHold', 'callResume', 'callTransfer', 'firstPacket']);
    await stream.connect();
    await waitUntil(() => seen.filter((e) => e.name === 'callTransfer').length === 3, 3_000, 'the transfer');
    const names = seen.map((e) => e.name).filter((n) => n !== 'firstPacket');
    expect(names).toEqual([
      'callAnswered',
      'callAnswered',
      'callHold',
      'callResume',
      'callTransfer',
      'callTransfer',
      'callTransfer',
    ]);
    const hold = seen.find((e) => e.name === 'callHold')!.payload as StreamEvents['callHold'][0];
    expect(hold).toMatchObject({
      code: 12,
      callId: info.instanceId,
      participant: { displayName: 'Grace Hopper' },
    });
    const stages = seen
      .filter((e) => e.name === 'callTransfer')
      .map((e) => (e.payload as StreamEvents['callTransfer'][0]).stage);
    expect(stages).toEqual(['initiated', 'accepted', 'completed']);
    const target = (seen.find((e) => e.name === 'callTransfer')!.payload as StreamEvents['callTransfer'][0])
      .target;
    expect(target?.phoneNumber).toBe('+15550100199');
  });

  it('meetings: chat-group events arrive typed with chat media, and the interpreter with interpretation on', async () => {
    const sim = await harness.sim();
    const info = sim.startStream({ participants: 3, durationMs: 20_000, interpretation: true });
    const stream = harness.stream(sim, info, { media: ['audio', 'chat'] });
    const seen = collect(stream, [
      'chatGroupCreate',
      'chatGroupMembersAdd',
      'chatGroupMemberStatus',
      'chatGroupMembersDelete',
      'chatGroupDelete',
      'interpreter',
    ]);
    await stream.connect();
    await waitUntil(() => seen.some((e) => e.name === 'chatGroupDelete'), 3_000, 'the chat group deleted');
    const groups = seen.filter((e) => e.name !== 'interpreter');
    expect(groups.map((e) => e.name)).toEqual([
      'chatGroupCreate',
      'chatGroupMembersAdd',
      'chatGroupMemberStatus',
      'chatGroupMemberStatus',
      'chatGroupMembersDelete',
      'chatGroupDelete',
    ]);
    const created = groups[0]!.payload as StreamEvents['chatGroupCreate'][0];
    expect(created.members.map((m) => m.userName)).toEqual(['Ada Lovelace', 'Grace Hopper']);
    expect((groups[2]!.payload as StreamEvents['chatGroupMemberStatus'][0]).members[0]?.status).toBe(
      ChatGroupMemberStatus.IN_BREAKOUT_ROOM,
    );
    const interpreters = seen
      .filter((e) => e.name === 'interpreter')
      .map((e) => e.payload as StreamEvents['interpreter'][0]);
    expect(interpreters).toHaveLength(2);
    expect(interpreters[0]).toMatchObject({ lid: 9, channelNum: 1, sampleRate: 16_000 });
    expect(interpreters[1]!.targets.map((t) => t.lid)).toEqual([28, 13, 14]);
    expect(interpreters[1]!.targets[0]).toEqual({
      lid: 28,
      toneId: 0,
      voiceId: expect.any(String),
      engine: 'zoom_ai',
    });
  });
});
