/**
 * Requests on the signaling socket that wait for their answer (video subscription, session and stream
 * state, stream close), each with a timeout.
 */
import { MessageType, StatusCode } from '../protocol/enums.js';
import { RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';
import type {
  ClientMessage,
  ServerMessage,
  SessionStateResponse,
  StreamStateResponse,
  VideoSubscriptionResponse,
} from '../protocol/messages.js';
import { recoveryForStatus } from '../protocol/recovery.js';
import type { RtmsSocket } from './RtmsSocket.js';

interface Waiter {
  match: (msg: ServerMessage) => boolean;
  resolve: (msg: ServerMessage) => void;
}

export class PendingRequests {
  private readonly waiters = new Set<Waiter>();

  /** Sends `msg` on `socket` and resolves with the first message `match` accepts, within `timeoutMs`. */
  send<T extends ServerMessage>(
    socket: RtmsSocket | undefined,
    msg: ClientMessage,
    match: (m: ServerMessage) => m is T,
    what: string,
    timeoutMs: number,
  ): Promise<T> {
    if (!socket?.isOpen)
      return Promise.reject(new RtmsError(RTMS_ERROR_CODES.CLOSED, `${what}: signaling is not connected`));
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as T);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(RtmsError.timeout(what, timeoutMs));
      }, timeoutMs);
      timer.unref();
      this.waiters.add(waiter);
      socket.send(msg);
    });
  }

  /** Hands a signaling message to every request it answers. */
  answer(msg: ServerMessage): void {
    if (this.waiters.size === 0) return;
    for (const waiter of this.waiters) {
      if (waiter.match(msg)) {
        this.waiters.delete(waiter);
        waiter.resolve(msg);
      }
    }
  }

  /** Forgets every request (the stream is over; their timers still end them). */
  clear(): void {
    this.waiters.clear();
  }
}

/** Sends a request on the stream's signaling socket and waits for its answer. */
export type SendRequest = <T extends ServerMessage>(
  msg: ClientMessage,
  match: (m: ServerMessage) => m is T,
  what: string,
) => Promise<T>;

/** Asks for one participant's video (video `data_opt` 4); `on: false` stops it. */
export async function requestVideoSubscription(
  send: SendRequest,
  userId: number,
  on: boolean,
): Promise<VideoSubscriptionResponse> {
  const resp = await send(
    { msg_type: MessageType.VIDEO_SUBSCRIPTION_REQ, user_id: userId, subscribe: on, timestamp: Date.now() },
    (m): m is VideoSubscriptionResponse =>
      m.msg_type === MessageType.VIDEO_SUBSCRIPTION_RESP && m.user_id === userId,
    'video subscription',
  );
  if (resp.status_code !== StatusCode.STATUS_OK) {
    const r = recoveryForStatus(resp.status_code);
    throw new RtmsError(RTMS_ERROR_CODES.REQUEST_REJECTED, `video subscription rejected: ${r.cause}`, {
      statusCode: resp.status_code,
      fix: r.fix,
      ...(resp.reason ? { reason: resp.reason } : {}),
    });
  }
  return resp;
}

/** SESSION_STATE_REQ for the session signaling announced. */
export function requestSessionState(
  send: SendRequest,
  sessionId: string | undefined,
): Promise<SessionStateResponse> {
  if (!sessionId) return Promise.reject(new RtmsError(RTMS_ERROR_CODES.CLOSED, 'no session announced yet'));
  return send(
    { msg_type: MessageType.SESSION_STATE_REQ, rtms_session_id: sessionId },
    (m): m is SessionStateResponse => m.msg_type === MessageType.SESSION_STATE_RESP,
    'session state request',
  );
}

export function requestStreamState(send: SendRequest, streamId: string): Promise<StreamStateResponse> {
  return send(
    { msg_type: MessageType.STREAM_STATE_REQ, rtms_stream_id: streamId },
    (m): m is StreamStateResponse => m.msg_type === MessageType.STREAM_STATE_RESP,
    'stream state request',
  );
}

/** STREAM_CLOSE_REQ: asks Zoom to end the stream. */
export function requestStreamClose(send: SendRequest, streamId: string): Promise<ServerMessage> {
  return send(
    { msg_type: MessageType.STREAM_CLOSE_REQ, rtms_stream_id: streamId },
    (m): m is Extract<ServerMessage, { msg_type: MessageType.STREAM_CLOSE_RESP }> =>
      m.msg_type === MessageType.STREAM_CLOSE_RESP,
    'stream close request',
  );
}
