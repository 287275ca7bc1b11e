/**
 * The one way rtmskit emits to application listeners: one that throws is reported and never breaks the
 * others or the socket loop. The media path emits tens of thousands of times a second, so listener counts
 * and lists are kept as the listeners come and go, and the one- and two-argument forms build no array.
 */
import type { EventEmitter } from 'node:events';

type Listener = (...args: unknown[]) => unknown;

/** Listeners per event name, kept current by the emitter's own `newListener`/`removeListener` events. */
export interface ListenerCounts {
  readonly [name: string | symbol]: number | undefined;
}

/** What {@link trackListeners} keeps of an emitter. */
export interface ListenerTracker {
  /** How many listeners each event has now. */
  readonly counts: ListenerCounts;
  /**
   * The listeners of `name` as they are now, as `rawListeners` gives them: one array, never changed, until
   * the listeners of `name` change (an emit that is going through it is not disturbed by that).
   */
  listeners(name: string | symbol): readonly Listener[];
}

/** Reported for a listener that threw while `name` was emitted. */
export type ListenerErrorHandler = (name: string, cause: unknown) => void;

/**
 * Starts counting the listeners of `emitter` per event, so that emitting costs a property read instead
 * of a `listenerCount` call, and an emit to several listeners copies no list. Listeners added before this
 * call are counted too.
 */
export function trackListeners(emitter: EventEmitter): ListenerTracker {
  const counts: Record<string | symbol, number> = Object.create(null);
  let lists: Record<string | symbol, Listener[] | undefined> = Object.create(null);
  // `newListener` comes before the listener is in the list, so a list is only trusted while its length
  // is the count; one taken in between is taken again.
  const added = (name: string | symbol) => {
    counts[name] = (counts[name] ?? 0) + 1;
    lists[name] = undefined;
  };
  const removed = (name: string | symbol) => {
    counts[name] = Math.max(0, (counts[name] ?? 0) - 1);
    lists[name] = undefined;
  };
  const start = () => {
    lists = Object.create(null);
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
  return {
    counts,
    listeners: (name) => {
      const list = lists[name];
      if (list !== undefined && list.length === counts[name]) return list;
      const fresh = emitter.rawListeners(name) as Listener[];
      lists[name] = fresh;
      return fresh;
    },
  };
}

/** Emits `name` with one argument to its listeners (tracked by {@link trackListeners}), each on its own. */
export function safeEmit1(
  emitter: EventEmitter,
  tracker: ListenerTracker,
  name: string,
  a: unknown,
  onError: ListenerErrorHandler,
): void {
  const count = tracker.counts[name];
  if (!count) return;
  if (count === 1) {
    try {
      emitter.emit(name, a);
    } catch (cause) {
      onError(name, cause);
    }
    return;
  }
  for (const listener of tracker.listeners(name)) {
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
  tracker: ListenerTracker,
  name: string,
  a: unknown,
  b: unknown,
  onError: ListenerErrorHandler,
): void {
  const count = tracker.counts[name];
  if (!count) return;
  if (count === 1) {
    try {
      emitter.emit(name, a, b);
    } catch (cause) {
      onError(name, cause);
    }
    return;
  }
  for (const listener of tracker.listeners(name)) {
    try {
      listener.call(emitter, a, b);
    } catch (cause) {
      onError(name, cause);
    }
  }
}
