/**
 * The service's configuration: read once from flags, the environment and `.env`, validated at the edge,
 * then passed down. Nothing below this layer reads `process.env`.
 */
import { existsSync, readFileSync } from 'node:fs';
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
  { names: ['RTMSKIT_ADMIN_TOKEN'], about: 'bearer token for /api and /metrics when not bound to loopback' },
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
});

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
  };
  const parsed = schema.safeParse(raw);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push(`${issue.path.join('.') || 'config'}: ${issue.message}`);
  }

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

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
