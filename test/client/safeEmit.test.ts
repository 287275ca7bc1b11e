import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { safeEmit1, safeEmit2, trackListeners } from '../../src/client/safeEmit.js';

function setup() {
  const emitter = new EventEmitter();
  const tracker = trackListeners(emitter);
  const errors: [string, unknown][] = [];
  const emit = (name: string, a: unknown) =>
    safeEmit1(emitter, tracker, name, a, (n, c) => errors.push([n, c]));
  return { emitter, tracker, errors, emit };
}

describe('safeEmit over tracked listeners', () => {
  it('reaches every listener as they come and go, in order, once-listeners once', () => {
    const { emitter, tracker, emit } = setup();
    const seen: string[] = [];
    const a = (x: unknown) => seen.push(`a${x}`);
    const b = (x: unknown) => seen.push(`b${x}`);
    emitter.on('audio', a);
    emit('audio', 1);
    emitter.on('audio', b);
    emitter.once('audio', (x) => seen.push(`once${x}`));
    emit('audio', 2);
    emit('audio', 3);
    expect(tracker.counts.audio).toBe(2);
    emitter.off('audio', a);
    emit('audio', 4);
    emitter.prependListener('audio', a);
    emit('audio', 5);
    expect(seen).toEqual(['a1', 'a2', 'b2', 'once2', 'a3', 'b3', 'b4', 'a5', 'b5']);
  });

  it('keeps the list of an emit going on: a listener removed meanwhile still gets it, one added does not', () => {
    const { emitter, emit } = setup();
    const seen: string[] = [];
    const late = () => seen.push('late');
    const c = () => seen.push('c');
    emitter.on('x', () => {
      seen.push('a');
      emitter.off('x', c);
      emitter.on('x', late);
    });
    emitter.on('x', c);
    emit('x', 0);
    expect(seen).toEqual(['a', 'c']);
    seen.length = 0;
    emit('x', 0);
    expect(seen).toEqual(['a', 'late']);
  });

  it('sees a listener added from a newListener handler that emits before the add is done', () => {
    const { emitter, emit } = setup();
    const seen: string[] = [];
    emitter.on('x', () => seen.push('first'));
    let emitting = false;
    emitter.on('newListener', (name) => {
      if (name !== 'x' || emitting) return;
      emitting = true;
      emit('x', 0);
      emitting = false;
    });
    emitter.on('x', () => seen.push('second'));
    emit('x', 0);
    expect(seen).toEqual(['first', 'first', 'second']);
  });

  it('counts again after removeAllListeners, and reports a throwing listener without stopping the others', () => {
    const { emitter, tracker, errors } = setup();
    const seen: unknown[] = [];
    const boom = new Error('boom');
    emitter.on('y', () => {
      throw boom;
    });
    emitter.on('y', (a, b) => seen.push([a, b]));
    safeEmit2(emitter, tracker, 'y', 1, 2, (n, c) => errors.push([n, c]));
    expect(seen).toEqual([[1, 2]]);
    expect(errors).toEqual([['y', boom]]);
    emitter.removeAllListeners('y');
    expect(tracker.counts.y).toBe(0);
    safeEmit2(emitter, tracker, 'y', 3, 4, () => undefined);
    expect(seen).toEqual([[1, 2]]);
    emitter.on('y', (a, b) => seen.push([a, b]));
    emitter.on('y', (a, b) => seen.push([b, a]));
    safeEmit2(emitter, tracker, 'y', 5, 6, () => undefined);
    expect(seen).toEqual([
      [1, 2],
      [5, 6],
      [6, 5],
    ]);
  });
});
