/**
 * What the simulator saw, per stream and per webhook attempt: the ground truth tests compare against.
 */
import type { MediaKind } from '../protocol/enums.js';
import type { Product } from '../protocol/products.js';
import type { WebhookAttempt } from './webhookSender.js';

/** Keep-alive requests of one socket (or summed over a stream's sockets). */
export interface KeepAliveCounters {
  sent: number;
  answered: number;
  /** Requests still unanswered when the next one was due. */
  missed: number;
}

export interface HandshakeCounters {
  ok: number;
  /** Rejections by status code. */
  rejected: Record<number, number>;
}

export type SimStreamState = 'starting' | 'active' | 'interrupted' | 'paused' | 'ended';

export interface StreamReport {
  streamId: string;
  product: Product;
  instanceId: string;
  meetingId: string;
  state: SimStreamState;
  /**
   * Most sockets that identified themselves (with a well-formed handshake) as this stream's signaling at
   * once, rejected duplicates included: more than 1 means the app opened a second connection.
   */
  maxConcurrentSignaling: number;
  /** Most sockets that asked for each media kind at once, rejected duplicates included. */
  maxConcurrentMedia: Record<MediaKind, number>;
  handshakes: { signaling: HandshakeCounters; media: HandshakeCounters };
  framesSent: Record<MediaKind, number>;
  bytesSent: Record<MediaKind, number>;
  keepAlives: KeepAliveCounters;
  /** Signaling or media connections lost while the stream was live. */
  interruptions: number;
  /** Interruptions the client recovered from inside Zoom's window. */
  recoveries: number;
  faults: string[];
  /** RTMS_STOP_REASON the stream ended with. */
  endReason?: number;
  startedAt: number;
  endedAt?: number;
}

export interface SimulatorReport {
  streams: StreamReport[];
  webhooks: WebhookAttempt[];
  urlValidation?: { ok: boolean; status: number; reason?: string };
}

export function emptyKindCounters(): Record<MediaKind, number> {
  return { audio: 0, video: 0, deskshare: 0, transcript: 0, chat: 0 };
}
