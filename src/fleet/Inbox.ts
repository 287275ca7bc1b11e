/**
 * Each instance's inbox in Redis: a stream (`<prefix>inbox:<instanceId>`) where other instances put the
 * webhook events of streams this one holds. The owner reads it with a blocking XREAD on its own
 * connection, so a routed event is acted on within milliseconds, and deletes what it has read.
 */
import type { Redis } from 'ioredis';
import type { WebhookEvent } from '../webhook/events.js';

/** How long one blocking read waits before it looks again (and notices a close). */
const READ_BLOCK_MS = 1_000;
/** Pause after a failed read (Redis unreachable) before the next try. */
const READ_RETRY_MS = 500;
/** An inbox keeps at most about this many unread events; a dead instance's inbox expires. */
const INBOX_MAX_EVENTS = 10_000;
const INBOX_TTL_MS = 60 * 60 * 1000;
/** Events read per call. */
const READ_COUNT = 100;

/** Puts an event in another instance's inbox. */
export async function sendToInbox(
  redis: Redis,
  prefix: string,
  instanceId: string,
  event: WebhookEvent,
): Promise<void> {
  const key = inboxKey(prefix, instanceId);
  await redis
    .multi()
    .xadd(key, 'MAXLEN', '~', INBOX_MAX_EVENTS, '*', 'event', JSON.stringify(event))
    .pexpire(key, INBOX_TTL_MS)
    .exec();
}

function inboxKey(prefix: string, instanceId: string): string {
  return `${prefix}inbox:${instanceId}`;
}

type XReadReply = [key: string, entries: [id: string, fields: string[]][]][] | null;

/** Reads this instance's inbox until closed, handing every event to `deliver` once. */
export class InboxReader {
  private readonly key: string;
  private closed = false;
  private running: Promise<void> | undefined;

  constructor(
    /** A connection of its own: a blocking read holds it. */
    private readonly redis: Redis,
    prefix: string,
    instanceId: string,
    private readonly deliver: (event: WebhookEvent) => void,
    private readonly onError: (err: unknown) => void,
  ) {
    this.key = inboxKey(prefix, instanceId);
  }

  /**
   * Starts reading. What an earlier process with this instance id left unread is dropped: its streams
   * were taken over, and the events are stale.
   */
  async start(): Promise<void> {
    if (this.redis.status === 'wait') await this.redis.connect();
    await this.redis.del(this.key);
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    let lastId = '0-0';
    while (!this.closed) {
      try {
        const reply = (await this.redis.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          READ_BLOCK_MS,
          'STREAMS',
          this.key,
          lastId,
        )) as XReadReply;
        const entries = reply?.[0]?.[1] ?? [];
        for (const [id, fields] of entries) {
          lastId = id;
          const at = fields.indexOf('event');
          const text = at >= 0 ? fields[at + 1] : undefined;
          if (text !== undefined) this.deliver(JSON.parse(text) as WebhookEvent);
        }
        if (entries.length > 0) await this.redis.xdel(this.key, ...entries.map(([id]) => id));
      } catch (err) {
        if (this.closed) return;
        this.onError(err);
        await new Promise((resolve) => setTimeout(resolve, READ_RETRY_MS));
      }
    }
  }

  /** Stops reading; the pending blocking read is cut short by closing its connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.redis.disconnect();
    await this.running;
  }
}
