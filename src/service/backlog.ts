/**
 * How a live output treats a subscriber that reads slower than the stream produces: while its unsent
 * bytes are under the bound, send; over it, drop (the subscriber misses messages, counted); over it for
 * longer than the stuck time, disconnect. The stream and the other subscribers never wait.
 */
export type BacklogDecision = 'send' | 'drop' | 'disconnect';

export interface BacklogLimits {
  /** Unsent bytes past which messages are dropped. */
  maxBytes: number;
  /** Being past `maxBytes` this long disconnects. */
  stuckMs: number;
}

export class BacklogGate {
  private behindSince: number | undefined;

  constructor(
    private readonly limits: BacklogLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** What to do with the next message, given the bytes still unsent to this subscriber. */
  decide(unsentBytes: number): BacklogDecision {
    if (unsentBytes <= this.limits.maxBytes) {
      this.behindSince = undefined;
      return 'send';
    }
    const now = this.now();
    this.behindSince ??= now;
    return now - this.behindSince > this.limits.stuckMs ? 'disconnect' : 'drop';
  }
}
