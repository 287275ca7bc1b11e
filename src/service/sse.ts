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

const KNOWN_TYPES: ReadonlySet<string> = new Set(BUS_EVENT_TYPES);

/** The text of one event on the wire. */
export function sseFrame(event: BusEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

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
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly counters: OutputCounters,
    private readonly onClose: () => void,
  ) {
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n', true), SSE_HEARTBEAT_MS);
    this.heartbeat.unref();
    res.on('close', () => this.close());
  }

  send(event: BusEvent): void {
    this.write(sseFrame(event), false);
  }

  /** Writes unless the client is behind; a heartbeat is small enough to always go. */
  private write(text: string, always: boolean): void {
    if (this.closed) return;
    const decision = always ? 'send' : this.gate.decide(this.res.writableLength);
    if (decision !== 'send') {
      this.counters.dropped('sse');
      if (decision === 'disconnect') {
        this.counters.disconnected('sse');
        this.res.destroy();
      }
      return;
    }
    this.counters.sent('sse', Buffer.byteLength(text));
    this.res.write(text);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.onClose();
  }
}

function stream(
  request: FastifyRequest,
  reply: FastifyReply,
  bus: EventBus,
  counters: OutputCounters,
  filter: BusFilter,
  open: Set<ServerResponse>,
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
  open.add(res);
  res.once('close', () => open.delete(res));
  let unsubscribe: (() => void) | undefined;
  const client = new SseClient(res, counters, () => {
    unsubscribe?.();
    counters.left('sse');
  });
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
    const open = new Set<ServerResponse>();
    // A stream of events has no end of its own: the server's close would wait for it forever.
    app.addHook('preClose', async () => {
      for (const res of open) res.end();
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
