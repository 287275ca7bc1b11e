/** A new socket's first frame: a handshake for a known stream goes to it; anything else is refused. */
import type WebSocket from 'ws';
import { CloseCode } from '../protocol/closeCodes.js';
import { decodeFrame } from '../protocol/codec.js';
import { MessageType, StatusCode } from '../protocol/enums.js';
import type { RtmsMessage } from '../protocol/messages.js';
import { HANDSHAKE_WAIT_MS, PROTOCOL_VERSION } from '../protocol/timing.js';
import type { FrameMode } from './options.js';
import type { RtmsNode } from './RtmsNode.js';
import { sendUnwrapped } from './SimSocket.js';
import type { SimStream } from './SimStream.js';

/**
 * Waits for the first frame of a socket opened on `path` of `node`, then hands it to its stream or
 * answers with the status Zoom refuses it with.
 */
export function routeSocket(
  ws: WebSocket,
  node: RtmsNode,
  path: 'signaling' | 'media',
  frames: FrameMode,
  streamOf: (streamId: string) => SimStream | undefined,
): void {
  ws.on('error', () => undefined);
  const timer = setTimeout(() => ws.close(CloseCode.NORMAL, 'no handshake'), HANDSHAKE_WAIT_MS);
  timer.unref();
  ws.once('close', () => clearTimeout(timer));
  ws.once('message', (data, isBinary) => {
    clearTimeout(timer);
    const expected =
      path === 'signaling' ? MessageType.SIGNALING_HAND_SHAKE_REQ : MessageType.DATA_HAND_SHAKE_REQ;
    const responseType =
      path === 'signaling' ? MessageType.SIGNALING_HAND_SHAKE_RESP : MessageType.DATA_HAND_SHAKE_RESP;
    const refuse = (status: StatusCode, reason: string) => {
      sendUnwrapped(ws, frames, {
        msg_type: responseType,
        protocol_version: PROTOCOL_VERSION,
        sequence: 0,
        status_code: status,
        reason,
      } as RtmsMessage);
      ws.close(CloseCode.NORMAL);
    };
    const decoded = decodeFrame(data as Buffer, isBinary);
    if (!decoded.ok) {
      const type =
        decoded.error.code === 'UNKNOWN_MSG_TYPE'
          ? StatusCode.STATUS_INVALID_MESSAGE_TYPE
          : StatusCode.STATUS_INVALID_PAYLOAD;
      return refuse(type, decoded.error.message);
    }
    const msg = decoded.message;
    if (msg.msg_type !== expected) {
      return refuse(StatusCode.STATUS_INVALID_MESSAGE_TYPE, `expected ${MessageType[expected]} first`);
    }
    const stream = streamOf(msg.rtms_stream_id);
    if (!stream) return refuse(StatusCode.STATUS_INVALID_RTMS_STREAM_ID, 'unknown rtms_stream_id');
    if (msg.msg_type === MessageType.SIGNALING_HAND_SHAKE_REQ) stream.acceptSignaling(ws, msg, node.id);
    else stream.acceptMedia(ws, msg, node.id);
  });
}
