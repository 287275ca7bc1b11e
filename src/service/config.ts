/**
 * The service's configuration: read once from flags, the environment and `.env`, validated at the edge,
 * then passed down. Nothing below this layer reads `process.env`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { DEFAULT_MAX_CONCURRENT_HANDSHAKES } from '../client/handshakeGate.js';
import { MEDIA_KINDS, type MediaKind } from '../protocol/enums.js';
import { RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_WEBHOOK_PATH = '/webhook';
export const DEFAULT_DATA_DIR = './data';
export const DEFAULT_MEDIA: readonly MediaKind[] = ['audio', 'transcript', 'chat'];
/** Ended stream records and recordings are kept this many days by default. */
export const DEFAULT_RETENTION_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

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
  media: MediaKind[];
  audioLayout: 'mixed' | 'per-speaker' | 'auto';
  allowedHosts: string[];
  allowLoopback: boolean;
  /** Sockets of all streams that may handshake at once. */
  maxConcurrentHandshakes: number;
  adminToken: string | undefined;
  /** Proxies whose forwarding headers are believed, for client addresses in logs. */
  trustProxy: TrustProxy;
  http: HttpLimits;
  retention: RetentionConfig;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** General app: meetings, webinars, Contact Center. */
  app: AppCredentials;
  /** Video SDK app: sessions. */
  videoSdk: AppCredentials | undefined;
  /** Accept unsigned webhooks (local experiments only). */
  insecureSkipVerify: boolean;
  /** Server-to-Server OAuth app for REST control, when configured. */
  rest: { accountId: string; clientId: string; clientSecret: string } | undefined;
}

/** Every setting: its environment names (first wins), meaning and default, for `.env.example` and docs. */
export const SETTINGS = [
  {
    names: ['ZOOM_CLIENT_ID', 'ZM_CLIENT_ID', 'ZM_RTMS_CLIENT'],
    about: 'General app client id (meetings, webinars, Contact Center)',
  },
  { names: ['ZOOM_CLIENT_SECRET', 'ZM_CLIENT_SECRET', 'ZM_RTMS_SECRET'], about: 'General app client secret' },
  {
    names: ['ZOOM_SECRET_TOKEN', 'ZOOM_WEBHOOK_SECRET_TOKEN'],
    about: 'webhook secret token of the General app',
  },
  { names: ['ZOOM_VIDEO_SDK_KEY'], about: 'Video SDK app key (sessions)' },
  { names: ['ZOOM_VIDEO_SDK_SECRET'], about: 'Video SDK app secret' },
  { names: ['ZOOM_VIDEO_SDK_SECRET_TOKEN'], about: 'webhook secret token of the Video SDK app' },
  { names: ['ZOOM_ACCOUNT_ID'], about: 'account id, for REST control (Server-to-Server OAuth)' },
  { names: ['ZOOM_S2S_CLIENT_ID'], about: 'S2S OAuth client id (default: the General app client id)' },
  { names: ['ZOOM_S2S_CLIENT_SECRET'], about: 'S2S OAuth client secret (default: the General app secret)' },
  { names: ['RTMSKIT_PORT'], about: `port of the HTTP server (default ${DEFAULT_PORT})` },
  { names: ['RTMSKIT_HOST'], about: `address to bind (default ${DEFAULT_HOST})` },
  { names: ['RTMSKIT_WEBHOOK_PATH'], about: `path Zoom posts webhooks to (default ${DEFAULT_WEBHOOK_PATH})` },
  { names: ['RTMSKIT_DATA_DIR'], about: `recordings and the database (default ${DEFAULT_DATA_DIR})` },
  {
    names: ['RTMSKIT_STORE_URL'],
    about: 'sqlite:<path> (default <data dir>/rtmskit.db), memory: or redis://host:port',
  },
  {
    names: ['RTMSKIT_MEDIA'],
    about: `media kinds to receive, comma-separated (default ${DEFAULT_MEDIA.join(',')})`,
  },
  {
    names: ['RTMSKIT_AUDIO_LAYOUT'],
    about:
      'auto (default: audio.wav for the mixed stream, audio-<userId>.wav per speaker), mixed or per-speaker',
  },
  {
    names: ['RTMSKIT_ALLOWED_HOSTS'],
    about: 'server hosts streams may connect to, comma-separated (default *.zoom.us)',
  },
  {
    names: ['RTMSKIT_ALLOW_LOOPBACK'],
    about: 'also allow 127.0.0.1/localhost servers, for the simulator (default false)',
  },
  {
    names: ['RTMSKIT_MAX_HANDSHAKES'],
    about: `sockets that may handshake at once when many streams start (default ${DEFAULT_MAX_CONCURRENT_HANDSHAKES})`,
  },
  {
    names: ['RTMSKIT_ADMIN_TOKEN'],
    about: 'bearer token for /api and /metrics from anywhere but this machine directly (tunnels, proxies)',
  },
  {
    names: ['RTMSKIT_TRUST_PROXY'],
    about:
      'proxies whose X-Forwarded-For is believed: false (default), true, a hop count, or addresses/CIDRs',
  },
  {
    names: ['RTMSKIT_MAX_CONNECTIONS'],
    about: `HTTP connections open at once; past it the oldest idle or slow ones are closed (default ${DEFAULT_HTTP_LIMITS.maxConnections})`,
  },
  {
    names: ['RTMSKIT_RETENTION_DAYS'],
    about: `days ended streams and their recordings are kept; 0 keeps them forever (default ${DEFAULT_RETENTION_DAYS})`,
  },
  {
    names: ['RTMSKIT_RECORDING_RETENTION_DAYS'],
    about: 'days recordings of ended streams are kept, if not RTMSKIT_RETENTION_DAYS; 0 keeps them forever',
  },
  { names: ['RTMSKIT_LOG_LEVEL'], about: 'fatal, error, warn, info (default), debug, trace or silent' },
] as const;

export interface ConfigFlags {
  port?: string | number;
  host?: string;
  webhookPath?: string;
  dataDir?: string;
  storeUrl?: string;
  media?: string;
  audioLayout?: string;
  logLevel?: string;
  insecureSkipVerify?: boolean;
  envFile?: string;
}

function first(
  env: Readonly<Record<string, string | undefined>>,
  names: readonly string[],
): string | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') return value.trim();
  }
  return undefined;
}

function list(value: string | undefined): string[] | undefined {
  return value
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}

const schema = z.object({
  port: z.coerce.number().int().min(0).max(65_535),
  host: z.string().min(1),
  webhookPath: z.string().regex(/^\/[\w\-./]*$/, 'must start with / and hold only path characters'),
  dataDir: z.string().min(1),
  storeUrl: z.string().min(1),
  media: z.array(z.enum(MEDIA_KINDS as [MediaKind, ...MediaKind[]])).min(1),
  audioLayout: z.enum(['mixed', 'per-speaker', 'auto']),
  allowedHosts: z.array(z.string().regex(/^(\*\.)?[a-z0-9.-]+$/i, 'must be a host name or *.domain')).min(1),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  maxConcurrentHandshakes: z.coerce.number().int().min(1, 'RTMSKIT_MAX_HANDSHAKES must be at least 1'),
  maxConnections: z.coerce
    .number()
    .int('RTMSKIT_MAX_CONNECTIONS must be a whole number')
    .min(10, 'RTMSKIT_MAX_CONNECTIONS must be at least 10'),
  retentionDays: z.coerce.number().min(0, 'RTMSKIT_RETENTION_DAYS must be 0 (keep) or a number of days'),
  recordingRetentionDays: z.coerce
    .number()
    .min(0, 'RTMSKIT_RECORDING_RETENTION_DAYS must be 0 (keep) or a number of days'),
});

/** Proxy names `proxy-addr` (Fastify's `trustProxy`) knows besides addresses. */
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Parses RTMSKIT_TRUST_PROXY; a problem is returned as text. */
function parseTrustProxy(value: string | undefined): TrustProxy | string {
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  if (['0', 'false', 'no', 'off'].includes(lower)) return false;
  if (['true', 'yes', 'on'].includes(lower)) return true;
  if (/^[1-9]\d{0,2}$/.test(value)) return Number(value);
  const entries = list(value) ?? [];
  const bad = entries.filter((entry) => {
    if (PROXY_NAMES.has(entry)) return false;
    const [address = '', bits, ...rest] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return true;
    return bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  });
  if (entries.length === 0 || bad.length > 0) {
    return `RTMSKIT_TRUST_PROXY: ${JSON.stringify(bad.join(',') || value)} is not false, true, a hop count, an address, a CIDR range or one of ${[...PROXY_NAMES].join(', ')}`;
  }
  return entries;
}

/** Days as milliseconds; 0 means "keep forever". */
function retentionMs(days: number): number | undefined {
  return days === 0 ? undefined : days * DAY_MS;
}

/** Reads a `.env` file: values never override the real environment. Missing file → empty. */
export function readEnvFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  try {
    return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
  } catch (cause) {
    throw new RtmsError(RTMS_ERROR_CODES.CONFIG_INVALID, `cannot read ${path}`, {
      cause,
      fix: 'fix the file (KEY=value lines) or remove it',
    });
  }
}

/**
 * Builds the configuration. Precedence: flags, then the environment, then `.env`, then defaults.
 * Throws `CONFIG_INVALID` naming every missing or malformed setting and the fix.
 */
export function loadConfig(
  flags: ConfigFlags,
  processEnv: Readonly<Record<string, string | undefined>>,
  cwd = process.cwd(),
): ServiceConfig {
  const envFile = flags.envFile ?? join(cwd, '.env');
  const env = { ...readEnvFile(envFile), ...processEnv };
  const get = (...names: string[]) => first(env, names);

  const dataDir = resolve(cwd, flags.dataDir ?? get('RTMSKIT_DATA_DIR') ?? DEFAULT_DATA_DIR);
  const raw = {
    port: flags.port ?? get('RTMSKIT_PORT') ?? DEFAULT_PORT,
    host: flags.host ?? get('RTMSKIT_HOST') ?? DEFAULT_HOST,
    webhookPath: flags.webhookPath ?? get('RTMSKIT_WEBHOOK_PATH') ?? DEFAULT_WEBHOOK_PATH,
    dataDir,
    storeUrl: flags.storeUrl ?? get('RTMSKIT_STORE_URL') ?? `sqlite:${join(dataDir, 'rtmskit.db')}`,
    media: list(flags.media ?? get('RTMSKIT_MEDIA')) ?? [...DEFAULT_MEDIA],
    audioLayout: flags.audioLayout ?? get('RTMSKIT_AUDIO_LAYOUT') ?? 'auto',
    allowedHosts: list(get('RTMSKIT_ALLOWED_HOSTS')) ?? ['*.zoom.us'],
    logLevel: flags.logLevel ?? get('RTMSKIT_LOG_LEVEL') ?? 'info',
    maxConcurrentHandshakes: get('RTMSKIT_MAX_HANDSHAKES') ?? DEFAULT_MAX_CONCURRENT_HANDSHAKES,
    maxConnections: get('RTMSKIT_MAX_CONNECTIONS') ?? DEFAULT_HTTP_LIMITS.maxConnections,
    retentionDays: get('RTMSKIT_RETENTION_DAYS') ?? DEFAULT_RETENTION_DAYS,
    recordingRetentionDays:
      get('RTMSKIT_RECORDING_RETENTION_DAYS') ?? get('RTMSKIT_RETENTION_DAYS') ?? DEFAULT_RETENTION_DAYS,
  };
  const parsed = schema.safeParse(raw);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push(`${issue.path.join('.') || 'config'}: ${issue.message}`);
  }
  const trustProxy = parseTrustProxy(get('RTMSKIT_TRUST_PROXY'));
  if (typeof trustProxy === 'string') problems.push(trustProxy);

  const insecureSkipVerify = flags.insecureSkipVerify ?? false;
  const clientId = get('ZOOM_CLIENT_ID', 'ZM_CLIENT_ID', 'ZM_RTMS_CLIENT');
  const clientSecret = get('ZOOM_CLIENT_SECRET', 'ZM_CLIENT_SECRET', 'ZM_RTMS_SECRET');
  const secretToken = get('ZOOM_SECRET_TOKEN', 'ZOOM_WEBHOOK_SECRET_TOKEN');
  const missing: string[] = [];
  if (!clientId) missing.push('ZOOM_CLIENT_ID');
  if (!clientSecret) missing.push('ZOOM_CLIENT_SECRET');
  if (!secretToken && !insecureSkipVerify) missing.push('ZOOM_SECRET_TOKEN');

  const sdkKey = get('ZOOM_VIDEO_SDK_KEY');
  const sdkSecret = get('ZOOM_VIDEO_SDK_SECRET');
  const sdkToken = get('ZOOM_VIDEO_SDK_SECRET_TOKEN');
  if ((sdkKey || sdkSecret || sdkToken) && !(sdkKey && sdkSecret && sdkToken)) {
    if (!sdkKey) missing.push('ZOOM_VIDEO_SDK_KEY');
    if (!sdkSecret) missing.push('ZOOM_VIDEO_SDK_SECRET');
    if (!sdkToken) missing.push('ZOOM_VIDEO_SDK_SECRET_TOKEN');
  }

  if (missing.length > 0 || problems.length > 0) {
    const lines = [
      ...(missing.length > 0 ? [`missing: ${missing.join(', ')}`] : []),
      ...problems.map((p) => `invalid ${p}`),
    ];
    throw new RtmsError(RTMS_ERROR_CODES.CONFIG_INVALID, `configuration is incomplete: ${lines.join('; ')}`, {
      fix:
        'set them in the environment or in .env (see .env.example); the values are on the app’s page in the ' +
        'Zoom Marketplace (App Credentials, and Features → Access for the secret token)',
    });
  }
  const ok = parsed.data!;
  const accountId = get('ZOOM_ACCOUNT_ID');
  return {
    port: ok.port,
    host: ok.host,
    webhookPath: ok.webhookPath,
    dataDir: ok.dataDir,
    storeUrl: ok.storeUrl,
    media: [...new Set(ok.media)],
    audioLayout: ok.audioLayout,
    allowedHosts: ok.allowedHosts,
    allowLoopback: truthy(get('RTMSKIT_ALLOW_LOOPBACK')),
    maxConcurrentHandshakes: ok.maxConcurrentHandshakes,
    adminToken: get('RTMSKIT_ADMIN_TOKEN'),
    trustProxy: trustProxy as TrustProxy,
    http: { ...DEFAULT_HTTP_LIMITS, maxConnections: ok.maxConnections },
    retention: {
      streamsMs: retentionMs(ok.retentionDays),
      recordingsMs: retentionMs(ok.recordingRetentionDays),
    },
    logLevel: ok.logLevel,
    app: { clientId: clientId!, clientSecret: clientSecret!, secretToken: secretToken ?? '' },
    videoSdk:
      sdkKey && sdkSecret && sdkToken
        ? { clientId: sdkKey, clientSecret: sdkSecret, secretToken: sdkToken }
        : undefined,
    insecureSkipVerify,
    rest: accountId
      ? {
          accountId,
          clientId: get('ZOOM_S2S_CLIENT_ID') ?? clientId!,
          clientSecret: get('ZOOM_S2S_CLIENT_SECRET') ?? clientSecret!,
        }
      : undefined,
  };
}

/**
 * True for a host only this machine can reach: `localhost`, an IPv4 address in 127.0.0.0/8, `::1`, or an
 * IPv4-mapped loopback address (`::ffff:127.0.0.1`). Brackets around IPv6 are allowed. A name that only
 * starts like one (`127.0.0.1.evil.example`) is not loopback.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const name = bare.toLowerCase();
  if (name === 'localhost') return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) !== 6) return false;
  if (name === '::1' || name === '0:0:0:0:0:0:0:1') return true;
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(name)?.[1];
  return mapped !== undefined && isIP(mapped) === 4 && mapped.startsWith('127.');
}
