/**
 * Options of one stream, their defaults, and the local checks that refuse invalid media parameters
 * before anything is sent.
 */

import {
  AudioChannel,
  Codec,
  EventType,
  MEDIA_KINDS,
  type MediaKind,
  ZccVoiceEventType,
} from '../protocol/enums.js';
import { RtmsError } from '../protocol/errors.js';
import {
  AUDIO_CHANNELS,
  AUDIO_CODECS,
  AUDIO_DATA_OPTIONS,
  AUDIO_SAMPLE_RATES,
  IMAGE_CODECS,
  isOneOf,
  isValidFps,
  isValidSendRate,
  isValidTranscriptLanguage,
  MAX_IMAGE_CODEC_FPS,
  PICTURE_CODECS,
  RESOLUTIONS,
  STEREO_CODEC,
  VIDEO_DATA_OPTIONS,
} from '../protocol/mediaRules.js';
import type { InstanceIdKey, MediaParams } from '../protocol/messages.js';
import { PRODUCT_INFO, type Product } from '../protocol/products.js';
import {
  KEEP_ALIVE_INTERVAL_MS,
  MEDIA_RECONNECT_WINDOW_MS,
  SIGNALING_RECONNECT_WINDOW_MS,
} from '../protocol/timing.js';
import {
  CHAT_GROUP_EVENT_TYPES,
  MEETING_NOTICE_EVENT_TYPES,
  TYPED_PHONE_EVENT_CODES,
} from './eventDispatch.js';
import type { HandshakeGate } from './handshakeGate.js';
import { defaultReconnectPolicy, type ReconnectPolicy } from './reconnectPolicy.js';

/** Time allowed for a WebSocket to open. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Time allowed for a handshake response (msg 2 or msg 4). */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** A socket with no inbound frame for this long is dead: four missed keep-alives. */
export const DEAD_SOCKET_MS = 4 * KEEP_ALIVE_INTERVAL_MS;
/** Zoom waits this long for signaling to come back. */
export const SIGNALING_WINDOW_MS = SIGNALING_RECONNECT_WINDOW_MS;
/** Zoom waits this long for a media socket to come back. */
export const MEDIA_WINDOW_MS = MEDIA_RECONNECT_WINDOW_MS;
/** Time allowed for STREAM_CLOSE_RESP after STREAM_CLOSE_REQ. */
export const CLOSE_TIMEOUT_MS = 5_000;

export interface Credentials {
  /** Client id (Video SDK: SDK key). */
  clientId: string;
  /** Client secret (Video SDK: SDK secret). */
  clientSecret: string;
}

export interface StreamTimeouts {
  connectMs: number;
  handshakeMs: number;
  deadSocketMs: number;
  signalingWindowMs: number;
  mediaWindowMs: number;
  closeMs: number;
}

export interface RtmsStreamOptions {
  streamId: string;
  /** meeting_uuid, webinar_uuid, session_id or engagement_id of the event. */
  instanceId: string;
  product: Product;
  /** Signaling URLs from the webhook, best first. */
  serverUrls: readonly string[];
  credentials: Credentials;
  /** Media kinds to receive. Default audio and transcript. */
  media?: readonly MediaKind[];
  /** Parameters per kind; omitted fields take the protocol defaults. */
  mediaParams?: MediaParams;
  /** One socket per kind (`split`, default) or one socket to `all` (`unified`). */
  mediaMode?: 'split' | 'unified';
  /** Key of the instance id in handshakes: the product's own (default) or `meeting_uuid` for every product. */
  handshakeIdKey?: 'product' | 'meeting_uuid';
  /** Deliver audio buffered before the connection (Zoom's default). */
  bufferData?: boolean;
  /**
   * Event numbers to subscribe to. Default ({@link defaultEventsFor}): active speaker, join, leave,
   * sharing start/stop, video on/off, and chat groups with chat media; for Contact Center every voice
   * event (8–34); for Zoom Phone every call event code.
   */
  events?: readonly number[];
  /** Host patterns server URLs must match (`*.zoom.us` matches subdomains). Default `['*.zoom.us']`. */
  allowedHosts?: readonly string[];
  /** Also allow 127.0.0.1, ::1 and localhost (for the simulator). Default false. */
  allowLoopback?: boolean;
  /** CA certificate(s) to trust for `wss://` (the simulator's self-signed one). */
  ca?: string | readonly string[];
  timeouts?: Partial<StreamTimeouts>;
  reconnectPolicy?: ReconnectPolicy;
  /** Shared by many streams to bound how many sockets handshake at once (`StreamManager` passes one). */
  handshakeGate?: HandshakeGate;
}

export interface ResolvedStreamOptions {
  streamId: string;
  instanceId: string;
  product: Product;
  serverUrls: readonly string[];
  credentials: Credentials;
  kinds: readonly MediaKind[];
  mediaParams: MediaParams;
  mediaMode: 'split' | 'unified';
  instanceKey: InstanceIdKey;
  bufferData: boolean;
  events: readonly number[];
  allowedHosts: readonly string[];
  allowLoopback: boolean;
  ca: string | readonly string[] | undefined;
  timeouts: StreamTimeouts;
  reconnectPolicy: ReconnectPolicy;
  handshakeGate: HandshakeGate | undefined;
}

/**
 * Meeting events subscribed to by default: every one the stream turns into a typed event, but the
 * first-packet timestamp (Zoom sends it anyway) and the chat-group events (only with chat, below).
 */
export const DEFAULT_EVENTS: readonly number[] = MEETING_NOTICE_EVENT_TYPES;

/** Every Contact Center voice event, 8–34: the IVR ones are typed, the others raw. */
const ZCC_EVENTS: readonly number[] = Object.values(ZccVoiceEventType).filter(
  (v): v is ZccVoiceEventType => typeof v === 'number' && v !== ZccVoiceEventType.UNDEFINED,
);

/**
 * The events a stream subscribes to when its options name none: meetings' typed events (with chat
 * groups when chat is received), every Contact Center voice event, or every Zoom Phone call event.
 */
export function defaultEventsFor(product: Product, kinds: readonly MediaKind[]): readonly number[] {
  if (product === 'contact_center') return ZCC_EVENTS;
  if (product === 'phone')
    return [...TYPED_PHONE_EVENT_CODES].filter((code) => code !== EventType.FIRST_PACKET_TIMESTAMP);
  return kinds.includes('chat') ? [...DEFAULT_EVENTS, ...CHAT_GROUP_EVENT_TYPES] : DEFAULT_EVENTS;
}

/** The protocol's defaults, as Zoom fills them in. */

function fail(message: string, fix: string): never {
  throw RtmsError.invalidOptions(message, fix);
}

/** An omitted field takes Zoom's default, so only a given value can break a rule. */
function allowed(value: number | undefined, values: readonly number[]): boolean {
  return value === undefined || isOneOf(value, values);
}

/** Refuses parameters Zoom would refuse, naming the rule. */
export function checkMediaParams(kinds: readonly MediaKind[], params: MediaParams): void {
  const a = params.audio;
  if (kinds.includes('audio') && a) {
    if (!allowed(a.sample_rate, AUDIO_SAMPLE_RATES)) {
      fail(
        `audio.sample_rate ${a.sample_rate} is not valid`,
        'use SampleRate: 0 8 kHz, 1 16 kHz, 2 32 kHz, 3 48 kHz',
      );
    }
    if (!allowed(a.codec, AUDIO_CODECS))
      fail(`audio.codec ${a.codec} is not an audio codec`, 'use L16, G711, G722 or OPUS');
    if (!allowed(a.channel, AUDIO_CHANNELS))
      fail(`audio.channel ${a.channel} is not valid`, 'use 1 (mono) or 2 (stereo)');
    if (a.channel === AudioChannel.STEREO && (a.codec ?? Codec.L16) !== STEREO_CODEC) {
      fail('stereo audio needs the Opus codec', 'set audio.codec to Codec.OPUS, or audio.channel to mono');
    }
    if (!allowed(a.data_opt, AUDIO_DATA_OPTIONS))
      fail(`audio.data_opt ${a.data_opt} is not valid`, 'use 1 (mixed) or 2 (per speaker)');
    if (a.send_rate !== undefined && !isValidSendRate(a.send_rate)) {
      fail(`audio.send_rate ${a.send_rate} is not a multiple of 20 ms`, 'use 20, 40 … 1000');
    }
  }
  for (const kind of ['video', 'deskshare'] as const) {
    const v = params[kind];
    if (!kinds.includes(kind) || !v) continue;
    if (!allowed(v.codec, PICTURE_CODECS)) {
      fail(`${kind}.codec ${v.codec} is not a picture codec`, 'use JPG, PNG or H264');
    }
    if (v.fps !== undefined && !isValidFps(v.fps)) fail(`${kind}.fps ${v.fps} is not valid`, 'use 1 to 30');
    if (isOneOf(v.codec, IMAGE_CODECS) && (v.fps ?? 0) > MAX_IMAGE_CODEC_FPS) {
      fail(`${kind}: JPG/PNG needs fps <= 5 (got ${v.fps})`, 'lower fps to 5, or use Codec.H264 for more');
    }
    if (!allowed(v.resolution, RESOLUTIONS))
      fail(`${kind}.resolution ${v.resolution} is not valid`, 'use Resolution SD, HD, FHD or QHD');
  }
  const video = params.video;
  if (kinds.includes('video') && video && !allowed(video.data_opt, VIDEO_DATA_OPTIONS)) {
    fail(`video.data_opt ${video.data_opt} is not valid`, 'use 3 (active speaker) or 4 (one participant)');
  }
  const t = params.transcript;
  if (
    kinds.includes('transcript') &&
    t &&
    t.src_language !== undefined &&
    !isValidTranscriptLanguage(t.src_language)
  ) {
    fail(
      `transcript.src_language ${t.src_language} is not valid`,
      'use a TranscriptLanguage value (-1 to 36)',
    );
  }
}

/** Fills defaults and validates; throws `INVALID_OPTIONS` naming the rule. */
export function resolveStreamOptions(options: RtmsStreamOptions): ResolvedStreamOptions {
  if (!options.streamId) fail('streamId is empty', 'pass rtms_stream_id from the webhook');
  if (!options.instanceId)
    fail('instanceId is empty', 'pass meeting_uuid / webinar_uuid / session_id / engagement_id');
  if (!options.credentials?.clientId || !options.credentials.clientSecret) {
    fail(
      'client id or secret is missing',
      'set ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET (Video SDK: SDK key and secret)',
    );
  }
  if (options.serverUrls.length === 0)
    fail('no server URL', 'pass server_urls from the rtms_started webhook');
  const kinds = [...new Set(options.media ?? (['audio', 'transcript'] as const))];
  if (kinds.length === 0)
    fail('no media kind requested', `ask for at least one of ${MEDIA_KINDS.join(', ')}`);
  for (const kind of kinds) {
    if (!MEDIA_KINDS.includes(kind)) fail(`unknown media kind "${kind}"`, `use ${MEDIA_KINDS.join(', ')}`);
  }
  const mediaParams = options.mediaParams ?? {};
  checkMediaParams(kinds, mediaParams);
  const timeouts: StreamTimeouts = {
    connectMs: CONNECT_TIMEOUT_MS,
    handshakeMs: HANDSHAKE_TIMEOUT_MS,
    deadSocketMs: DEAD_SOCKET_MS,
    signalingWindowMs: SIGNALING_WINDOW_MS,
    mediaWindowMs: MEDIA_WINDOW_MS,
    closeMs: CLOSE_TIMEOUT_MS,
    ...options.timeouts,
  };
  return {
    streamId: options.streamId,
    instanceId: options.instanceId,
    product: options.product,
    serverUrls: options.serverUrls,
    credentials: options.credentials,
    kinds,
    mediaParams,
    mediaMode: options.mediaMode ?? 'split',
    instanceKey:
      options.handshakeIdKey === 'meeting_uuid' ? 'meeting_uuid' : PRODUCT_INFO[options.product].instanceKey,
    bufferData: options.bufferData ?? true,
    events: options.events ?? defaultEventsFor(options.product, kinds),
    allowedHosts: options.allowedHosts ?? ['*.zoom.us'],
    allowLoopback: options.allowLoopback ?? false,
    ca: options.ca,
    timeouts,
    reconnectPolicy: options.reconnectPolicy ?? defaultReconnectPolicy,
    handshakeGate: options.handshakeGate,
  };
}
