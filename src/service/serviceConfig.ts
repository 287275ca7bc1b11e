/**
 * What the service's configuration holds once it is read, and the defaults of its settings.
 */

import type { EncodeFormat } from '../media/encode/index.js';
import type { MediaKind } from '../protocol/enums.js';
import type { NotifyConfig } from './notifyConfig.js';

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_WEBHOOK_PATH = '/webhook';
export const DEFAULT_DATA_DIR = './data';
export const DEFAULT_MEDIA: readonly MediaKind[] = ['audio', 'transcript', 'chat'];
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = ['*.zoom.us'];
/** Log levels, most severe first. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** How audio is written: `auto` follows what Zoom sends (mixed, or one stream per speaker). */
export const AUDIO_LAYOUTS = ['auto', 'mixed', 'per-speaker', 'both'] as const;
export type AudioLayoutSetting = (typeof AUDIO_LAYOUTS)[number];
/** Audio codecs the service can ask Zoom for; every one ends as a playable WAV. */
export const AUDIO_CODECS = ['l16', 'g711', 'g722', 'opus'] as const;
export type AudioCodecSetting = (typeof AUDIO_CODECS)[number];
/** Picture codecs the service can ask Zoom for, for camera video and screen share. */
export const VIDEO_CODECS = ['jpg', 'png', 'h264'] as const;
export type VideoCodecSetting = (typeof VIDEO_CODECS)[number];
/** Recordings post-processed (decoded, copied, muxed) at once by default: FFmpeg runs beside the media. */
export const DEFAULT_ENCODE_JOBS = 1;
export const MAX_ENCODE_JOBS = 64;
/** Ended stream records and recordings are kept this many days by default. */
export const DEFAULT_RETENTION_DAYS = 30;
/** Milliseconds in a day. */
export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Bounds of the HTTP server, so that slow or idle clients cannot hold sockets (and file descriptors) for
 * long. Zoom expects its 200 within 3 s and sends bodies under 256 KiB, so a legitimate request is read
 * in well under a second.
 */
export interface HttpLimits {
  /** Time to receive a request's headers. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, headers and body. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open after its last response. */
  keepAliveTimeoutMs: number;
  /** A connection with no traffic at all for this long is closed (long responses must send something). */
  idleTimeoutMs: number;
  /** Connections open at once; past it the oldest connections not in the middle of a response are closed. */
  maxConnections: number;
  /** Requests one keep-alive connection may carry before the server closes it. */
  maxRequestsPerConnection: number;
}

/** See {@link HttpLimits}. */
export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 5_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
  maxConnections: 1_000,
  maxRequestsPerConnection: 100,
};

/** Media kinds the Redis Streams output can append, per stream. */
export const REDIS_MEDIA_KINDS = ['audio', 'video', 'deskshare'] as const;
export type RedisMediaKind = (typeof REDIS_MEDIA_KINDS)[number];

/** The Redis Streams output of a Redis store: `rtmskit:events` and, opted in, `rtmskit:media:<streamId>`. */
export interface RedisStreamsConfig {
  /** Entries `rtmskit:events` keeps, about (`MAXLEN ~`). */
  eventsMaxLen: number;
  /** Media kinds appended per stream; none by default. */
  media: RedisMediaKind[];
  /** Entries each `rtmskit:media:<streamId>` keeps, about (`MAXLEN ~`). */
  mediaMaxLen: number;
}

/** 100,000 events; no media; 3,000 media entries a stream (about 60 s of 20 ms audio). */
export const DEFAULT_REDIS_STREAMS: Readonly<RedisStreamsConfig> = {
  eventsMaxLen: 100_000,
  media: [],
  mediaMaxLen: 3_000,
};

/** Fewer connections than this would let a handful of idle clients shut Zoom out. */
export const MIN_MAX_CONNECTIONS = 10;

/**
 * Which peers may set `X-Forwarded-For` and friends: `false` (none, the default), `true` (any: only
 * behind a proxy that overwrites them), a hop count, or a list of addresses, CIDR ranges and the names
 * `loopback`, `linklocal`, `uniquelocal`. It changes the client address in logs; it never opens the
 * admin routes.
 */
export type TrustProxy = boolean | number | string[];

/** How long ended streams are remembered. `undefined` keeps them forever. */
export interface RetentionConfig {
  /** Ended stream records in the store. */
  streamsMs: number | undefined;
  /** Recording folders of ended streams. */
  recordingsMs: number | undefined;
}

/** {@link DEFAULT_RETENTION_DAYS} for both. */
export const DEFAULT_RETENTION: Readonly<RetentionConfig> = {
  streamsMs: DEFAULT_RETENTION_DAYS * DAY_MS,
  recordingsMs: DEFAULT_RETENTION_DAYS * DAY_MS,
};

export interface AppCredentials {
  clientId: string;
  clientSecret: string;
  /** Webhook secret token. */
  secretToken: string;
}

export interface ServiceConfig {
  port: number;
  host: string;
  webhookPath: string;
  dataDir: string;
  /** `sqlite:<path>`, `memory:` or `redis://…`. */
  storeUrl: string;
  /** Password of a Redis store whose URL has none. */
  redisPassword: string | undefined;
  /** This instance's name in a fleet: logs, `/metrics`, the owner column of `/api/streams`. */
  instanceId: string;
  /**
   * The Redis Streams output, read with a Redis store URL (without one there is no such output). A
   * configuration written in code may leave it out: {@link DEFAULT_REDIS_STREAMS} applies.
   */
  redisStreams?: RedisStreamsConfig;
  /** Outbound webhooks, when `RTMSKIT_NOTIFY_URL` is set. */
  notify?: NotifyConfig;
  media: MediaKind[];
  audioLayout: AudioLayoutSetting;
  /** Zoom's default (L16) unless set. */
  audioCodec: AudioCodecSetting;
  /** Zoom's default (JPG) unless set. */
  videoCodec: VideoCodecSetting;
  /** Encoded copies made after a stream ends (`RTMSKIT_ENCODE`); none when absent. */
  encode?: EncodeFormat[];
  /** Recordings post-processed at once. */
  encodeJobs: number;
  allowedHosts: string[];
  allowLoopback: boolean;
  /** Sockets of all streams that may handshake at once. */
  maxConcurrentHandshakes: number;
  adminToken: string | undefined;
  /** Proxies whose forwarding headers are believed, for client addresses in logs. */
  trustProxy: TrustProxy;
  http: HttpLimits;
  retention: RetentionConfig;
  logLevel: LogLevel;
  /** General app: meetings, webinars, Contact Center. */
  app: AppCredentials;
  /** Video SDK app: sessions. */
  videoSdk: AppCredentials | undefined;
  /** Accept unsigned webhooks (local experiments only). */
  insecureSkipVerify: boolean;
  /** Server-to-Server OAuth app for REST control, when configured. */
  rest: { accountId: string; clientId: string; clientSecret: string } | undefined;
}
