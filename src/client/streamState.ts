/**
 * The states of a stream: each holds only what is valid in it, and a live stream's resources go in one
 * place when it ends.
 */
import type { RtmsError } from '../protocol/errors.js';
import type { RtmsSocket } from './RtmsSocket.js';
import { PendingRequests } from './requests.js';
import type { RecoveryProgress } from './retryLoop.js';
import type { StreamConnection } from './StreamConnection.js';

export type LiveStatus = 'connecting' | 'ready' | 'reconnecting' | 'closing';
export type EndStatus = 'closed' | 'lost' | 'failed';

/** The recovery of everything that is running, if any. */
export interface AllRecovery {
  op: AbortController;
  progress: RecoveryProgress;
  /** The signaling socket this recovery replaces: its close is expected, not a new loss. */
  replaces: RtmsSocket | undefined;
}

/** What a live stream holds; all of it goes, in one place, when the stream ends. */
export class Live {
  readonly lifetime = new AbortController();
  readonly requests = new PendingRequests();
  allRecovery: AllRecovery | undefined;
  /** The end in progress: media still flowing is read until the server closes the sockets. */
  draining: Promise<void> | undefined;

  constructor(readonly conn: StreamConnection) {}

  /** Stops every recovery, closes every socket, forgets every pending request. Idempotent. */
  dispose(): void {
    this.lifetime.abort();
    this.allRecovery?.op.abort();
    this.allRecovery = undefined;
    this.conn.teardown();
    this.requests.clear();
  }
}

/** The stream's state. */
export type StreamState =
  | { status: 'idle' }
  | { status: LiveStatus; live: Live }
  | { status: EndStatus; error: RtmsError | undefined };

export function isEnd(status: string): status is EndStatus {
  return status === 'closed' || status === 'lost' || status === 'failed';
}
