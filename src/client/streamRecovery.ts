/**
 * Which recovery a stream runs: everything (signaling and media, inside the 60 s window) or one media
 * socket (inside its 65 s window), one at a time, a new one of everything replacing a running one.
 */
import type { MediaKind } from '../protocol/enums.js';
import { RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';
import type { ReconnectedEvent, ReconnectingEvent, ReconnectScope } from './events.js';
import type { RecoveryCause } from './handshake.js';
import type { ReconnectPolicy } from './reconnectPolicy.js';
import { freshProgress, type RecoveryProgress, type RetryHost, retryLoop } from './retryLoop.js';
import type { MediaSlot, StreamConnection } from './StreamConnection.js';
import type { AllRecovery, Live } from './streamState.js';

/** What recovery needs of its stream. */
export interface RecoveryHost {
  readonly conn: StreamConnection;
  readonly kinds: readonly MediaKind[];
  readonly signalingWindowMs: number;
  readonly mediaWindowMs: number;
  readonly policy: ReconnectPolicy;
  serverUrls(): readonly string[];
  /** The live state, when a recovery may start (live, and not closing). */
  recoverable(): Live | undefined;
  ended(): boolean;
  reconnectingNow(): boolean;
  setStatus(status: 'connecting' | 'reconnecting' | 'ready'): void;
  reconnecting(event: ReconnectingEvent): void;
  reconnected(event: ReconnectedEvent): void;
  end(status: 'lost' | 'failed', error: RtmsError): void;
}

export class StreamRecovery {
  /** Connected at least once: a later status 2 may be a failover in progress. */
  private everReady = false;
  private readonly host: RecoveryHost;
  private readonly loopHost: RetryHost;

  constructor(host: RecoveryHost) {
    this.host = host;
    this.loopHost = {
      policy: host.policy,
      everReady: () => this.everReady,
      ended: () => host.ended(),
      reconnecting: (event) => host.reconnecting(event),
      succeeded: (scope, recovered) => this.succeeded(scope, recovered),
      lost: (scope, kinds, reason, windowMs, cause) =>
        host.end('lost', lostError(scope, kinds, reason, windowMs, cause)),
      failed: (error) => host.end('failed', error),
    };
  }

  private succeeded(scope: ReconnectScope, recovered: ReconnectedEvent | undefined): void {
    if (recovered) this.host.reconnected(recovered);
    this.everReady = true;
    if (scope === 'all' || this.host.conn.slots.every((s) => s.ready)) this.host.setStatus('ready');
  }

  /** The progress of the running recovery of everything, for a failover to carry on. */
  running(): RecoveryProgress | undefined {
    return this.host.recoverable()?.allRecovery?.progress;
  }

  /**
   * Reconnects signaling and every media socket (again). A later call replaces a running one; given the
   * running one's progress (`carry`), it goes on from there, at once.
   */
  all(
    cause: RecoveryCause,
    how: { initial?: boolean; carry?: RecoveryProgress; immediate?: boolean } = {},
  ): void {
    const { host } = this;
    const live = host.recoverable();
    if (!live) return;
    live.allRecovery?.op.abort();
    for (const slot of host.conn.slots) slot.recovery?.abort();
    const op = new AbortController();
    const progress = how.carry ? { ...how.carry } : freshProgress(how.initial ?? false);
    const recovery: AllRecovery = { op, progress, replaces: host.conn.signaling };
    live.allRecovery = recovery;
    host.setStatus(progress.initial ? 'connecting' : 'reconnecting');
    // A failover's first attempt keeps reading the old server's media sockets until they close: frames
    // already on their way are not thrown out. Later attempts start clean.
    let retire = cause.trigger === 'failover';
    const attempt = () => {
      const retireMedia = retire;
      retire = false;
      return host.conn.open(host.serverUrls(), op.signal, retireMedia);
    };
    void retryLoop(this.loopHost, {
      scope: 'all',
      kinds: [...host.kinds],
      cause,
      windowMs: host.signalingWindowMs,
      signal: op.signal,
      // New servers (a failover, or a recovery it carries on) are tried at once: waiting out a backoff
      // would only delay a connection that has every reason to work.
      immediateFirst: progress.initial || how.carry !== undefined || how.immediate === true,
      attempt,
      progress,
    }).finally(() => {
      if (live.allRecovery === recovery) live.allRecovery = undefined;
    });
  }

  /** Reconnects one media socket; signaling stays. Nothing while everything is being recovered. */
  media(slot: MediaSlot, cause: RecoveryCause): void {
    const { host } = this;
    const live = host.recoverable();
    if (!live || live.allRecovery || slot.recovery) return;
    const op = new AbortController();
    slot.recovery = op;
    host.conn.dropMedia(slot);
    host.setStatus('reconnecting');
    void retryLoop(this.loopHost, {
      scope: 'media',
      kinds: [...slot.kinds],
      cause,
      windowMs: host.mediaWindowMs,
      signal: op.signal,
      immediateFirst: false,
      attempt: () => host.conn.openMedia(slot, op.signal),
      progress: freshProgress(),
    }).finally(() => {
      if (slot.recovery === op) slot.recovery = undefined;
      if (host.reconnectingNow() && !live.allRecovery && host.conn.slots.every((s) => s.ready)) {
        host.setStatus('ready');
      }
    });
  }
}

function lostError(
  scope: ReconnectScope,
  kinds: MediaKind[],
  reason: string,
  windowMs: number,
  cause: unknown,
): RtmsError {
  const what = scope === 'all' ? 'signaling' : `media (${kinds.join('+')})`;
  return new RtmsError(
    RTMS_ERROR_CODES.CONNECTION_LOST,
    `${what} could not be recovered within ${windowMs} ms: ${reason}`,
    {
      cause,
      fix: 'the stream is over on Zoom’s side; start it again (rtmskit rtms start) if the meeting goes on',
    },
  );
}
