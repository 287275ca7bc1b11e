/**
 * The service's configuration: read once from flags, the environment and `.env`, validated at the edge,
 * then passed down. Nothing below this layer reads `process.env`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { DEFAULT_MAX_CONCURRENT_HANDSHAKES } from '../manager/StreamManager.js';
import { MEDIA_KINDS, type MediaKind } from '../protocol/enums.js';
import { RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';
import {
  FALSE_WORDS,
  type Problems,
  readChoice,
  readChoiceList,
  readDays,
  readPattern,
  readPatternList,
  readTrustProxy,
  readWholeNumber,
  readYesNo,
  type Sourced,
  TRUE_WORDS,
} from './configValues.js';

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
export const AUDIO_LAYOUTS = ['auto', 'mixed', 'per-speaker'] as const;
export type AudioLayoutSetting = (typeof AUDIO_LAYOUTS)[number];
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
  media: MediaKind[];
  audioLayout: AudioLayoutSetting;
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

/** A setting the service reads from the environment (or `.env`). */
export interface Setting {
  /** Environment names, the first non-empty one wins. */
  readonly names: readonly [string, ...string[]];
  /** What it is, without its default. */
  readonly about: string;
  /** What applies when it is not set, as a person reads it; absent for a required setting. */
  readonly default?: string;
}

/**
 * Every setting the service reads: its environment names (first wins), meaning and default. `loadConfig`
 * reads the names from here, and `rtmskit serve --help` and `.env.example` are written from here, so the
 * three cannot disagree.
 */
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
  {
    names: ['ZOOM_VIDEO_SDK_KEY'],
    about: 'Video SDK app key, for sessions (without it sessions use the General app)',
    default: 'none',
  },
  { names: ['ZOOM_VIDEO_SDK_SECRET'], about: 'Video SDK app secret', default: 'none' },
  {
    names: ['ZOOM_VIDEO_SDK_SECRET_TOKEN'],
    about: 'webhook secret token of the Video SDK app',
    default: 'none',
  },
  {
    names: ['ZOOM_ACCOUNT_ID'],
    about: 'account id, for REST control (Server-to-Server OAuth)',
    default: 'none',
  },
  { names: ['ZOOM_S2S_CLIENT_ID'], about: 'S2S OAuth client id', default: 'the General app client id' },
  {
    names: ['ZOOM_S2S_CLIENT_SECRET'],
    about: 'S2S OAuth client secret',
    default: 'the General app client secret',
  },
  { names: ['RTMSKIT_PORT'], about: 'port of the HTTP server', default: String(DEFAULT_PORT) },
  { names: ['RTMSKIT_HOST'], about: 'address to bind', default: DEFAULT_HOST },
  { names: ['RTMSKIT_WEBHOOK_PATH'], about: 'path Zoom posts webhooks to', default: DEFAULT_WEBHOOK_PATH },
  { names: ['RTMSKIT_DATA_DIR'], about: 'recordings and the database', default: DEFAULT_DATA_DIR },
  {
    names: ['RTMSKIT_STORE_URL'],
    about: 'where streams are remembered: sqlite:<path>, memory: or redis://host:port',
    default: 'sqlite:<data dir>/rtmskit.db',
  },
  {
    names: ['RTMSKIT_MEDIA'],
    about: `media kinds to receive, comma-separated: ${MEDIA_KINDS.join(', ')}`,
    default: DEFAULT_MEDIA.join(','),
  },
  {
    names: ['RTMSKIT_AUDIO_LAYOUT'],
    about: 'auto (audio.wav for the mixed stream, audio-<userId>.wav per speaker), mixed or per-speaker',
    default: 'auto',
  },
  {
    names: ['RTMSKIT_ALLOWED_HOSTS'],
    about: 'server hosts streams may connect to, comma-separated host names or *.domain',
    default: DEFAULT_ALLOWED_HOSTS.join(','),
  },
  {
    names: ['RTMSKIT_ALLOW_LOOPBACK'],
    about: `also allow 127.0.0.1/localhost servers, for the simulator: ${TRUE_WORDS.join('/')} or ${FALSE_WORDS.join('/')}`,
    default: 'false',
  },
  {
    names: ['RTMSKIT_MAX_HANDSHAKES'],
    about: 'sockets that may handshake at once when many streams start',
    default: String(DEFAULT_MAX_CONCURRENT_HANDSHAKES),
  },
  {
    names: ['RTMSKIT_ADMIN_TOKEN'],
    about:
      'bearer token for /api and /metrics from anywhere but this machine directly (tunnels, proxies); without it only direct loopback requests reach them',
    default: 'none',
  },
  {
    names: ['RTMSKIT_TRUST_PROXY'],
    about: 'proxies whose X-Forwarded-For is believed: false, true, a hop count, or addresses/CIDRs',
    default: 'false',
  },
  {
    names: ['RTMSKIT_MAX_CONNECTIONS'],
    about: `HTTP connections open at once, at least ${MIN_MAX_CONNECTIONS}; past it the oldest idle or slow ones are closed`,
    default: String(DEFAULT_HTTP_LIMITS.maxConnections),
  },
  {
    names: ['RTMSKIT_RETENTION_DAYS'],
    about: 'days ended streams and their recordings are kept; 0 keeps them forever',
    default: String(DEFAULT_RETENTION_DAYS),
  },
  {
    names: ['RTMSKIT_RECORDING_RETENTION_DAYS'],
    about: 'days recordings of ended streams are kept; 0 keeps them forever',
    default: 'the value of RTMSKIT_RETENTION_DAYS',
  },
  { names: ['RTMSKIT_LOG_LEVEL'], about: `log level: ${LOG_LEVELS.join(', ')}`, default: 'info' },
] as const satisfies readonly Setting[];

/** The first (preferred) name of a setting. */
export type SettingName = (typeof SETTINGS)[number]['names'][0];

/** The setting whose first name is `name`. */
export function settingOf(name: SettingName): Setting {
  const setting = (SETTINGS as readonly Setting[]).find((s) => s.names[0] === name);
  // Unreachable: `name` is typed from SETTINGS.
  if (setting === undefined) throw new Error(`no setting ${name}`);
  return setting;
}

/**
 * How a command uses a setting when that differs from the service: its own default (the simulator
 * generates credentials), or required where the service can do without it (REST control needs an account).
 */
export type SettingUse = { default: string } | { required: true };

/** `default: 8080`, or `required`: how every command and `.env.example` state a default. */
export function defaultNote(setting: Setting, use?: SettingUse): string {
  const text = use === undefined ? setting.default : 'default' in use ? use.default : undefined;
  return text === undefined ? 'required' : `default: ${text}`;
}

/**
 * A setting as one line: what it is, its other names, its default. The environment section of
 * `rtmskit serve --help` and the comments of `.env.example` are these lines.
 */
export function describeSetting(setting: Setting, use?: SettingUse): string {
  const [, ...aliases] = setting.names;
  const also = aliases.length > 0 ? `or ${aliases.join(' or ')}, ` : '';
  return `${setting.about} (${also}${defaultNote(setting, use)})`;
}

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

/** The flag that names the settings file, as errors about that file name it. */
export const DOTENV_FLAG = '--dotenv';

/**
 * The flags of `rtmskit serve` that override a setting: the CLI defines its options from this table, and
 * `loadConfig` names the flag (not the variable) when a flag's value is wrong.
 */
export const CONFIG_FLAGS = [
  { key: 'port', flag: '--port', arg: '<port>', setting: 'RTMSKIT_PORT' },
  { key: 'host', flag: '--host', arg: '<host>', setting: 'RTMSKIT_HOST' },
  { key: 'webhookPath', flag: '--webhook-path', arg: '<path>', setting: 'RTMSKIT_WEBHOOK_PATH' },
  { key: 'dataDir', flag: '--data-dir', arg: '<dir>', setting: 'RTMSKIT_DATA_DIR' },
  { key: 'storeUrl', flag: '--store-url', arg: '<url>', setting: 'RTMSKIT_STORE_URL' },
  { key: 'media', flag: '--media', arg: '<kinds>', setting: 'RTMSKIT_MEDIA' },
  { key: 'audioLayout', flag: '--audio-layout', arg: '<layout>', setting: 'RTMSKIT_AUDIO_LAYOUT' },
  { key: 'logLevel', flag: '--log-level', arg: '<level>', setting: 'RTMSKIT_LOG_LEVEL' },
] as const satisfies readonly {
  key: keyof ConfigFlags;
  flag: `--${string}`;
  arg: string;
  setting: SettingName;
}[];

type FlagKey = (typeof CONFIG_FLAGS)[number]['key'];

/** Days as milliseconds; 0 means "keep forever". */
function retentionMs(days: number): number | undefined {
  return days === 0 ? undefined : days * DAY_MS;
}

/**
 * Reads a `.env` file: values never override the real environment. A missing file is empty, unless
 * `options.required` names the flag that asked for this file: then it is `CONFIG_INVALID` naming the path
 * (a file someone named and that is not there is a mistake, not a default).
 */
export function readEnvFile(path: string, options: { required?: string } = {}): Record<string, string> {
  if (!existsSync(path)) {
    if (options.required === undefined) return {};
    throw new RtmsError(RTMS_ERROR_CODES.CONFIG_INVALID, `${options.required} ${path}: no such file`, {
      fix: `name an existing file, or leave ${options.required} out to read ./.env`,
    });
  }
  try {
    return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
  } catch (cause) {
    throw new RtmsError(RTMS_ERROR_CODES.CONFIG_INVALID, `cannot read ${path}`, {
      cause,
      fix: 'fix the file (KEY=value lines) or remove it',
    });
  }
}

/** What missing credentials need: where they go and where Zoom shows them. */
const MISSING_FIX =
  'set them in the environment or in .env (see .env.example); the values are on the app’s page in the ' +
  'Zoom Marketplace (App Credentials, and Features → Access for the secret token)';

/**
 * Builds the configuration. Precedence: flags, then the environment, then `.env`, then defaults.
 * Throws `CONFIG_INVALID` naming every missing or malformed setting: a malformed one by its flag or
 * variable, its value and what is allowed; missing credentials with where to find them.
 */
export function loadConfig(
  flags: ConfigFlags,
  processEnv: Readonly<Record<string, string | undefined>>,
  cwd = process.cwd(),
): ServiceConfig {
  const envFile = flags.envFile === undefined ? join(cwd, '.env') : resolve(cwd, flags.envFile);
  const fileEnv = readEnvFile(envFile, flags.envFile === undefined ? {} : { required: DOTENV_FLAG });
  const env = { ...fileEnv, ...processEnv };
  const problems: Problems = [];

  const fromEnv = (name: SettingName): Sourced | undefined => {
    for (const source of settingOf(name).names) {
      const value = env[source];
      if (value !== undefined && value.trim() !== '') return { value: value.trim(), source };
    }
    return undefined;
  };
  const get = (name: SettingName) => fromEnv(name)?.value;
  /** A flag's value (named by the flag), else its setting's (named by the variable). */
  const given = (key: FlagKey): Sourced | undefined => {
    const spec = CONFIG_FLAGS.find((f) => f.key === key)!;
    const value = flags[key];
    return value === undefined ? fromEnv(spec.setting) : { value: String(value), source: spec.flag };
  };
  function read<T>(input: Sourced | undefined, fallback: T, reader: (input: Sourced) => T | undefined) {
    return input === undefined ? fallback : reader(input);
  }
  const nonEmpty = /\S/;

  const port = read(given('port'), DEFAULT_PORT, (i) =>
    readWholeNumber(i, problems, { min: 0, max: 65_535 }),
  );
  const host = read(given('host'), DEFAULT_HOST, (i) => readPattern(i, problems, /^\S+$/, 'an address'));
  const webhookPath = read(given('webhookPath'), DEFAULT_WEBHOOK_PATH, (i) =>
    readPattern(
      i,
      problems,
      /^\/[\w\-./]*$/,
      'a path: start with / and use only letters, digits, -, _, . and /',
    ),
  );
  const dataDirText = read(given('dataDir'), DEFAULT_DATA_DIR, (i) =>
    readPattern(i, problems, nonEmpty, 'a folder'),
  );
  const dataDir = resolve(cwd, dataDirText ?? DEFAULT_DATA_DIR);
  const storeUrl = read(given('storeUrl'), `sqlite:${join(dataDir, 'rtmskit.db')}`, (i) =>
    readPattern(i, problems, nonEmpty, 'a store URL: sqlite:<path>, memory: or redis://host:port'),
  );
  const media = read(given('media'), [...DEFAULT_MEDIA], (i) => readChoiceList(i, problems, MEDIA_KINDS));
  const audioLayout = read(given('audioLayout'), 'auto' as const, (i) =>
    readChoice(i, problems, AUDIO_LAYOUTS),
  );
  const logLevel = read(given('logLevel'), 'info' as const, (i) => readChoice(i, problems, LOG_LEVELS));
  const allowedHosts = read(fromEnv('RTMSKIT_ALLOWED_HOSTS'), [...DEFAULT_ALLOWED_HOSTS], (i) =>
    readPatternList(i, problems, /^(\*\.)?[a-z0-9.-]+$/i, 'a host name or *.domain'),
  );
  const allowLoopback = read(fromEnv('RTMSKIT_ALLOW_LOOPBACK'), false, (i) => readYesNo(i, problems));
  const maxConcurrentHandshakes = read(
    fromEnv('RTMSKIT_MAX_HANDSHAKES'),
    DEFAULT_MAX_CONCURRENT_HANDSHAKES,
    (i) => readWholeNumber(i, problems, { min: 1 }),
  );
  const maxConnections = read(fromEnv('RTMSKIT_MAX_CONNECTIONS'), DEFAULT_HTTP_LIMITS.maxConnections, (i) =>
    readWholeNumber(i, problems, { min: MIN_MAX_CONNECTIONS }),
  );
  const retentionDays = read(fromEnv('RTMSKIT_RETENTION_DAYS'), DEFAULT_RETENTION_DAYS, (i) =>
    readDays(i, problems),
  );
  const recordingRetentionDays = read(fromEnv('RTMSKIT_RECORDING_RETENTION_DAYS'), retentionDays, (i) =>
    readDays(i, problems),
  );
  const trustProxy = readTrustProxy(fromEnv('RTMSKIT_TRUST_PROXY'), problems);

  const insecureSkipVerify = flags.insecureSkipVerify ?? false;
  const clientId = get('ZOOM_CLIENT_ID');
  const clientSecret = get('ZOOM_CLIENT_SECRET');
  const secretToken = get('ZOOM_SECRET_TOKEN');
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

  // The Marketplace hint is only for missing credentials: a malformed value is fixed where it was written.
  if (missing.length > 0) {
    const lines = [`missing: ${missing.join(', ')}`, ...problems];
    throw new RtmsError(RTMS_ERROR_CODES.CONFIG_INVALID, `configuration is incomplete: ${lines.join('; ')}`, {
      fix: MISSING_FIX,
    });
  }
  if (problems.length > 0) throw new RtmsError(RTMS_ERROR_CODES.CONFIG_INVALID, problems.join('; '));

  const accountId = get('ZOOM_ACCOUNT_ID');
  // Every reader returned a value: a bad one would have added a problem above.
  return {
    port: port!,
    host: host!,
    webhookPath: webhookPath!,
    dataDir,
    storeUrl: storeUrl!,
    media: media!,
    audioLayout: audioLayout!,
    allowedHosts: allowedHosts!,
    allowLoopback: allowLoopback!,
    maxConcurrentHandshakes: maxConcurrentHandshakes!,
    adminToken: get('RTMSKIT_ADMIN_TOKEN'),
    trustProxy,
    http: { ...DEFAULT_HTTP_LIMITS, maxConnections: maxConnections! },
    retention: {
      streamsMs: retentionMs(retentionDays!),
      recordingsMs: retentionMs(recordingRetentionDays!),
    },
    logLevel: logLevel!,
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
