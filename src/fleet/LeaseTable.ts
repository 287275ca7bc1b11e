/**
 * Stream leases in Redis: who holds a stream's connections, until when, with which fencing token. One
 * key per stream, `<prefix>lease:<streamId>` = `<instanceId>|<token>` with a TTL, and a counter per
 * stream, `<prefix>fence:<streamId>`, that hands out the tokens. Every change is one Lua script, so two
 * instances can never both believe they took the same stream.
 */
import type { Redis } from 'ioredis';

/** A lease this instance holds. */
export interface Lease {
  streamId: string;
  token: number;
}

/** The outcome of one renewal. */
export type RenewResult =
  /** Still ours, for another lease period. */
  | 'renewed'
  /** The key was gone (it expired, or Redis lost its data) and nobody else took the stream: ours again. */
  | 'reacquired'
  /** Another instance holds it, or took it and let it go: ours no more. */
  | 'lost';

/**
 * The holder a released lease shows for a moment: the stream ended here, and its record in the registry
 * is being marked so. Until then the takeover scan must not take it for an orphan; an acquire may.
 */
export const RELEASED_HOLDER = '~released';
export const RELEASED_HOLD_MS = 5_000;
/**
 * The holder a lease handed over at a shutdown shows: its connections are closed, so another instance
 * takes it at once.
 */
export const HANDED_OVER_HOLDER = '~handover';
const HANDED_OVER_HOLD_MS = 60_000;
/** How long a "Zoom says the connection is gone" mark is kept: past Zoom's windows it means nothing. */
const GONE_MARK_MS = 120_000;

/** How long the fence counters outlive their lease: long past any stream, short of forever. */
const FENCE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * KEYS: lease, fence, gone mark. ARGV: instance id, ttl ms, fence ttl ms. A stream held by another
 * instance stays theirs; one held by an earlier process with this instance's id, released, or handed
 * over is taken with a new token, and its gone mark is spent. Returns {1, token} when taken, {0, holder}
 * when held elsewhere.
 */
const ACQUIRE = `
local current = redis.call('GET', KEYS[1])
if current then
  local holder = string.match(current, '^(.*)|%d+$')
  if holder ~= ARGV[1] and holder ~= '~released' and holder ~= '~handover' then
    return {0, holder or current}
  end
end
local token = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'PX', ARGV[2])
redis.call('DEL', KEYS[3])
return {1, tostring(token)}
`;

/**
 * KEYS: lease1, fence1, lease2, fence2, … ARGV: instance id, ttl ms, fence ttl ms, token1, token2, …
 * Returns one code per lease: 1 renewed, 2 reacquired, 0 lost. A lease whose key is gone is ours again
 * only if no later token was handed out since (after Redis lost its data, none was).
 */
const RENEW = `
local results = {}
for i = 1, #KEYS / 2 do
  local lease, fence = KEYS[2 * i - 1], KEYS[2 * i]
  local token = ARGV[i + 3]
  local mine = ARGV[1] .. '|' .. token
  local current = redis.call('GET', lease)
  if current == mine then
    redis.call('PEXPIRE', lease, ARGV[2])
    results[i] = 1
  elseif current then
    results[i] = 0
  else
    local issued = redis.call('GET', fence)
    if issued == false or tonumber(issued) <= tonumber(token) then
      if issued == false then redis.call('SET', fence, token, 'PX', ARGV[3]) end
      redis.call('SET', lease, mine, 'PX', ARGV[2])
      results[i] = 2
    else
      results[i] = 0
    end
  end
end
return results
`;

/**
 * KEYS: lease. ARGV: instance id, token, marker holder, hold ms. Gives the lease up only if it is still
 * this one, leaving the marker in its place for `hold ms`.
 */
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] .. '|' .. ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[3] .. '|' .. ARGV[2], 'PX', ARGV[4])
return 1
`;

const RENEW_CODES: Record<number, RenewResult> = { 0: 'lost', 1: 'renewed', 2: 'reacquired' };

/** Streams renewed per script call, so one call never blocks Redis for long. */
const RENEW_BATCH = 500;

export class LeaseTable {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly instanceId: string,
    private readonly ttlMs: number,
  ) {
    if (instanceId.includes('|')) throw new Error(`an instance id may not contain "|": ${instanceId}`);
  }

  private leaseKey(streamId: string): string {
    return `${this.prefix}lease:${streamId}`;
  }

  private fenceKey(streamId: string): string {
    return `${this.prefix}fence:${streamId}`;
  }

  private goneKey(streamId: string): string {
    return `${this.prefix}gone:${streamId}`;
  }

  /** Takes the stream: its new token, or the instance that holds it. */
  async acquire(streamId: string): Promise<{ token: number } | { holder: string }> {
    const [taken, value] = (await this.redis.eval(
      ACQUIRE,
      3,
      this.leaseKey(streamId),
      this.fenceKey(streamId),
      this.goneKey(streamId),
      this.instanceId,
      this.ttlMs,
      FENCE_TTL_MS,
    )) as [number, string];
    return taken === 1 ? { token: Number(value) } : { holder: value };
  }

  /** Renews every lease given, in batches; the result of each by stream id. */
  async renew(leases: readonly Lease[]): Promise<Map<string, RenewResult>> {
    const results = new Map<string, RenewResult>();
    for (let i = 0; i < leases.length; i += RENEW_BATCH) {
      const batch = leases.slice(i, i + RENEW_BATCH);
      const keys = batch.flatMap((l) => [this.leaseKey(l.streamId), this.fenceKey(l.streamId)]);
      const codes = (await this.redis.eval(
        RENEW,
        keys.length,
        ...keys,
        this.instanceId,
        this.ttlMs,
        FENCE_TTL_MS,
        ...batch.map((l) => l.token),
      )) as number[];
      batch.forEach((lease, at) => {
        results.set(lease.streamId, RENEW_CODES[codes[at] ?? 0] ?? 'lost');
      });
    }
    return results;
  }

  /**
   * Gives the lease up, if it is still this one. `handOver`: the stream goes on and another instance
   * should take it at once; otherwise it ended, and the lease shows {@link RELEASED_HOLDER} for a moment.
   */
  async release(lease: Lease, handOver: boolean): Promise<void> {
    const [marker, holdMs] = handOver
      ? [HANDED_OVER_HOLDER, HANDED_OVER_HOLD_MS]
      : [RELEASED_HOLDER, RELEASED_HOLD_MS];
    await this.redis.eval(
      RELEASE,
      1,
      this.leaseKey(lease.streamId),
      this.instanceId,
      lease.token,
      marker,
      holdMs,
    );
  }

  /** Notes that Zoom dropped the stream's connection (an `rtms_interrupted` arrived). */
  async markGone(streamId: string): Promise<void> {
    await this.redis.set(this.goneKey(streamId), '1', 'PX', GONE_MARK_MS);
  }

  /** The streams among `streamIds` whose connection Zoom said is gone, lately. */
  async gone(streamIds: readonly string[]): Promise<Set<string>> {
    const marked = new Set<string>();
    if (streamIds.length === 0) return marked;
    const values = await this.redis.mget(...streamIds.map((id) => this.goneKey(id)));
    streamIds.forEach((id, at) => {
      if (values[at] !== null) marked.add(id);
    });
    return marked;
  }

  /** Whether `lease` is the stream's lease right now. */
  async isCurrent(lease: Lease): Promise<boolean> {
    return (await this.redis.get(this.leaseKey(lease.streamId))) === `${this.instanceId}|${lease.token}`;
  }

  /**
   * The instance holding each stream, by stream id. Absent: no lease; {@link RELEASED_HOLDER}: it ended
   * here a moment ago; {@link HANDED_OVER_HOLDER}: its holder shut down and let it go.
   */
  async holders(streamIds: readonly string[]): Promise<Map<string, string>> {
    const holders = new Map<string, string>();
    if (streamIds.length === 0) return holders;
    const values = await this.redis.mget(...streamIds.map((id) => this.leaseKey(id)));
    streamIds.forEach((id, at) => {
      const value = values[at];
      if (typeof value === 'string') holders.set(id, value.slice(0, value.lastIndexOf('|')));
    });
    return holders;
  }
}
