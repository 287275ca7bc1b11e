/** The media pump hook-up of one stream: where each kind's media resumes, and the frames due on each tick. */
import type { MediaKind } from '../../protocol/enums.js';
import type { RtmsMessage } from '../../protocol/messages.js';
import type { Product } from '../../protocol/products.js';
import { AUDIO_BUFFER_MS } from '../../protocol/timing.js';
import type { CodedAudioLibrary } from '../content/codedAudio.js';
import type { PictureLibrary } from '../content/pictures.js';
import type { WavAudioSource } from '../content/wavSource.js';
import { type PumpContext, pumpKind } from '../MediaPump.js';
import { BACKPRESSURE_BYTES } from '../SimSocket.js';
import type { Timeline } from '../timeline.js';
import type { StreamCounters } from './counters.js';
import type { MediaLink } from './state.js';

/** Frames one connection may send per pump tick, so a backlog drains without starving the event loop. */
export const MAX_FRAMES_PER_TICK = 200;

export interface MediaFlowInit {
  streamId: string;
  product: Product;
  timeline: Timeline;
  /** Epoch ms of simulated time 0. */
  tsBase: number;
  wav: WavAudioSource | undefined;
  structuredChat: boolean;
  /** Tone frames shared by every stream. */
  audioCache: Map<string, Buffer>;
  /** Video and screen-share fixtures shared by every stream. */
  pictures: PictureLibrary;
  /** G.722 and Opus tones shared by every stream. */
  codedAudio: CodedAudioLibrary;
  counters: StreamCounters;
}

export class MediaFlow {
  /** `buffer_data` of the first signaling handshake: deliver audio said before the app connected. */
  bufferData = true;
  /** The user asked for with VIDEO_SUBSCRIPTION_REQ (video `data_opt` 4). */
  videoSubscription: number | undefined;
  private readonly streamId: string;
  private readonly counters: StreamCounters;
  /** Simulated ms up to which each kind has been sent. */
  private readonly cursors = new Map<MediaKind, number>();
  private firstPacketSent = false;
  /** One context for every tick; `send` writes to the connection and kind being pumped. */
  private readonly ctx: PumpContext;
  /** Where `ctx.send` writes: the connection and kind being pumped. */
  private sendingOn: MediaLink | undefined;
  private sendingKind: MediaKind = 'audio';

  constructor(init: MediaFlowInit) {
    this.streamId = init.streamId;
    this.counters = init.counters;
    this.ctx = {
      timeline: init.timeline,
      tsBase: init.tsBase,
      product: init.product,
      wav: init.wav,
      structuredChat: init.structuredChat,
      videoSubscription: undefined,
      send: (msg) => this.sendFrame(msg),
      audioCache: init.audioCache,
      pictures: init.pictures,
      codedAudio: init.codedAudio,
    };
  }

  /**
   * The signaling connection is up at simulated `now`. Returns the FIRST_PACKET_TIMESTAMP to announce
   * (epoch ms) the first time: where the stream's media starts for this app, the oldest buffered audio
   * when `buffer_data` holds, else the present.
   */
  signalingUp(now: number): number | undefined {
    if (this.firstPacketSent) return undefined;
    this.firstPacketSent = true;
    return Math.round(this.ctx.tsBase + (this.bufferData ? Math.max(0, now - AUDIO_BUFFER_MS) : now));
  }

  /** A CLIENT_READY_ACK at simulated `now`: every connection accepted since the last one starts. */
  ready(media: readonly MediaLink[], now: number): void {
    for (const link of media) {
      if (link.ready) continue;
      link.ready = true;
      for (const kind of link.kinds) {
        const cursor = this.cursors.get(kind);
        if (kind === 'video' || kind === 'deskshare') {
          // Video is not buffered: a (re)connected socket starts at the present.
          this.cursors.set(kind, now);
        } else if (cursor === undefined) {
          // Audio said before the app connected is buffered (up to 60 s) and delivered first.
          const buffered = kind === 'audio' && this.bufferData;
          this.cursors.set(kind, buffered ? Math.max(0, now - AUDIO_BUFFER_MS) : now);
        } else {
          // Across an interruption what was said is kept, up to the buffer's 60 s.
          this.cursors.set(kind, Math.max(cursor, now - AUDIO_BUFFER_MS));
        }
      }
    }
  }

  /** Nothing said while the stream was paused is delivered. */
  skipTo(now: number): void {
    for (const kind of this.cursors.keys()) this.cursors.set(kind, now);
  }

  /** Sends every ready connection the frames due up to simulated `now`. */
  pump(media: readonly MediaLink[], now: number): void {
    const ctx = this.ctx;
    ctx.videoSubscription = this.videoSubscription;
    for (const link of media) {
      if (!link.ready || !link.socket.isOpen) continue;
      this.sendingOn = link;
      for (const kind of link.kinds) {
        if (link.socket.bufferedAmount > BACKPRESSURE_BYTES) break;
        this.sendingKind = kind;
        const cursor = this.cursors.get(kind) ?? now;
        this.cursors.set(
          kind,
          pumpKind(ctx, this.streamId, kind, link.params, link.pump, cursor, now, MAX_FRAMES_PER_TICK),
        );
      }
    }
    this.sendingOn = undefined;
  }

  private sendFrame(msg: RtmsMessage): void {
    if (!this.sendingOn) return;
    this.sendingOn.socket.send(msg);
    this.counters.frameSent(this.sendingKind, msg);
  }
}
