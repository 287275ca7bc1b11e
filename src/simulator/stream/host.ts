/** What a stream needs from the simulator that owns it, and what it is started with. */
import type { Product } from '../../protocol/products.js';
import type { CodedAudioLibrary } from '../content/codedAudio.js';
import type { PictureLibrary } from '../content/pictures.js';
import type { WavAudioSource } from '../content/wavSource.js';
import type { ScheduledFault } from '../faults.js';
import type { Timing } from '../options.js';
import type { SimStream } from '../SimStream.js';
import type { Timeline } from '../timeline.js';
import type { HandshakeRules } from './handshakes.js';

export type LifecycleWebhook = 'started' | 'stopped' | 'interrupted';

/** What a stream needs from the simulator that owns it. */
export interface StreamHost extends HandshakeRules {
  timing: Timing;
  keepAliveMode: 'always' | 'idle';
  structuredChat: boolean;
  wav: WavAudioSource | undefined;
  /** Tone frames shared by every stream. */
  audioCache: Map<string, Buffer>;
  /** Video and screen-share fixtures shared by every stream. */
  pictures: PictureLibrary;
  /** G.722 and Opus tones shared by every stream. */
  codedAudio: CodedAudioLibrary;
  /** `media_server.server_urls` for the stream. */
  mediaServerUrls(stream: SimStream): Record<string, string>;
  webhook(stream: SimStream, kind: LifecycleWebhook): void;
  /** Move the stream to a new RTMS server and announce it with a fresh `rtms_started`. */
  failover(stream: SimStream): void;
  resendStarted(stream: SimStream): void;
  log(stream: SimStream, line: string): void;
  ended(stream: SimStream): void;
}

export interface SimStreamInit {
  streamId: string;
  product: Product;
  instanceId: string;
  meetingId: string;
  sessionKey?: string;
  operatorId: string;
  accountId: string;
  timeline: Timeline;
  durationMs: number;
  faults: readonly ScheduledFault[];
  /** Which server (node) currently serves it. */
  nodeId: number;
}
