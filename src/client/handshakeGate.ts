/**
 * Bounds how many sockets handshake at once across many streams. When a thousand streams start or
 * resume together, three thousand sockets opening at the same instant overflow accept queues and time
 * out together, then retry together; in turns of a bounded size, each handshake finishes quickly.
 */
import { RtmsError } from '../protocol/errors.js';

/** Hands out handshake slots; `acquire` resolves with the function that gives the slot back. */
export interface HandshakeGate {
  acquire(signal: AbortSignal): Promise<() => void>;
}

/** Sockets a `StreamManager` lets handshake at once by default: 1,000 streams connect in a few seconds. */
export const DEFAULT_MAX_CONCURRENT_HANDSHAKES = 100;

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (err: RtmsError) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

/** A first-come, first-served gate of `limit` slots. */
export class HandshakeLimiter implements HandshakeGate {
  readonly limit: number;
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw RtmsError.invalidOptions(
        `maxConcurrentHandshakes must be a whole number of at least 1, not ${limit}`,
        `leave it unset for ${DEFAULT_MAX_CONCURRENT_HANDSHAKES}`,
      );
    }
    this.limit = limit;
  }

  /** Slots in use. */
  get inUse(): number {
    return this.active;
  }

  /** Handshakes waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(RtmsError.aborted('waiting for a handshake slot'));
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const at = this.waiting.indexOf(waiter);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(RtmsError.aborted('waiting for a handshake slot'));
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** A release function that works once, however often it is called. */
  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (!next) {
        this.active--;
        return;
      }
      next.signal.removeEventListener('abort', next.onAbort);
      next.resolve(this.releaser());
    };
  }
}
