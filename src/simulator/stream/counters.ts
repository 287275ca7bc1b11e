/** The report's counters of one stream, kept live, and the open sockets its "concurrent" maxima count. */
import type WebSocket from 'ws';
import type { MediaKind } from '../../protocol/enums.js';
import type { RtmsMessage } from '../../protocol/messages.js';
import {
  emptyKindCounters,
  type KeepAliveCounters,
  type SimStreamState,
  type StreamReport,
} from '../report.js';

type Counters = Omit<StreamReport, 'streamId' | 'product' | 'instanceId' | 'meetingId' | 'state'>;

/** The ids a report names its stream by. */
export type ReportIds = Pick<StreamReport, 'streamId' | 'product' | 'instanceId' | 'meetingId'>;

export class StreamCounters {
  private readonly c: Counters;
  /** Open sockets that identified themselves as this stream's, accepted or not: what "concurrent" counts. */
  private openSignaling = 0;
  private readonly openMedia = emptyKindCounters();

  constructor(startedAt: number) {
    this.c = {
      keepAlives: { sent: 0, answered: 0, missed: 0 },
      framesSent: emptyKindCounters(),
      bytesSent: emptyKindCounters(),
      maxConcurrentSignaling: 0,
      maxConcurrentMedia: emptyKindCounters(),
      handshakes: { signaling: { ok: 0, rejected: {} }, media: { ok: 0, rejected: {} } },
      interruptions: 0,
      recoveries: 0,
      faults: [],
      startedAt,
    };
  }

  /** Summed over every socket of the stream; each socket counts into it. */
  get keepAlives(): KeepAliveCounters {
    return this.c.keepAlives;
  }

  get endReason(): number | undefined {
    return this.c.endReason;
  }

  /** Signaling handshakes accepted so far. */
  get signalingAccepted(): number {
    return this.c.handshakes.signaling.ok;
  }

  /** A well-formed signaling handshake for this stream arrived on `ws`: open until it closes. */
  signalingSocket(ws: WebSocket): void {
    this.openSignaling++;
    this.c.maxConcurrentSignaling = Math.max(this.c.maxConcurrentSignaling, this.openSignaling);
    ws.once('close', () => this.openSignaling--);
  }

  /** A media handshake asking for `kinds` arrived on `ws`: open until it closes. */
  mediaSocket(ws: WebSocket, kinds: readonly MediaKind[]): void {
    for (const kind of kinds) {
      this.openMedia[kind]++;
      this.c.maxConcurrentMedia[kind] = Math.max(this.c.maxConcurrentMedia[kind], this.openMedia[kind]);
    }
    ws.once('close', () => {
      for (const kind of kinds) this.openMedia[kind]--;
    });
  }

  accepted(which: 'signaling' | 'media'): void {
    this.c.handshakes[which].ok++;
  }

  rejected(which: 'signaling' | 'media', status: number): void {
    const rejected = this.c.handshakes[which].rejected;
    rejected[status] = (rejected[status] ?? 0) + 1;
  }

  /** One media frame went out (hot path: no allocation). */
  frameSent(kind: MediaKind, msg: RtmsMessage): void {
    this.c.framesSent[kind]++;
    const content = (msg as { content?: { data?: unknown } }).content;
    const data = content?.data;
    this.c.bytesSent[kind] += Buffer.isBuffer(data)
      ? data.length
      : typeof data === 'string'
        ? data.length
        : 0;
  }

  interrupted(): void {
    this.c.interruptions++;
  }

  recovered(): void {
    this.c.recoveries++;
  }

  fault(text: string): void {
    this.c.faults.push(text);
  }

  ended(reason: number): void {
    this.c.endReason = reason;
    this.c.endedAt = Date.now();
  }

  /** A copy: the live counters go on changing. */
  report(ids: ReportIds, state: SimStreamState): StreamReport {
    const c = this.c;
    return {
      streamId: ids.streamId,
      product: ids.product,
      instanceId: ids.instanceId,
      meetingId: ids.meetingId,
      state,
      maxConcurrentSignaling: c.maxConcurrentSignaling,
      maxConcurrentMedia: { ...c.maxConcurrentMedia },
      handshakes: structuredClone(c.handshakes),
      framesSent: { ...c.framesSent },
      bytesSent: { ...c.bytesSent },
      keepAlives: { ...c.keepAlives },
      interruptions: c.interruptions,
      recoveries: c.recoveries,
      faults: [...c.faults],
      ...(c.endReason === undefined ? {} : { endReason: c.endReason }),
      startedAt: c.startedAt,
      ...(c.endedAt === undefined ? {} : { endedAt: c.endedAt }),
    };
  }
}
