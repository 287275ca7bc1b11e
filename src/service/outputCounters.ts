/**
 * Counters of the live outputs, by output (`sse`, `websocket`): subscribers now, bytes and messages sent,
 * messages dropped for subscribers that fell behind, subscribers disconnected for being stuck. `/metrics`
 * reads them at scrape time.
 */
export type OutputName = 'sse' | 'websocket';

export const OUTPUT_NAMES: readonly OutputName[] = ['sse', 'websocket'];

interface Tally {
  subscribers: number;
  messages: number;
  bytes: number;
  dropped: number;
  disconnected: number;
}

export class OutputCounters {
  private readonly tallies: Record<OutputName, Tally> = {
    sse: { subscribers: 0, messages: 0, bytes: 0, dropped: 0, disconnected: 0 },
    websocket: { subscribers: 0, messages: 0, bytes: 0, dropped: 0, disconnected: 0 },
  };

  of(output: OutputName): Readonly<Tally> {
    return this.tallies[output];
  }

  joined(output: OutputName): void {
    this.tallies[output].subscribers++;
  }

  left(output: OutputName): void {
    this.tallies[output].subscribers--;
  }

  sent(output: OutputName, bytes: number): void {
    const t = this.tallies[output];
    t.messages++;
    t.bytes += bytes;
  }

  dropped(output: OutputName): void {
    this.tallies[output].dropped++;
  }

  disconnected(output: OutputName): void {
    this.tallies[output].disconnected++;
  }
}
