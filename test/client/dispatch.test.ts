import { describe, expect, it } from 'vitest';
import { dispatchEvent, TYPED_EVENT_TYPES } from '../../src/client/dispatch.js';
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
  dispatchEvent(event, zcc, (name, ..._args) => {
    names.push(name);
  });
  return names;
}

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
