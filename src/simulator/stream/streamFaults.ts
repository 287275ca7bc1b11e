/** Faults on one stream: the scripted ones coming due, what each does, and what they leave set. */
import { StopReason } from '../../protocol/enums.js';
import { describeFault, type Fault, type ScheduledFault } from '../faults.js';
import type { SimSocket } from '../SimSocket.js';
import type { MediaLink } from './state.js';

/** What a fault acts on. */
export interface FaultTarget {
  readonly ended: boolean;
  signaling(): SimSocket | undefined;
  media(): readonly MediaLink[];
  /** Counts the fault in the report and logs it. */
  applied(text: string): void;
  failover(): void;
  resendStarted(): void;
  stopKeepAlive(): void;
  pause(): boolean;
  resume(): boolean;
  end(reason: number): void;
}

export class StreamFaults {
  /** `reject-handshake`: statuses for the next signaling handshakes, one each, in order. */
  readonly rejectNext: number[] = [];
  /** `delay-handshake`: real ms before every later handshake answer. */
  handshakeDelayMs = 0;
  /** `slow-webhook`: real ms before every later webhook. */
  webhookDelayMs = 0;
  /** `stop-keepalive`: sockets opened later get no keep-alive either. */
  keepAliveStopped = false;
  /** `stop-media`: no more media frames. */
  mediaStopped = false;
  /** `late-retry` before the end: `rtms_started` goes again once the stream has stopped. */
  lateRetry = false;
  private readonly target: FaultTarget;
  /** Scripted faults not yet due, earliest first. */
  private readonly pending: ScheduledFault[];

  constructor(target: FaultTarget, scheduled: readonly ScheduledFault[]) {
    this.target = target;
    this.pending = [...scheduled].sort((a, b) => a.atMs - b.atMs);
  }

  /** Applies the scripted faults due by simulated `now`, until one ends the stream. */
  due(now: number): void {
    while (this.pending.length > 0 && (this.pending[0]?.atMs ?? Infinity) <= now) {
      const next = this.pending.shift();
      if (next) this.apply(next.fault);
      if (this.target.ended) return;
    }
  }

  /** Applies a fault now. On an ended stream only the re-deliveries of `rtms_started` still act. */
  apply(fault: Fault): void {
    const t = this.target;
    if (t.ended && fault.type !== 'late-retry' && fault.type !== 'duplicate-webhook') return;
    t.applied(describeFault(fault));
    switch (fault.type) {
      case 'failover':
        t.failover();
        return;
      case 'drop-signaling':
        t.signaling()?.drop();
        return;
      case 'drop-media':
        for (const link of t.media()) {
          if (fault.kind === undefined || link.kinds.includes(fault.kind)) link.socket.drop();
        }
        return;
      case 'reset':
        if (fault.target === 'signaling') t.signaling()?.reset();
        else for (const link of t.media()) link.socket.reset();
        return;
      case 'close':
        t.signaling()?.close(fault.code, 'closed by fault injection');
        return;
      case 'stop-keepalive':
        this.keepAliveStopped = true;
        t.stopKeepAlive();
        return;
      case 'stop-media':
        this.mediaStopped = true;
        return;
      case 'reject-handshake':
        this.rejectNext.push(fault.status);
        return;
      case 'delay-handshake':
        this.handshakeDelayMs = fault.ms;
        return;
      case 'malformed-frame':
        t.signaling()?.sendRaw('{"msg_type": 6, "event": {"event_type": 2,');
        return;
      case 'duplicate-webhook':
        t.resendStarted();
        return;
      case 'late-retry':
        if (t.ended) t.resendStarted();
        else this.lateRetry = true;
        return;
      case 'slow-webhook':
        this.webhookDelayMs = fault.ms;
        return;
      case 'pause':
        t.pause();
        return;
      case 'resume':
        t.resume();
        return;
      case 'stop':
        t.end(fault.reason);
        return;
      case 'revoke':
        t.end(StopReason.STREAM_REVOKED);
        return;
    }
  }
}
