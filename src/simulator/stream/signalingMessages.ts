/** What a connected client sends on signaling and media sockets, answered the way Zoom does. */
import { decodeFrame } from '../../protocol/codec.js';
import { DataOption, MessageType, SessionState, StatusCode, StopReason } from '../../protocol/enums.js';
import type { EventPayload } from '../../protocol/messages.js';
import type { SimStreamState } from '../report.js';
import type { SimSocket } from '../SimSocket.js';
import type { Timeline } from '../timeline.js';
import type { MediaFlow } from './mediaFlow.js';
import type { ParticipantEvents } from './participantEvents.js';
import type { MediaLink } from './state.js';
import { sessionStateOf, streamStateOf } from './stateUpdates.js';

/** The stream a connected client talks to. */
export interface SignalingPeer {
  readonly streamId: string;
  readonly sessionId: string;
  readonly timeline: Timeline;
  readonly events: ParticipantEvents;
  readonly flow: MediaFlow;
  status(): SimStreamState;
  media(): readonly MediaLink[];
  /** Simulated ms since the stream started. */
  simNow(): number;
  sendEvent(event: EventPayload): void;
  end(reason: number): void;
  log(line: string): void;
}

/** A frame on the stream's signaling socket. */
export function onSignalingFrame(
  peer: SignalingPeer,
  socket: SimSocket,
  data: Buffer,
  isBinary: boolean,
): void {
  const decoded = decodeFrame(data, isBinary);
  if (!decoded.ok) {
    peer.log(`signaling: undecodable frame (${decoded.error.code})`);
    return;
  }
  const msg = decoded.message;
  switch (msg.msg_type) {
    case MessageType.KEEP_ALIVE_RESP:
      socket.onKeepAliveResponse(msg.timestamp);
      return;
    case MessageType.EVENT_SUBSCRIPTION:
      peer.events.subscribe(msg.events);
      return;
    case MessageType.CLIENT_READY_ACK:
      peer.flow.ready(peer.media(), peer.simNow());
      return;
    case MessageType.SESSION_STATE_REQ:
      socket.send({
        msg_type: MessageType.SESSION_STATE_RESP,
        rtms_session_id: msg.rtms_session_id,
        state: msg.rtms_session_id === peer.sessionId ? sessionStateOf(peer.status()) : SessionState.INACTIVE,
        timestamp: Date.now(),
      });
      return;
    case MessageType.STREAM_STATE_REQ:
      socket.send({
        msg_type: MessageType.STREAM_STATE_RESP,
        rtms_stream_id: peer.streamId,
        state: streamStateOf(peer.status()),
        timestamp: Date.now(),
      });
      return;
    case MessageType.STREAM_CLOSE_REQ:
      socket.send({
        msg_type: MessageType.STREAM_CLOSE_RESP,
        rtms_stream_id: peer.streamId,
        status_code: StatusCode.STATUS_OK,
        reason: 'OK',
        timestamp: Date.now(),
      });
      peer.end(StopReason.RECEIVER_REQUEST_CLOSE);
      return;
    case MessageType.VIDEO_SUBSCRIPTION_REQ:
      answerVideoSubscription(peer, socket, msg.user_id, msg.subscribe);
      return;
    default:
      peer.log(`signaling: ignored ${MessageType[msg.msg_type] ?? msg.msg_type}`);
  }
}

/** A frame on a media socket: only keep-alive answers are read there. */
export function onMediaFrame(link: MediaLink, data: Buffer, isBinary: boolean): void {
  const decoded = decodeFrame(data, isBinary);
  if (!decoded.ok) return;
  if (decoded.message.msg_type === MessageType.KEEP_ALIVE_RESP)
    link.socket.onKeepAliveResponse(decoded.message.timestamp);
}

/** VIDEO_SUBSCRIPTION_REQ (msg 28): only a video connection with `data_opt` 4 picks one user. */
function answerVideoSubscription(
  peer: SignalingPeer,
  socket: SimSocket,
  userId: number,
  subscribe: boolean,
): void {
  const video = peer.media().find((link) => link.kinds.includes('video'));
  let status = StatusCode.STATUS_OK;
  let reason = 'OK';
  if (video?.params.video?.data_opt !== DataOption.VIDEO_SINGLE_INDIVIDUAL_STREAM) {
    status = StatusCode.STATUS_INVALID_MEDIA_VIDEO_DATA_OPT;
    reason = 'video must be connected with data_opt 4 (VIDEO_SINGLE_INDIVIDUAL_STREAM)';
  } else if (subscribe && !peer.timeline.participant(userId)) {
    status = StatusCode.STATUS_INVALID_PAYLOAD;
    reason = `no participant ${userId}`;
  } else {
    peer.flow.videoSubscription = subscribe ? userId : undefined;
  }
  socket.send({
    msg_type: MessageType.VIDEO_SUBSCRIPTION_RESP,
    user_id: userId,
    status_code: status,
    reason,
    timestamp: Date.now(),
    subscribe,
  });
}
