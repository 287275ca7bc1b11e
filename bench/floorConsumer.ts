/**
 * The floor of the ingest benchmark: what any app has to do at least to take one stream's audio and
 * transcripts: bare sockets, the signature, the two handshakes, JSON.parse of every frame, base64
 * decode of audio, keep-alive answers. No validation, no reconnection, no events.
 *
 * Two transports: `ws` (the floor every comparison is against) and rtmskit's own `WsClient` (the
 * transport floor: what rtmskit's sockets cost with nothing of rtmskit above them, the least a
 * `StreamManager` could cost).
 */
import { createHmac } from 'node:crypto';
import WebSocket from 'ws';
import { WsClient } from '../src/client/ws/WsClient.js';
import type { RtmsStartedEvent } from '../src/webhook/events.js';

export type FloorTransport = 'ws' | 'wsclient';

interface FloorSocket {
  send(text: string): void;
}

/** Opens one socket; `first` is sent once it is open, every frame's text goes to `onFrame`. */
type Opener = (url: string, first: string, onFrame: (text: string, socket: FloorSocket) => void) => void;

const openWs: Opener = (url, first, onFrame) => {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('open', () => ws.send(first));
  ws.on('error', () => undefined);
  ws.on('message', (data) => onFrame((data as Buffer).toString(), ws));
};

const openWsClient: Opener = (url, first, onFrame) => {
  const ws: WsClient = new WsClient(
    url,
    {},
    {
      open: () => ws.send(first),
      message: (data, start, end) => onFrame(data.toString('utf8', start, end), ws),
      close: () => undefined,
    },
  );
};

/** Connects one stream; `count` is called per media message, `ready` once both media sockets are up. */
export function floorConsumer(
  event: RtmsStartedEvent,
  credentials: { clientId: string; clientSecret: string },
  count: () => void,
  ready: () => void,
  transport: FloorTransport = 'ws',
): void {
  const open = transport === 'ws' ? openWs : openWsClient;
  const signature = createHmac('sha256', credentials.clientSecret)
    .update(`${credentials.clientId},${event.instanceId},${event.streamId}`)
    .digest('hex');
  const ids = { meeting_uuid: event.instanceId, rtms_stream_id: event.streamId, signature };
  const openRtms = (
    url: string,
    first: Record<string, unknown>,
    onMsg: (m: Record<string, unknown>, socket: FloorSocket) => void,
  ) =>
    open(url, JSON.stringify(first), (text, socket) => {
      const msg = JSON.parse(text) as Record<string, unknown>;
      if (msg.msg_type === 12) {
        socket.send(JSON.stringify({ msg_type: 13, timestamp: msg.timestamp }));
        return;
      }
      onMsg(msg, socket);
    });
  let pending = 2;
  openRtms(
    event.serverUrls[0] ?? '',
    { msg_type: 1, protocol_version: 1, ...ids, buffer_data: false },
    (msg, sig) => {
      if (msg.msg_type !== 2) return;
      const urls = (msg.media_server as { server_urls: Record<string, string> }).server_urls;
      for (const [kind, bit] of [
        ['audio', 1],
        ['transcript', 8],
      ] as const) {
        openRtms(urls[kind] ?? '', { msg_type: 3, protocol_version: 1, ...ids, media_type: bit }, (m) => {
          if (m.msg_type === 4) {
            sig.send(JSON.stringify({ msg_type: 7, rtms_stream_id: event.streamId }));
            if (--pending === 0) ready();
            return;
          }
          const content = m.content as { data: string };
          if (m.msg_type === 14) Buffer.from(content.data, 'base64');
          count();
        });
      }
    },
  );
}
