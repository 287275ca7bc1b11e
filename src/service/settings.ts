/**
 * Every setting the service reads, and the flags of `rtmskit serve` that override them: one table that
 * `loadConfig`, `rtmskit serve --help` and `.env.example` all follow.
 */
import { DEFAULT_MAX_CONCURRENT_HANDSHAKES } from '../manager/StreamManager.js';
import { ENCODE_FORMATS } from '../media/encode/index.js';
import { DEFAULT_NOTIFICATION_TYPES, NOTIFICATION_TYPES } from '../outputs/notify/types.js';
import { MEDIA_KINDS } from '../protocol/enums.js';
import { FALSE_WORDS, TRUE_WORDS } from './configValues.js';
import { MIN_NOTIFY_SECRET_LENGTH } from './notifyConfig.js';
import {
  AUDIO_CODECS,
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
  VIDEO_CODECS,
} from './serviceConfig.js';

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
    names: ['RTMSKIT_REDIS_PASSWORD'],
    about: 'password of a redis:// store URL that has none in it',
    default: 'none',
  },
  {
    names: ['RTMSKIT_INSTANCE_ID'],
    about: 'this instance’s name in a fleet (logs, /metrics, /api/streams); unique per instance',
    default: '<host name>-<process id>',
  },
  {
    names: ['RTMSKIT_REDIS_EVENTS_MAXLEN'],
    about: 'events the Redis stream rtmskit:events keeps, about (MAXLEN ~), on a Redis store',
    default: String(DEFAULT_REDIS_STREAMS.eventsMaxLen),
  },
  {
    names: ['RTMSKIT_REDIS_MEDIA'],
    about: `media kinds also appended to a Redis stream per stream, rtmskit:media:<stream id>, on a Redis store: ${REDIS_MEDIA_KINDS.join(', ')} (comma-separated) or none`,
    default: 'none',
  },
  {
    names: ['RTMSKIT_REDIS_MEDIA_MAXLEN'],
    about:
      'entries each rtmskit:media:<stream id> keeps, about (MAXLEN ~); 3000 is about 60 s of 20 ms audio',
    default: String(DEFAULT_REDIS_STREAMS.mediaMaxLen),
  },
  {
    names: ['RTMSKIT_NOTIFY_URL'],
    about:
      'URL outbound webhooks (stream.started, stream.ended, recording.completed…) are POSTed to, signed; none are sent without it',
    default: 'none',
  },
  {
    names: ['RTMSKIT_NOTIFY_SECRET'],
    about: `secret that signs every outbound webhook (x-rtmskit-signature), at least ${MIN_NOTIFY_SECRET_LENGTH} characters; required with RTMSKIT_NOTIFY_URL`,
    default: 'none',
  },
  {
    names: ['RTMSKIT_NOTIFY_EVENTS'],
    about: `outbound webhook types, comma-separated: ${NOTIFICATION_TYPES.join(', ')}, or all`,
    default: DEFAULT_NOTIFICATION_TYPES.join(','),
  },
  {
    names: ['RTMSKIT_MEDIA'],
    about: `media kinds to receive, comma-separated: ${MEDIA_KINDS.join(', ')}`,
    default: DEFAULT_MEDIA.join(','),
  },
  {
    names: ['RTMSKIT_AUDIO_LAYOUT'],
    about:
      'auto (audio.wav for the mixed stream, audio-<userId>.wav per speaker), mixed, per-speaker (asks Zoom for a stream per speaker), or both (per speaker, and audio.wav mixed from them after the stream)',
    default: 'auto',
  },
  {
    names: ['RTMSKIT_AUDIO_CODEC'],
    about: `audio codec asked of Zoom: ${AUDIO_CODECS.join(', ')}; every one is written as a playable WAV (G.722 and Opus decoded by FFmpeg after the stream)`,
    default: 'l16',
  },
  {
    names: ['RTMSKIT_VIDEO_CODEC'],
    about: `codec asked of Zoom for camera video and screen share: ${VIDEO_CODECS.join(', ')} (h264 for meeting.mp4 without re-encoding)`,
    default: 'jpg',
  },
  {
    names: ['RTMSKIT_ENCODE'],
    about: `copies made by FFmpeg once a stream ends, comma-separated, or none: ${ENCODE_FORMATS.join(', ')} (opus and mp3 of every WAV; mp4 of camera video and screen share with the mixed audio)`,
    default: 'none',
  },
  {
    names: ['RTMSKIT_ENCODE_JOBS'],
    about: `recordings post-processed by FFmpeg at once, 1 to ${MAX_ENCODE_JOBS}; each FFmpeg may use several cores, and the live streams share the machine`,
    default: String(DEFAULT_ENCODE_JOBS),
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

export type FlagKey = (typeof CONFIG_FLAGS)[number]['key'];
