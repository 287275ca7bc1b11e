/** A live output's subscriber is sent to while it keeps up, dropped for while behind, cut off when stuck. */
import { describe, expect, it } from 'vitest';
import { BacklogGate } from '../../src/service/backlog.js';

describe('BacklogGate', () => {
  it('sends under the bound, drops over it, disconnects once over it for the stuck time', () => {
    let now = 0;
    const gate = new BacklogGate({ maxBytes: 1_000, stuckMs: 5_000 }, () => now);
    expect(gate.decide(0)).toBe('send');
    expect(gate.decide(1_000)).toBe('send');
    expect(gate.decide(1_001)).toBe('drop');
    now = 5_000;
    expect(gate.decide(50_000)).toBe('drop');
    now = 5_001;
    expect(gate.decide(50_000)).toBe('disconnect');
  });

  it('forgives a subscriber that caught up: the stuck time starts again', () => {
    let now = 0;
    const gate = new BacklogGate({ maxBytes: 10, stuckMs: 100 }, () => now);
    expect(gate.decide(11)).toBe('drop');
    now = 90;
    expect(gate.decide(5)).toBe('send');
    now = 150;
    expect(gate.decide(11)).toBe('drop');
    now = 240;
    expect(gate.decide(11)).toBe('drop');
    now = 251;
    expect(gate.decide(11)).toBe('disconnect');
  });
});
