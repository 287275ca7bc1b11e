/**
 * `GET /api/streams/:streamId/live`: one stream over a WebSocket. Its JSON events (as SSE has them) go as
 * text messages; its media frames as binary messages, each a fixed header ({@link LIVE_HEADER_BYTES}
 * bytes, see {@link encodeLiveFrame}) and the payload exactly as Zoom sent it. `?kinds=` picks what to
 * get: media kinds (`audio`, `video`, `deskshare`) and event groups (`transcript`, `chat`, `events` for
 * everything else); the default is every event and audio. Admin rules as for `/api`; browsers, which
 * cannot set headers on a WebSocket, may send the token as `?access_token=`. A subscriber that falls
 * behind loses frames (counted), and is closed with 4008 if it stays behind.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  BUS_EVENT_TYPES,
  type BusEvent,
  type EventBus,
  type MediaFrameOut,
  type MediaKindOut,
} from '../outputs/EventBus.js';
import { CloseCode } from '../protocol/closeCodes.js';
import { checkAdmin } from './adminGuard.js';
import { BacklogGate } from './backlog.js';
import type { OutputCounters } from './outputCounters.js';

/** Bytes of the header in front of every binary message. */
export const LIVE_HEADER_BYTES = 20;
/** Version of the binary header, its first byte. */
export const LIVE_HEADER_VERSION = 1;
/** The kind byte of the header. */
export const LIVE_KIND_CODES: Readonly<Record<MediaKindOut, number>> = { audio: 1, video: 2, deskshare: 3 };
/** Bytes a subscriber may have unsent before frames are dropped for it. */
export const LIVE_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** A subscriber that stays behind this long is closed with {@link LIVE_TOO_SLOW}. */
export const LIVE_STUCK_MS = 30_000;
/** Close codes of the live socket. */
export const LIVE_TOO_SLOW = 4008;
export const LIVE_UNKNOWN_STREAM = 4404;
/** At shutdown, a subscriber has this long to answer the close frame before its socket is cut. */
const LIVE_CLOSE_GRACE_MS = 1_000;
/** A subscriber has nothing to send but small control messages. */
const LIVE_MAX_INCOMING_BYTES = 4 * 1024;

const PATH = /^\/api\/streams\/([^/?]+)\/live$/;
const MEDIA_KINDS: readonly MediaKindOut[] = ['audio', 'video', 'deskshare'];
const EVENT_GROUPS = ['transcript', 'chat', 'events'] as const;
const DEFAULT_KINDS = ['audio', ...EVENT_GROUPS] as const;

/**
 * The binary message of one frame: version (u8), kind (u8: 1 audio, 2 video, 3 screen share), codec (u8,
 * Zoom's Codec enum), channels (u8, 0 for pictures), sample rate (u32 BE, Hz, 0 for pictures), user id
 * (u32 BE, 0 for the mixed audio), timestamp (f64 BE, Zoom's ms), then the payload.
 */
export function encodeLiveFrame(frame: MediaFrameOut): Buffer {
  const out = Buffer.allocUnsafe(LIVE_HEADER_BYTES + frame.data.length);
  out.writeUInt8(LIVE_HEADER_VERSION, 0);
  out.writeUInt8(LIVE_KIND_CODES[frame.kind], 1);
  out.writeUInt8(frame.codec & 0xff, 2);
  out.writeUInt8((frame.channels ?? 0) & 0xff, 3);
  out.writeUInt32BE(frame.sampleRate ?? 0, 4);
  out.writeUInt32BE(frame.userId >>> 0, 8);
  out.writeDoubleBE(frame.timestamp, 12);
  frame.data.copy(out, LIVE_HEADER_BYTES);
  return out;
}

/** What a subscriber asked for. */
interface Wants {
  media: Set<MediaKindOut>;
  types: Set<string> | undefined;
}

function wantsOf(query: URLSearchParams): Wants | string {
  const text = query.get('kinds');
  const asked =
    text === null || text.trim() === '' ? [...DEFAULT_KINDS] : text.split(',').map((k) => k.trim());
  const known = new Set<string>([...MEDIA_KINDS, ...EVENT_GROUPS]);
  const unknown = asked.filter((k) => !known.has(k));
  if (unknown.length > 0) return `unknown kind(s): ${unknown.join(', ')}; use ${[...known].join(', ')}`;
  const media = new Set(
    asked.filter((k): k is MediaKindOut => (MEDIA_KINDS as readonly string[]).includes(k)),
  );
  const types = new Set<string>(['streamEnded']);
  if (asked.includes('transcript')) types.add('transcript');
  if (asked.includes('chat')) types.add('chat');
  if (asked.includes('events')) {
    for (const t of BUS_EVENT_TYPES) if (t !== 'transcript' && t !== 'chat') types.add(t);
  }
  return { media, types };
}

export interface LiveOptions {
  bus: EventBus;
  counters: OutputCounters;
  adminToken: string | undefined;
  /** Whether a stream is known here (live on this instance, or anywhere in the fleet). */
  knows: (streamId: string) => boolean | Promise<boolean>;
}

function refuse(socket: Duplex, status: number, body: object): void {
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Bad Request'}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
  );
}

/** Serves the live WebSocket on `server`'s upgrades. Returns a close that ends every subscriber. */
export function attachLive(server: Server, options: LiveOptions): () => void {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: LIVE_MAX_INCOMING_BYTES,
    perMessageDeflate: false,
  });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = PATH.exec(url.pathname);
    if (!match)
      return refuse(socket, 404, { error: 'NOT_FOUND', message: `no WebSocket at ${url.pathname}` });
    const token = url.searchParams.get('access_token');
    const headers = token === null ? req.headers : { ...req.headers, authorization: `Bearer ${token}` };
    const refusal = checkAdmin({ peerAddress: req.socket.remoteAddress, headers }, options.adminToken);
    if (refusal) return refuse(socket, 401, refusal);
    const wants = wantsOf(url.searchParams);
    if (typeof wants === 'string') return refuse(socket, 400, { error: 'BAD_REQUEST', message: wants });
    const streamId = decodeURIComponent(match[1] as string);
    wss.handleUpgrade(req, socket, head, (ws) => void serve(ws, streamId, wants, options));
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    for (const ws of wss.clients) {
      ws.close(CloseCode.GOING_AWAY, 'the service is stopping');
      // A subscriber that does not read does not answer the close either.
      setTimeout(() => ws.terminate(), LIVE_CLOSE_GRACE_MS).unref();
    }
    wss.close();
  };
}

async function serve(ws: WebSocket, streamId: string, wants: Wants, options: LiveOptions): Promise<void> {
  const { bus, counters } = options;
  ws.on('error', () => undefined);
  if (!(await options.knows(streamId))) {
    ws.close(LIVE_UNKNOWN_STREAM, 'no such stream here or in the fleet');
    return;
  }
  counters.joined('websocket');
  const gate = new BacklogGate({ maxBytes: LIVE_MAX_BUFFERED_BYTES, stuckMs: LIVE_STUCK_MS });
  const send = (data: string | Buffer): void => {
    if (ws.readyState !== ws.OPEN) return;
    const decision = gate.decide(ws.bufferedAmount);
    if (decision !== 'send') {
      counters.dropped('websocket');
      if (decision === 'disconnect') {
        counters.disconnected('websocket');
        ws.close(LIVE_TOO_SLOW, `too slow: messages were dropped for ${LIVE_STUCK_MS / 1000} s`);
      }
      return;
    }
    counters.sent('websocket', typeof data === 'string' ? Buffer.byteLength(data) : data.length);
    ws.send(data, { binary: typeof data !== 'string' });
  };
  const offEvents = bus.subscribe(
    { streamId, ...(wants.types ? { types: wants.types } : {}) },
    (event: BusEvent) => {
      send(JSON.stringify(event));
      if (event.type === 'streamEnded' && event.data.reason !== 'released')
        ws.close(CloseCode.NORMAL, 'stream ended');
    },
  );
  const offMedia =
    wants.media.size > 0
      ? bus.subscribeMedia(streamId, wants.media, (f) => send(encodeLiveFrame(f)))
      : undefined;
  ws.once('close', () => {
    offEvents();
    offMedia?.();
    counters.left('websocket');
  });
}
