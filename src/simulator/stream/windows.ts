/** Every wait Zoom runs for a stream: the signaling window, the media windows, each socket's keep-alive. */
import { type MediaKind, StopReason } from '../../protocol/enums.js';
import type { Timing } from '../options.js';
import type { SimStreamState } from '../report.js';
import type { SimSocket } from '../SimSocket.js';

/** Which window ran out, and the stop reason Zoom ends the stream with. */
export type WindowExpired = (window: 'signaling' | 'media', reason: StopReason) => void;

/** Zoom's wait for a lost media connection; recovered when every kind it carried is connected again. */
interface MediaWindow {
  timer: NodeJS.Timeout;
  /** Kinds still to come back. */
  pending: Set<MediaKind>;
  lost: readonly MediaKind[];
  /** False when the loss was part of a signaling interruption, already counted when signaling came back. */
  countsRecovery: boolean;
}

function stopReasonOf(byKeepAlive: boolean): StopReason {
  return byKeepAlive ? StopReason.KEEP_ALIVE_TIMEOUT : StopReason.AWAIT_RECONNECTION_TIMEOUT;
}

/**
 * The one owner of a stream's timers. A window opened after a keep-alive timeout ends the stream with
 * KEEP_ALIVE_TIMEOUT (24), any other with AWAIT_RECONNECTION_TIMEOUT (19).
 */
export class Windows {
  private readonly timing: Timing;
  private readonly expired: WindowExpired;
  private signaling: NodeJS.Timeout | undefined;
  private readonly media = new Map<MediaKind, MediaWindow>();
  private readonly keepAlives = new Map<SimSocket, NodeJS.Timeout>();

  constructor(timing: Timing, expired: WindowExpired) {
    this.timing = timing;
    this.expired = expired;
  }

  /** Starts the signaling window. One already running goes on: a failover inside it does not extend it. */
  openSignaling(byKeepAlive: boolean): void {
    if (this.signaling) return;
    this.signaling = setTimeout(() => {
      this.signaling = undefined;
      this.expired('signaling', stopReasonOf(byKeepAlive));
    }, this.timing.signalingWindowMs);
    this.signaling.unref();
  }

  /** Starts a window for media kinds; the stream ends if they are not all connected again in time. */
  openMedia(kinds: readonly MediaKind[], byKeepAlive: boolean, countsRecovery: boolean): void {
    const window: MediaWindow = {
      timer: setTimeout(() => {
        for (const kind of kinds) if (this.media.get(kind) === window) this.media.delete(kind);
        this.expired('media', stopReasonOf(byKeepAlive));
      }, this.timing.mediaWindowMs),
      pending: new Set(kinds),
      lost: kinds,
      countsRecovery,
    };
    window.timer.unref();
    for (const kind of kinds) this.media.set(kind, window);
  }

  /**
   * Media kinds connected again. Returns the lost kinds of each window this closed that counts as a
   * recovery, in the order they closed.
   */
  mediaConnected(kinds: readonly MediaKind[]): (readonly MediaKind[])[] {
    const recovered: (readonly MediaKind[])[] = [];
    for (const kind of kinds) {
      const window = this.media.get(kind);
      if (!window) continue;
      this.media.delete(kind);
      window.pending.delete(kind);
      if (window.pending.size > 0) continue;
      clearTimeout(window.timer);
      if (window.countsRecovery) recovered.push(window.lost);
    }
    return recovered;
  }

  /**
   * Closes every media window, because signaling is lost too and its window now covers them, and returns
   * what they were waiting for: the kinds of windows that count a recovery of their own, one group per
   * window, and the kinds of those that do not (they were lost with an earlier signaling loss).
   */
  takeMediaLosses(): { counted: MediaKind[][]; uncounted: MediaKind[] } {
    const counted: MediaKind[][] = [];
    const uncounted: MediaKind[] = [];
    for (const window of new Set(this.media.values())) {
      clearTimeout(window.timer);
      if (window.countsRecovery) counted.push([...window.pending]);
      else uncounted.push(...window.pending);
    }
    this.media.clear();
    return { counted, uncounted };
  }

  /** Sends KEEP_ALIVE_REQ on `socket` every interval; `timedOut` runs once the missed ones run out. */
  startKeepAlive(socket: SimSocket, timedOut: () => void): void {
    if (this.keepAlives.has(socket) || !socket.isOpen) return;
    const timer = setInterval(() => {
      if (!socket.keepAliveTick()) return;
      this.stopKeepAlive(socket);
      timedOut();
    }, this.timing.keepAliveIntervalMs);
    timer.unref();
    this.keepAlives.set(socket, timer);
  }

  stopKeepAlive(socket: SimSocket): void {
    const timer = this.keepAlives.get(socket);
    if (timer === undefined) return;
    clearInterval(timer);
    this.keepAlives.delete(socket);
  }

  /**
   * Cancels the windows a stream in `status` cannot have: the signaling window runs only while
   * interrupted, media windows only while signaling is not lost, and nothing outlives the end.
   */
  retain(status: SimStreamState): void {
    if (status !== 'interrupted' && this.signaling) {
      clearTimeout(this.signaling);
      this.signaling = undefined;
    }
    if (status === 'interrupted' || status === 'ended') {
      for (const window of new Set(this.media.values())) clearTimeout(window.timer);
      this.media.clear();
    }
    if (status === 'ended') {
      for (const timer of this.keepAlives.values()) clearInterval(timer);
      this.keepAlives.clear();
    }
  }
}
