/**
 * The one way rtmskit emits to application listeners: one that throws is reported and never breaks the
 * others or the socket loop. The media path emits tens of thousands of times a second, so listener counts
 * are kept as the listeners come and go, and the one- and two-argument forms build no array.
 */
import type { EventEmitter } from 'node:events';

/** Listeners per event name, kept current by the emitter's own `newListener`/`removeListener` events. */
export type ListenerCounts = Readonly<Record<string | symbol, number | undefined>>;

/** Reported for a listener that threw while `name` was emitted. */
export type ListenerErrorHandler = (name: string, cause: unknown) => void;

type Listener = (...args: unknown[]) => unknown;

/**
 * Starts counting the listeners of `emitter` per event, so that emitting costs a property read instead
 * of a `listenerCount` call. Listeners added before this call are counted too.
 */
export function trackListeners(emitter: EventEmitter): ListenerCounts {
  const counts: Record<string | symbol, number> = Object.create(null);
  const added = (name: string | symbol) => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  const removed = (name: string | symbol) => {
    counts[name] = Math.max(0, (counts[name] ?? 0) - 1);
  };
  const start = () => {
    for (const name of Object.keys(counts)) counts[name] = 0;
    for (const name of emitter.eventNames()) counts[name] = emitter.listenerCount(name);
    emitter.on('newListener', added);
    emitter.on('removeListener', removed);
  };
  start();
  // removeAllListeners() also removes the two listeners above, silently: count again afterwards.
  const removeAll = emitter.removeAllListeners.bind(emitter);
  emitter.removeAllListeners = (name?: string | symbol) => {
    removeAll(name);
    if (
      emitter.listeners('newListener').includes(added) &&
      emitter.listeners('removeListener').includes(removed)
    )
      return emitter;
    emitter.off('newListener', added);
    emitter.off('removeListener', removed);
    start();
    return emitter;
  };
  return counts;
}

/** Emits `name` with one argument to `count` listeners (see {@link trackListeners}), each on its own. */
export function safeEmit1(
  emitter: EventEmitter,
  count: number | undefined,
  name: string,
  a: unknown,
  onError: ListenerErrorHandler,
): void {
  if (!count) return;
  if (count === 1) {
    try {
      emitter.emit(name, a);
    } catch (cause) {
      onError(name, cause);
    }
    return;
  }
  for (const listener of emitter.rawListeners(name) as Listener[]) {
    try {
      listener.call(emitter, a);
    } catch (cause) {
      onError(name, cause);
    }
  }
}

/** {@link safeEmit1} with two arguments: the manager's `(ref, payload)`. */
export function safeEmit2(
  emitter: EventEmitter,
  count: number | undefined,
  name: string,
  a: unknown,
  b: unknown,
  onError: ListenerErrorHandler,
): void {
  if (!count) return;
  if (count === 1) {
    try {
      emitter.emit(name, a, b);
    } catch (cause) {
      onError(name, cause);
    }
    return;
  }
  for (const listener of emitter.rawListeners(name) as Listener[]) {
    try {
      listener.call(emitter, a, b);
    } catch (cause) {
      onError(name, cause);
    }
  }
}
