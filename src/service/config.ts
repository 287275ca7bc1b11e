/**
 * The service's configuration: read once from flags, the environment and `.env`, validated at the edge,
 * then passed down. Nothing below this layer reads `process.env`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { DEFAULT_MAX_CONCURRENT_HANDSHAKES } from '../manager/StreamManager.js';
import { ENCODE_FORMATS } from '../media/encode/index.js';
import { MEDIA_KINDS } from '../protocol/enums.js';
import { RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';
import {
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
} from './configValues.js';
import { readNotify } from './notifyConfig.js';

import {
  AUDIO_CODECS,
  AUDIO_LAYOUTS,
  DAY_MS,
  DEFAULT_ALLOWED_HOSTS,
  DEFAULT_DATA_DIR,
  DEFAULT_ENCODE_JOBS,
  DEFAULT_HOST,
  DEFAULT_HTTP_LIMITS,
  DEFAULT_MEDIA,
  DEFAULT_PORT,
  DEFAULT_REDIS_STREAMS,
  DEFAULT_RETENTION_DAYS,
  DEFAULT_WEBHOOK_PATH,
  LOG_LEVELS,
  MAX_ENCODE_JOBS,
  MIN_MAX_CONNECTIONS,
  REDIS_MEDIA_KINDS,
  type RedisStreamsConfig,
  type ServiceConfig,
  VIDEO_CODECS,
} from './serviceConfig.js';
import {
  CONFIG_FLAGS,
  type ConfigFlags,
  DOTENV_FLAG,
  type FlagKey,
  type SettingName,
  settingOf,
} from './settings.js';

export * from './serviceConfig.js';
export * from './settings.js';

/** Days as milliseconds; 0 means "keep forever". */
/** What an instance id may hold: it names Redis keys and appears in logs and metric labels. */
const INSTANCE_ID = /^[\w.:-]{1,100}$/;

/** A store URL that makes the service part of a fleet on Redis. */
const REDIS_STORE_URL = /^rediss?:/i;

/** Host name and process id: unique on a machine, and across machines with distinct host names. */
function defaultInstanceId(): string {
  const host = hostname().replace(/[^\w.:-]/g, '-') || 'host';
  return `${host}-${process.pid}`;
}

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
  const instanceId = read(fromEnv('RTMSKIT_INSTANCE_ID'), defaultInstanceId(), (i) =>
    readPattern(i, problems, INSTANCE_ID, 'a name of letters, digits, ".", "_", ":" and "-"'),
  );
  const media = read(given('media'), [...DEFAULT_MEDIA], (i) => readChoiceList(i, problems, MEDIA_KINDS));
  const audioLayout = read(given('audioLayout'), 'auto' as const, (i) =>
    readChoice(i, problems, AUDIO_LAYOUTS),
  );
  const audioCodec = read(fromEnv('RTMSKIT_AUDIO_CODEC'), 'l16' as const, (i) =>
    readChoice(i, problems, AUDIO_CODECS),
  );
  const videoCodec = read(fromEnv('RTMSKIT_VIDEO_CODEC'), 'jpg' as const, (i) =>
    readChoice(i, problems, VIDEO_CODECS),
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
  const redisStreams = readRedisStreams(fromEnv, problems);
  const encodeInput = fromEnv('RTMSKIT_ENCODE');
  const encode =
    encodeInput === undefined || encodeInput.value.toLowerCase() === 'none'
      ? []
      : (readChoiceList(encodeInput, problems, ENCODE_FORMATS) ?? []);
  const encodeJobs = read(fromEnv('RTMSKIT_ENCODE_JOBS'), DEFAULT_ENCODE_JOBS, (i) =>
    readWholeNumber(i, problems, { min: 1, max: MAX_ENCODE_JOBS }),
  );
  const notify = readNotify(
    {
      url: fromEnv('RTMSKIT_NOTIFY_URL'),
      secret: fromEnv('RTMSKIT_NOTIFY_SECRET'),
      events: fromEnv('RTMSKIT_NOTIFY_EVENTS'),
    },
    problems,
  );

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
    redisPassword: get('RTMSKIT_REDIS_PASSWORD'),
    instanceId: instanceId!,
    ...(REDIS_STORE_URL.test(storeUrl!) ? { redisStreams } : {}),
    ...(notify === undefined ? {} : { notify }),
    ...(encode.length === 0 ? {} : { encode }),
    encodeJobs: encodeJobs!,
    media: media!,
    audioLayout: audioLayout!,
    audioCodec: audioCodec!,
    videoCodec: videoCodec!,
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

/** The Redis Streams output's settings, each checked whatever the store (a mistake is one either way). */
function readRedisStreams(
  fromEnv: (name: SettingName) => Sourced | undefined,
  problems: Problems,
): RedisStreamsConfig {
  const maxLen = (name: SettingName, fallback: number): number => {
    const input = fromEnv(name);
    return input === undefined ? fallback : (readWholeNumber(input, problems, { min: 1 }) ?? fallback);
  };
  const media = fromEnv('RTMSKIT_REDIS_MEDIA');
  return {
    eventsMaxLen: maxLen('RTMSKIT_REDIS_EVENTS_MAXLEN', DEFAULT_REDIS_STREAMS.eventsMaxLen),
    media:
      media === undefined || media.value.toLowerCase() === 'none'
        ? [...DEFAULT_REDIS_STREAMS.media]
        : (readChoiceList(media, problems, REDIS_MEDIA_KINDS) ?? []),
    mediaMaxLen: maxLen('RTMSKIT_REDIS_MEDIA_MAXLEN', DEFAULT_REDIS_STREAMS.mediaMaxLen),
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
