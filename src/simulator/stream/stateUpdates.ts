/** What the client is told of the stream's state: msg 8 and 9 updates, and the answers to msg 10 and 19. */
import { MessageType, SessionState, StreamState } from '../../protocol/enums.js';
import type { SimStreamState } from '../report.js';
import type { SimSocket } from '../SimSocket.js';

export interface StateUpdate {
  /** STREAM_STATE_UPDATE (msg 8), when the stream's state changed. */
  stream?: StreamState;
  /** SESSION_STATE_UPDATE (msg 9), when the session's state changed. */
  session?: SessionState;
  /** `reason` of msg 8 and `stop_reason` of msg 9. Default 0. */
  reason?: number;
  /** One time for both messages; by default each carries the moment it is sent. */
  timestamp?: number;
}

/**
 * Sends msg 8, then msg 9. At the end of a stream the session stops first, then the stream
 * terminates, as Zoom announces an end.
 */
export function sendStateUpdate(socket: SimSocket | undefined, sessionId: string, update: StateUpdate): void {
  if (!socket) return;
  const { stream, session, reason = 0 } = update;
  const sendStream = (): void => {
    if (stream === undefined) return;
    socket.send({
      msg_type: MessageType.STREAM_STATE_UPDATE,
      state: stream,
      reason,
      timestamp: update.timestamp ?? Date.now(),
    });
  };
  const sendSession = (): void => {
    if (session === undefined) return;
    socket.send({
      msg_type: MessageType.SESSION_STATE_UPDATE,
      state: session,
      stop_reason: reason,
      timestamp: update.timestamp ?? Date.now(),
      rtms_session_id: sessionId,
    });
  };
  if (stream === StreamState.TERMINATED) {
    sendSession();
    sendStream();
  } else {
    sendStream();
    sendSession();
  }
}

/** The session's state as SESSION_STATE_RESP (msg 11) gives it. */
export function sessionStateOf(status: SimStreamState): SessionState {
  switch (status) {
    case 'paused':
      return SessionState.PAUSED;
    case 'ended':
      return SessionState.STOPPED;
    case 'starting':
      return SessionState.INITIALIZE;
    case 'active':
    case 'interrupted':
      return SessionState.STARTED;
  }
}

/** The stream's state as STREAM_STATE_RESP (msg 20) gives it. */
export function streamStateOf(status: SimStreamState): StreamState {
  switch (status) {
    case 'paused':
      return StreamState.PAUSED;
    case 'ended':
      return StreamState.TERMINATED;
    case 'interrupted':
      return StreamState.INTERRUPTED;
    case 'starting':
      return StreamState.INACTIVE;
    case 'active':
      return StreamState.ACTIVE;
  }
}
