/**
 * The floor of the ingest benchmark: what any app has to do at least to take one stream's audio and
 * transcripts: bare `ws` sockets, the signature, the two handshakes, JSON.parse of every frame, base64
 * decode of audio, keep-alive answers. No validation, no reconnection, no events.
 */
import { createHmac } from 'node:crypto';
import WebSocket from 'ws';
import type { RtmsStartedEvent } from '../src/webhook/events.js';

/** Connects one stream; `count` is called per media message, `ready` once both media sockets are up. */
export function floorConsumer(
  event: RtmsStartedEvent,
  credentials: { clientId: string; clientSecret: string },
  count: () => void,
  ready: () => void,
): () => void {
  const signature = createHmac('sha256', credentials.clientSecret)
    .update(`${credentials.clientId},${event.instanceId},${event.streamId}`)
    .digest('hex');
  const ids = { meeting_uuid: event.instanceId, rtms_stream_id: event.streamId, signature };
  const sockets: WebSocket[] = [];
  const open = (
    url: string,
    first: Record<string, unknown>,
    onMsg: (m: Record<string, unknown>, ws: WebSocket) => void,
  ) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    sockets.push(ws);
    ws.on('open', () => ws.send(JSON.stringify(first)));
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      const msg = JSON.parse((data as Buffer).toString()) as Record<string, unknown>;
      if (msg.msg_type === 12) {
        ws.send(JSON.stringify({ msg_type: 13, timestamp: msg.timestamp }));
        return;
      }
      onMsg(msg, ws);
    });
  };
  let pending = 2;
  open(
    event.serverUrls[0] ?? '',
    { msg_type: 1, protocol_version: 1, ...ids, buffer_data: false },
    (msg, sig) => {
      if (msg.msg_type !== 2) return;
      const urls = (msg.media_server as { server_urls: Record<string, string> }).server_urls;
      for (const [kind, bit] of [
        ['audio', 1],
        ['transcript', 8],
      ] as const) {
        open(urls[kind] ?? '', { msg_type: 3, protocol_version: 1, ...ids, media_type: bit }, (m) => {
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
  return () => {
    for (const ws of sockets) ws.terminate();
  };
}
