/** When each stream's media is pumped: live streams in staggered groups, each group every PUMP_TICK_MS. */
import { PUMP_SLOTS, PUMP_TICK_MS } from './options.js';
import type { SimStream } from './SimStream.js';

export class PumpGroups {
  /** Live streams by pump group; a stream leaves its group once it has ended. */
  private readonly groups: SimStream[][] = Array.from({ length: PUMP_SLOTS }, () => []);
  /** Index of the last pump group run, counted in slot periods since the time origin. */
  private lastSlot = -1;
  /** Streams are never forgotten, so the count spreads them over the groups in turn. */
  private added = 0;
  private ticker: NodeJS.Timeout | undefined;

  start(): void {
    this.ticker = setInterval(() => this.tick(), PUMP_TICK_MS / PUMP_SLOTS);
    this.ticker.unref();
  }

  add(stream: SimStream): void {
    this.groups[this.added++ % PUMP_SLOTS]?.push(stream);
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
  }

  /** Runs the groups that came due since the last run. */
  private tick(): void {
    const slot = Math.floor(performance.now() / (PUMP_TICK_MS / PUMP_SLOTS));
    const first = Math.max(this.lastSlot + 1, slot - PUMP_SLOTS + 1);
    this.lastSlot = slot;
    for (let s = first; s <= slot; s++) {
      const group = this.groups[s % PUMP_SLOTS];
      if (!group) continue;
      let live = 0;
      for (const stream of group) {
        stream.tick();
        if (!stream.ended) group[live++] = stream;
      }
      group.length = live;
    }
  }
}
