import { describe, expect, it } from 'vitest';
import { dispatchEvent, TYPED_EVENT_TYPES } from '../../src/client/dispatch.js';
import type { RawEvent } from '../../src/client/events.js';
import { EventType } from '../../src/protocol/enums.js';
import type { EventPayload } from '../../src/protocol/messages.js';

const ALL_EVENT_TYPES = Object.values(EventType).filter((v): v is EventType => typeof v === 'number');

/** The event names one EVENT_UPDATE of `type` is emitted as, with every field a typed event may need. */
function emittedFor(type: EventType, zcc = false): string[] {
  const names: string[] = [];
  const event = {
    event_type: type,
    timestamp: 1_700_000_000_000,
    user_id: 16_778_240,
    user_name: 'Ada',
    participants: [{ user_id: 16_778_240, user_name: 'Ada' }],
  } as EventPayload;
  dispatchEvent(event, zcc ? 'contact_center' : 'meeting', (name, ..._args) => {
    names.push(name);
  });
  return names;
}

/** The raw `event` one EVENT_UPDATE of `type` is emitted as, and whether any typed event came with it. */
function rawFor(type: EventType, zcc = false, fields: Partial<EventPayload> = {}) {
  const raws: RawEvent[] = [];
  const typedNames: string[] = [];
  const event = { event_type: type, ...fields } as EventPayload;
  dispatchEvent(event, zcc ? 'contact_center' : 'meeting', (name, ...args) => {
    if (name === 'event') raws.push(args[0] as RawEvent);
    else typedNames.push(name);
  });
  expect(raws).toHaveLength(1);
  return { raw: raws[0]!, typedNames };
}

const TYPED_FIELDS: Partial<EventPayload> = {
  timestamp: 1_700_000_000_000,
  user_id: 16_778_240,
  user_name: 'Ada',
  participants: [{ user_id: 16_778_240, user_name: 'Ada' }],
};

describe('dispatchEvent and TYPED_EVENT_TYPES', () => {
  it.each(ALL_EVENT_TYPES)('event type %i has a typed event exactly when the set lists it', (type) => {
    const names = emittedFor(type);
    expect(names[0]).toBe('event');
    expect(names.length > 1).toBe(TYPED_EVENT_TYPES.has(type));
  });

  it('Contact Center events are only raw events', () => {
    for (const type of ALL_EVENT_TYPES) expect(emittedFor(type, true)).toEqual(['event']);
  });
});

describe('RawEvent.typed', () => {
  it.each(ALL_EVENT_TYPES)('event type %i: typed exactly when a typed event was emitted too', (type) => {
    const { raw, typedNames } = rawFor(type, false, TYPED_FIELDS);
    expect(raw.eventType).toBe(type);
    expect(raw.typed).toBe(TYPED_EVENT_TYPES.has(type));
    expect(raw.typed).toBe(typedNames.length > 0);
  });

  it.each(ALL_EVENT_TYPES)('event type %i in Contact Center: never typed', (type) => {
    const { raw, typedNames } = rawFor(type, true, TYPED_FIELDS);
    expect(raw.typed).toBe(false);
    expect(typedNames).toEqual([]);
  });

  it('is set by type: a first packet without a timestamp or a speaker without a user id is still typed', () => {
    const first = rawFor(EventType.FIRST_PACKET_TIMESTAMP);
    expect(first).toMatchObject({ raw: { typed: true }, typedNames: [] });
    const speaker = rawFor(EventType.ACTIVE_SPEAKER_CHANGE, false, { timestamp: 1 });
    expect(speaker).toMatchObject({ raw: { typed: true }, typedNames: [] });
  });

  it('carries the payload as received', () => {
    const fields = { timestamp: 5, user_id: 7 };
    const { raw } = rawFor(EventType.MEDIA_CONNECTION_INTERRUPTED, false, fields);
    expect(raw).toEqual({
      eventType: EventType.MEDIA_CONNECTION_INTERRUPTED,
      event: { event_type: EventType.MEDIA_CONNECTION_INTERRUPTED, ...fields },
      typed: false,
    });
  });
});
