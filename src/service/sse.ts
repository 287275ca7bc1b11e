/**
 * Server-Sent Events of the service: `GET /api/events` (every stream) and
 * `GET /api/streams/:streamId/events` (one stream), fed by the event bus. Each event carries its id, so a
 * client that reconnects with `Last-Event-ID` gets what it missed from the bus's replay buffer. A client
 * that reads too slowly has its own bounded buffer: past it events are dropped and counted, and a client
 * stuck for long is disconnected; nobody else, and no stream, waits for it.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { BUS_EVENT_TYPES, type BusEvent, type BusFilter, type EventBus } from '../outputs/EventBus.js';
import { BacklogGate } from './backlog.js';
import type { OutputCounters } from './outputCounters.js';

/** Bytes a client may have unread in its socket before events are dropped for it. */
export const SSE_MAX_BUFFERED_BYTES = 1024 * 1024;
/** A client that stays over its buffer this long is disconnected. */
export const SSE_STUCK_MS = 30_000;
/** A comment line this often keeps proxies and the idle timeout from closing a quiet stream. */
export const SSE_HEARTBEAT_MS = 15_000;
/** What `retry:` tells EventSource to wait before reconnecting. */
const SSE_RETRY_MS = 2_000;
/**
 * A client's writes are at least this far apart: an event after a quiet spell goes at once, and those
 * that follow within it go together in one write, so a thousand streams' events cost a few writes a
 * second per client rather than one each.
 */
export const SSE_FLUSH_MS = 20;

const KNOWN_TYPES: ReadonlySet<string> = new Set(BUS_EVENT_TYPES);

/** Each event's bytes on the wire, serialized and encoded once however many clients it goes to. */
const frames = new WeakMap<BusEvent, Buffer>();

function frameBytes(event: BusEvent): Buffer {
  let bytes = frames.get(event);
  if (bytes === undefined) {
    bytes = Buffer.from(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    frames.set(event, bytes);
  }
  return bytes;
}

const KEEP_ALIVE = Buffer.from(': keep-alive\n\n');

/** `?types=transcript,chat`: the types asked for, or an error naming the unknown ones. */
function typesOf(query: unknown): { types?: ReadonlySet<string>; error?: string } {
  const text = (query as { types?: unknown }).types;
  if (typeof text !== 'string' || text.trim() === '') return {};
  const asked = text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = asked.filter((t) => !KNOWN_TYPES.has(t));
  if (unknown.length > 0) return { error: `unknown event type(s): ${unknown.join(', ')}` };
  return { types: new Set(asked) };
}

/** One connected client. */
class SseClient {
  private readonly gate = new BacklogGate({ maxBytes: SSE_MAX_BUFFERED_BYTES, stuckMs: SSE_STUCK_MS });
  private readonly heartbeat: NodeJS.Timeout;
  /** Frames written since the last flush, and their bytes. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushedAt = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly counters: OutputCounters,
    private readonly onClose: () => void,
  ) {
    this.heartbeat = setInterval(() => this.write(KEEP_ALIVE, true), SSE_HEARTBEAT_MS);
    this.heartbeat.unref();
    res.on('close', () => this.close());
  }

  send(event: BusEvent): void {
    this.write(frameBytes(event), false);
  }

  /** Writes unless the client is behind; a heartbeat is small enough to always go. */
  private write(bytes: Buffer, always: boolean): void {
    if (this.closed) return;
    const decision = always ? 'send' : this.gate.decide(this.res.writableLength + this.pendingBytes);
    if (decision !== 'send') {
      this.counters.dropped('sse');
      if (decision === 'disconnect') {
        this.counters.disconnected('sse');
        this.res.destroy();
      }
      return;
    }
    this.counters.sent('sse', bytes.length);
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.timer !== undefined) return;
    const wait = this.flushedAt + SSE_FLUSH_MS - performance.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = undefined;
    this.flushedAt = performance.now();
    if (this.closed || this.pending.length === 0) return;
    const chunk =
      this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.res.write(chunk as Buffer);
  }

  /** Writes what is pending and ends the response (the service is stopping). */
  end(): void {
    clearTimeout(this.timer);
    this.flush();
    this.res.end();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.onClose();
  }
}

function stream(
  request: FastifyRequest,
  reply: FastifyReply,
  bus: EventBus,
  counters: OutputCounters,
  filter: BusFilter,
  open: Set<SseClient>,
): FastifyReply {
  const asked = typesOf(request.query);
  if (asked.error !== undefined) {
    return reply.code(400).send({
      error: 'BAD_REQUEST',
      message: asked.error,
      fix: `use types from: ${BUS_EVENT_TYPES.join(', ')}`,
    });
  }
  const full: BusFilter = { ...filter, ...(asked.types ? { types: asked.types } : {}) };
  const lastId = request.headers['last-event-id'];
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(`retry: ${SSE_RETRY_MS}\n\n`);
  let unsubscribe: (() => void) | undefined;
  const client = new SseClient(res, counters, () => {
    unsubscribe?.();
    counters.left('sse');
  });
  open.add(client);
  res.once('close', () => open.delete(client));
  counters.joined('sse');
  // Replay, then live: nothing published in between can be lost, the loop runs in one turn.
  if (typeof lastId === 'string' && lastId !== '') {
    const { events, truncated } = bus.since(lastId, full);
    if (truncated) res.write(`event: replayTruncated\ndata: ${JSON.stringify({ lastEventId: lastId })}\n\n`);
    for (const event of events) client.send(event);
  }
  unsubscribe = bus.subscribe(full, (event) => client.send(event));
  return reply;
}

/** The SSE routes, as a plugin. */
export function ssePlugin(
  bus: EventBus,
  counters: OutputCounters,
  admin: preHandlerHookHandler,
): FastifyPluginAsync {
  return async (app) => {
    const open = new Set<SseClient>();
    // A stream of events has no end of its own: the server's close would wait for it forever.
    app.addHook('preClose', async () => {
      for (const client of open) client.end();
    });

    app.get('/api/events', { preHandler: admin }, (request, reply) =>
      stream(request, reply, bus, counters, {}, open),
    );
    app.get<{ Params: { streamId: string } }>(
      '/api/streams/:streamId/events',
      { preHandler: admin },
      (request, reply) => stream(request, reply, bus, counters, { streamId: request.params.streamId }, open),
    );
  };
}
