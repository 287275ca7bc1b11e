/**
 * Simulator options, their defaults, and the nominal Zoom timings they scale.
 */
import { randomBytes } from 'node:crypto';
import type { MediaKind } from '../protocol/enums.js';
import type { Product } from '../protocol/products.js';
import {
  KEEP_ALIVE_INTERVAL_MS,
  KEEP_ALIVE_MAX_MISSED,
  MEDIA_RECONNECT_WINDOW_MS,
  SIGNALING_RECONNECT_WINDOW_MS,
} from '../protocol/timing.js';
import type { SpeechPattern } from './content/scenario.js';
import type { ScheduledFault } from './faults.js';
import { checkTimeScale } from './timeScale.js';

/** Real-time period at which each stream's media is pumped. */
export const PUMP_TICK_MS = 20;
/**
 * Streams are pumped in this many staggered groups, one every `PUMP_TICK_MS / PUMP_SLOTS` ms, so that
 * independent streams do not all send in the same instant (real meetings run on unrelated clocks).
 */
export const PUMP_SLOTS = 10;

export interface SimulatorCredentials {
  /** The General app's client id (meetings, webinars, Contact Center). */
  clientId: string;
  clientSecret: string;
  /** The General app's webhook secret token. */
  secretToken: string;
  /** The Video SDK app's key and secret (sessions). Default: the General app's. */
  videoSdkKey: string;
  videoSdkSecret: string;
  /** The Video SDK app's webhook secret token. Default: the General app's. */
  videoSdkSecretToken: string;
  /** Server-to-Server OAuth app for REST control. Defaults: `sim-account` and the General app's id/secret. */
  accountId: string;
  s2sClientId: string;
  s2sClientSecret: string;
}

export type FrameMode = 'text' | 'binary' | 'mixed';

/** Which sockets get keep-alive requests; see {@link SimulatorOptions.keepAlive}. */
export type KeepAliveMode = 'idle' | 'always';

export interface SimulatorOptions {
  /** Where webhooks go. Without it, webhooks are only emitted as `webhook` events. */
  webhookUrl?: string;
  credentials?: Partial<SimulatorCredentials>;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Serve `wss://` and `https://` with a generated self-signed certificate. */
  tls?: boolean;
  /** Simulated time runs this many times faster than real time (timers, windows, retries, token TTL). */
  timeScale?: number;
  /** How frames are sent: text, binary (UTF-8 JSON in binary frames) or alternating. */
  frames?: FrameMode;
  /** A second signaling connection for a live stream: rejected with status 8 (Zoom) or evicts the first. */
  duplicateSignaling?: 'reject' | 'evict';
  /**
   * Keep-alive requests only on sockets that sent no data for an interval (`idle`, default, as Zoom does),
   * or on every socket whatever flows on it (`always`, to test a client's answers on busy sockets).
   */
  keepAlive?: KeepAliveMode;
  /** Nominal timings, before `timeScale`. */
  keepAliveIntervalMs?: number;
  keepAliveMaxMissed?: number;
  signalingWindowMs?: number;
  mediaWindowMs?: number;
  /**
   * Keys of `media_server.server_urls` (besides `all`), null to leave a kind out; default: Zoom's keys for
   * the product's kinds (screen share is `sharescreen`).
   */
  mediaUrlKeys?: Partial<Record<MediaKind, string | null>>;
  /** A PCM16 WAV file whose audio replaces the tones while someone speaks. */
  audioWav?: string;
  /** Faults applied to every stream, on its timeline. */
  faults?: readonly ScheduledFault[];
  /** Streams to start at once. Default 0. */
  streams?: number;
  product?: Product;
  participants?: number;
  /** Simulated duration of each auto-started stream. Default 30 s. */
  durationMs?: number;
  /** Structured chat layout (`content.data` holding JSON) for all chat, not just scripted structured lines. */
  structuredChat?: boolean;
  /** The AI interpreter is on in every stream's script: audio connections get META_DATA_AUDIO (msg 23). */
  interpretation?: boolean;
}

export interface StreamOptions {
  product?: Product;
  participants?: number;
  durationMs?: number;
  faults?: readonly ScheduledFault[];
  /** Numeric meeting id for REST control; generated when absent. */
  meetingId?: string;
  seed?: number;
  /** The AI interpreter is on in this stream's script (default: the simulator's `interpretation`). */
  interpretation?: boolean;
  /** Contact Center: the caller goes through an IVR flow before the agents join. Default true. */
  ivr?: boolean;
  /** How people talk; `continuous` leaves no pause in the audio (see {@link SpeechPattern}). Default `turns`. */
  speech?: SpeechPattern;
}

function token(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** Fills in generated credentials for whatever was not given. */
export function resolveCredentials(given: Partial<SimulatorCredentials> = {}): SimulatorCredentials {
  const clientId = given.clientId ?? `sim_${token(12)}`;
  const clientSecret = given.clientSecret ?? token(24);
  const secretToken = given.secretToken ?? token(16);
  return {
    clientId,
    clientSecret,
    secretToken,
    videoSdkKey: given.videoSdkKey ?? clientId,
    videoSdkSecret: given.videoSdkSecret ?? clientSecret,
    videoSdkSecretToken: given.videoSdkSecretToken ?? secretToken,
    accountId: given.accountId ?? 'sim-account',
    s2sClientId: given.s2sClientId ?? clientId,
    s2sClientSecret: given.s2sClientSecret ?? clientSecret,
  };
}

/** Nominal timings divided by the time scale: what the simulator actually waits, in real ms. */
export interface Timing {
  timeScale: number;
  keepAliveIntervalMs: number;
  keepAliveMaxMissed: number;
  signalingWindowMs: number;
  mediaWindowMs: number;
}

export function timingOf(options: SimulatorOptions): Timing {
  const timeScale = checkTimeScale(options.timeScale);
  return {
    timeScale,
    keepAliveIntervalMs: (options.keepAliveIntervalMs ?? KEEP_ALIVE_INTERVAL_MS) / timeScale,
    keepAliveMaxMissed: options.keepAliveMaxMissed ?? KEEP_ALIVE_MAX_MISSED,
    signalingWindowMs: (options.signalingWindowMs ?? SIGNALING_RECONNECT_WINDOW_MS) / timeScale,
    mediaWindowMs: (options.mediaWindowMs ?? MEDIA_RECONNECT_WINDOW_MS) / timeScale,
  };
}

/** Media kinds each product streams (what a fully scoped app gets). */
export const PRODUCT_KINDS: Readonly<Record<Product, readonly MediaKind[]>> = {
  meeting: ['audio', 'video', 'deskshare', 'transcript', 'chat'],
  webinar: ['audio', 'video', 'deskshare', 'transcript', 'chat'],
  session: ['audio', 'video', 'deskshare', 'transcript'],
  contact_center: ['audio', 'transcript'],
  phone: ['audio', 'transcript'],
};
