/**
 * Emitting to application listeners without letting one of them break the others or the caller.
 */
import type { EventEmitter } from 'node:events';

/**
 * Calls every listener of `name`, each on its own: one that throws is reported through `onError` and the
 * others still run. With a single listener (the media hot path) it costs one `emit`.
 */
export function safeEmit(
  emitter: EventEmitter,
  name: string,
  args: readonly unknown[],
  onError: (cause: unknown) => void,
): void {
  if (emitter.listenerCount(name) <= 1) {
    try {
      emitter.emit(name, ...args);
    } catch (cause) {
      onError(cause);
    }
    return;
  }
  for (const listener of emitter.rawListeners(name) as ((...a: unknown[]) => unknown)[]) {
    try {
      listener.apply(emitter, args as unknown[]);
    } catch (cause) {
      onError(cause);
    }
  }
}
