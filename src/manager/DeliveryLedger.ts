/**
 * Remembers webhook deliveries so a retried delivery is recognised. Zoom retries at +5, +25 and
 * +85 minutes; keys must outlive that.
 */

/** Keys are kept at least this long: longer than Zoom's last retry (+85 min). */
export const DELIVERY_TTL_MS = 2 * 60 * 60 * 1000;

export interface DeliveryLedger {
  /**
   * Records `key` and answers whether this is the first time it was seen within `ttlMs`. Must be atomic:
   * of two concurrent claims of one key, exactly one gets `true`.
   */
  claim(key: string, ttlMs: number): boolean | Promise<boolean>;
}

/** Largest number of keys the in-memory ledger holds; the oldest go first beyond it. */
export const MEMORY_LEDGER_MAX_KEYS = 100_000;

/**
 * A ledger in this process's memory: enough for tests and single-process use without restarts, and the
 * delivery half of `MemoryStore`. Bounded: beyond `maxKeys`, the oldest claims go first.
 */
export class MemoryDeliveryLedger implements DeliveryLedger {
  private readonly expiry = new Map<string, number>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(options: { now?: () => number; maxKeys?: number } = {}) {
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? MEMORY_LEDGER_MAX_KEYS;
  }

  claim(key: string, ttlMs: number): boolean {
    const now = this.now();
    const until = this.expiry.get(key);
    if (until !== undefined && until > now) return false;
    this.expiry.delete(key);
    this.expiry.set(key, now + ttlMs);
    this.evict(now);
    return true;
  }

  get size(): number {
    return this.expiry.size;
  }

  /** Deletes every expired key; returns how many. */
  prune(): number {
    const now = this.now();
    let deleted = 0;
    for (const [key, until] of this.expiry) {
      if (until > now) continue;
      this.expiry.delete(key);
      deleted++;
    }
    return deleted;
  }

  private evict(now: number): void {
    // Map keeps insertion order, so the oldest claims come first.
    for (const [key, until] of this.expiry) {
      if (this.expiry.size <= this.maxKeys && until > now) break;
      this.expiry.delete(key);
    }
  }
}
