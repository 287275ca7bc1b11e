/**
 * What the stream does with each signaling message: typed events, and the recovery the recovery table
 * asks for (event 7 and stream-state interruptions reconnect media or everything; TERMINATED ends it).
 * Event numbers are read by product: Zoom Phone names its events by V2 `event_code`.
 */
import {
  EventType,
  MediaType,
  MessageType,
  SessionState,
  StopReason,
  StreamState,
} from '../protocol/enums.js';
import { eventNumberOf } from '../protocol/eventPayloads.js';
import type { ServerMessage } from '../protocol/messages.js';
import type { Product } from '../protocol/products.js';
import { recoveryForStopReason } from '../protocol/recovery.js';
import { dispatchEvent, dispatchMetadata } from './dispatch.js';
import type { StreamEvents } from './events.js';
import type { RecoveryCause } from './handshake.js';
import type { MediaSlot } from './StreamConnection.js';

/** An event 7 this recent already said which media socket to reconnect: a stream-state update adds nothing. */
const EVENT7_COVERS_MS = 1_000;

/** What the signaling socket told us about the session, kept across messages. */
export interface SessionFacts {
  sessionId: string | undefined;
  /** The session's stop reason, once SESSION_STATE_UPDATE said STOPPED. */
  stopped: number | undefined;
  /** performance.now() of the latest event 7 (media connection interrupted). */
  lastEvent7At: number;
}

/** What a signaling message may ask of its stream. */
export interface SignalingHost {
  /** Which table the stream's event numbers are read by. */
  readonly product: Product;
  readonly slots: readonly MediaSlot[];
  readonly session: SessionFacts;
  emit<K extends keyof StreamEvents>(name: K, payload: StreamEvents[K][0]): void;
  recoverAll(cause: RecoveryCause): void;
  recoverMedia(slot: MediaSlot, cause: RecoveryCause): void;
  stop(stopReason: number): void;
}

export function onSignalingMessage(host: SignalingHost, msg: ServerMessage): void {
  switch (msg.msg_type) {
    case MessageType.EVENT_UPDATE: {
      const event = msg.event;
      const number = eventNumberOf(event, host.product === 'phone');
      if (number === EventType.MEDIA_CONNECTION_INTERRUPTED) {
        host.session.lastEvent7At = performance.now();
        const mask = typeof event.media_type === 'number' ? event.media_type : 0;
        for (const slot of host.slots) {
          if (mask === 0 || (slot.mask & mask) !== 0 || (mask & MediaType.ALL) !== 0) {
            host.recoverMedia(slot, {
              trigger: 'media-interrupted-event',
              reason: 'media connection interrupted (event 7)',
            });
          }
        }
      }
      dispatchEvent(event, host.product, (name, payload) => host.emit(name, payload));
      return;
    }
    case MessageType.META_DATA_AUDIO:
      dispatchMetadata(msg, (name, payload) => host.emit(name, payload));
      return;
    case MessageType.STREAM_STATE_UPDATE: {
      const reason = msg.reason ?? msg.stop_reason;
      host.emit('streamState', { state: msg.state, reason, timestamp: msg.timestamp });
      if (msg.state === StreamState.TERMINATED) {
        host.stop(reason ?? StopReason.UNDEFINED);
      } else if (msg.state === StreamState.INTERRUPTED && reason !== undefined) {
        onInterrupted(host, reason);
      }
      return;
    }
    case MessageType.SESSION_STATE_UPDATE: {
      const stopReason = msg.stop_reason ?? msg.reason;
      if (msg.rtms_session_id) host.session.sessionId = msg.rtms_session_id;
      if (msg.state === SessionState.STOPPED) host.session.stopped = stopReason ?? StopReason.UNDEFINED;
      host.emit('sessionState', {
        state: msg.state,
        sessionId: msg.rtms_session_id,
        stopReason,
        timestamp: msg.timestamp,
      });
      return;
    }
    default:
      return;
  }
}

/** Stream state INTERRUPTED: the stop reason says what to reconnect. */
function onInterrupted(host: SignalingHost, reason: number): void {
  const action = recoveryForStopReason(reason).action;
  const cause: RecoveryCause = {
    trigger: 'stream-state',
    reason: `stream interrupted (${StopReason[reason] ?? reason})`,
  };
  if (action === 'reconnect-all') {
    host.recoverAll(cause);
  } else if (action === 'reconnect-media') {
    // Event 7 usually says which socket; without it, every media socket that is not already recovering.
    if (performance.now() - host.session.lastEvent7At < EVENT7_COVERS_MS) return;
    if (host.slots.some((s) => s.recovery)) return;
    for (const slot of host.slots) host.recoverMedia(slot, cause);
  }
}
