/**
 * The service's configuration: flags, then the environment, then `.env`, then defaults; every problem
 * named at once with its fix. Each test gets its own temporary working folder.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RTMS_ERROR_CODES, RtmsError } from '../../src/protocol/errors.js';
import {
  type ConfigFlags,
  DEFAULT_HTTP_LIMITS,
  DEFAULT_RETENTION,
  loadConfig,
  SETTINGS,
  type ServiceConfig,
  type Setting,
} from '../../src/service/config.js';
import { REPO_ROOT } from './helpers.js';

const APP_ENV = {
  ZOOM_CLIENT_ID: 'cfgClientId',
  ZOOM_CLIENT_SECRET: 'cfgClientSecret',
  ZOOM_SECRET_TOKEN: 'cfgSecretToken',
};

let cwd: string;

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'rtmskit-config-'));
});

afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

/** The error loadConfig throws; fails the test when it returns instead. */
function configError(
  flags: ConfigFlags,
  env: Record<string, string | undefined>,
  at: string = cwd,
): RtmsError {
  let config: ServiceConfig | undefined;
  try {
    config = loadConfig(flags, env, at);
  } catch (err) {
    expect(err).toBeInstanceOf(RtmsError);
    return err as RtmsError;
  }
  throw new Error(`loadConfig accepted the settings: ${JSON.stringify(config)}`);
}

/** The names after `missing:` in a CONFIG_INVALID message. */
function missingNames(message: string): string[] {
  // The message is `configuration is incomplete: missing: A, B; invalid x: … — <fix>`.
  const match = /missing: (.+?)(?:;| — |$)/.exec(message);
  return match?.[1] === undefined ? [] : match[1].split(',').map((s) => s.trim());
}

describe('required credentials', () => {
  it('names every missing variable at once and points at .env', () => {
    const err = configError({}, {});
    expect(err.code).toBe(RTMS_ERROR_CODES.CONFIG_INVALID);
    expect(missingNames(err.message).sort()).toEqual(
      ['ZOOM_CLIENT_ID', 'ZOOM_CLIENT_SECRET', 'ZOOM_SECRET_TOKEN'].sort(),
    );
    expect(err.fix).toMatch(/\.env\b/);
  });

  it('names only what is missing', () => {
    const err = configError({}, { ZOOM_CLIENT_ID: 'id' });
    expect(err.code).toBe(RTMS_ERROR_CODES.CONFIG_INVALID);
    expect(missingNames(err.message).sort()).toEqual(['ZOOM_CLIENT_SECRET', 'ZOOM_SECRET_TOKEN']);
  });

  it('treats blank values as missing', () => {
    const err = configError({}, { ...APP_ENV, ZOOM_CLIENT_SECRET: '   ' });
    expect(missingNames(err.message)).toEqual(['ZOOM_CLIENT_SECRET']);
  });

  it('--insecure-skip-verify drops the secret token requirement, and only that one', () => {
    const config = loadConfig(
      { insecureSkipVerify: true },
      { ZOOM_CLIENT_ID: 'id', ZOOM_CLIENT_SECRET: 'secret' },
      cwd,
    );
    expect(config.insecureSkipVerify).toBe(true);
    expect(config.app).toEqual({ clientId: 'id', clientSecret: 'secret', secretToken: '' });

    const err = configError({ insecureSkipVerify: true }, {});
    expect(missingNames(err.message).sort()).toEqual(['ZOOM_CLIENT_ID', 'ZOOM_CLIENT_SECRET']);
  });

  it('accepts the ZM_* aliases', () => {
    const config = loadConfig(
      {},
      { ZM_CLIENT_ID: 'zmId', ZM_RTMS_SECRET: 'zmSecret', ZOOM_SECRET_TOKEN: 'tok' },
      cwd,
    );
    expect(config.app).toEqual({ clientId: 'zmId', clientSecret: 'zmSecret', secretToken: 'tok' });

    const other = loadConfig(
      {},
      { ZM_RTMS_CLIENT: 'rtmsId', ZM_CLIENT_SECRET: 'zmSecret2', ZOOM_WEBHOOK_SECRET_TOKEN: 'tok2' },
      cwd,
    );
    expect(other.app).toEqual({ clientId: 'rtmsId', clientSecret: 'zmSecret2', secretToken: 'tok2' });
  });

  it('prefers the ZOOM_* name over an alias', () => {
    const config = loadConfig({}, { ...APP_ENV, ZM_CLIENT_ID: 'alias', ZM_RTMS_SECRET: 'aliasSecret' }, cwd);
    expect(config.app.clientId).toBe('cfgClientId');
    expect(config.app.clientSecret).toBe('cfgClientSecret');
  });
});

describe('sources and precedence', () => {
  it('reads .env in the working folder', async () => {
    await writeFile(
      join(cwd, '.env'),
      [
        '# a comment',
        'ZOOM_CLIENT_ID=fileId',
        'ZOOM_CLIENT_SECRET="file secret"',
        'ZOOM_SECRET_TOKEN=fileToken',
        'RTMSKIT_PORT=9101',
        'RTMSKIT_WEBHOOK_PATH=/zoom/events',
        'RTMSKIT_MEDIA=audio,transcript',
        '',
      ].join('\n'),
    );
    const config = loadConfig({}, {}, cwd);
    expect(config.app).toEqual({ clientId: 'fileId', clientSecret: 'file secret', secretToken: 'fileToken' });
    expect(config.port).toBe(9101);
    expect(config.webhookPath).toBe('/zoom/events');
    expect(config.media).toEqual(['audio', 'transcript']);
  });

  it('lets the real environment win over .env, and flags win over both', async () => {
    await writeFile(
      join(cwd, '.env'),
      'ZOOM_CLIENT_ID=fileId\nZOOM_CLIENT_SECRET=fileSecret\nZOOM_SECRET_TOKEN=fileToken\n' +
        'RTMSKIT_PORT=9101\nRTMSKIT_HOST=127.0.0.2\nRTMSKIT_LOG_LEVEL=debug\n',
    );
    const env = { ZOOM_CLIENT_ID: 'envId', RTMSKIT_PORT: '9102', RTMSKIT_HOST: '127.0.0.3' };

    const fromEnv = loadConfig({}, env, cwd);
    expect(fromEnv.app.clientId).toBe('envId');
    expect(fromEnv.app.clientSecret).toBe('fileSecret');
    expect(fromEnv.port).toBe(9102);
    expect(fromEnv.host).toBe('127.0.0.3');
    expect(fromEnv.logLevel).toBe('debug');

    const fromFlags = loadConfig({ port: '9103', host: '127.0.0.4', logLevel: 'warn' }, env, cwd);
    expect(fromFlags.port).toBe(9103);
    expect(fromFlags.host).toBe('127.0.0.4');
    expect(fromFlags.logLevel).toBe('warn');
    expect(fromFlags.app.clientId).toBe('envId');
  });

  it('reads the file named by --env-file instead of ./.env', async () => {
    await writeFile(join(cwd, '.env'), 'ZOOM_CLIENT_ID=defaultFile\n');
    await writeFile(join(cwd, 'other.env'), 'ZOOM_CLIENT_ID=otherFile\n');
    const config = loadConfig(
      { envFile: join(cwd, 'other.env') },
      { ZOOM_CLIENT_SECRET: 's', ZOOM_SECRET_TOKEN: 't' },
      cwd,
    );
    expect(config.app.clientId).toBe('otherFile');
  });

  it('resolves the data folder against the working folder and puts the database in it', () => {
    const config = loadConfig({ dataDir: 'rec' }, APP_ENV, cwd);
    expect(config.dataDir).toBe(join(cwd, 'rec'));
    expect(config.storeUrl).toBe(`sqlite:${join(cwd, 'rec', 'rtmskit.db')}`);
  });
});

describe('defaults', () => {
  it('binds loopback on 8080 with /webhook and a sqlite store in ./data', () => {
    const config = loadConfig({}, APP_ENV, cwd);
    expect(config).toEqual({
      port: 8080,
      host: '127.0.0.1',
      webhookPath: '/webhook',
      dataDir: join(cwd, 'data'),
      storeUrl: `sqlite:${join(cwd, 'data', 'rtmskit.db')}`,
      redisPassword: undefined,
      instanceId: `${hostname()}-${process.pid}`,
      media: ['audio', 'transcript', 'chat'],
      audioLayout: 'auto',
      audioCodec: 'l16',
      videoCodec: 'jpg',
      encodeJobs: 1,
      allowedHosts: ['*.zoom.us'],
      allowLoopback: false,
      maxConcurrentHandshakes: 100,
      adminToken: undefined,
      trustProxy: false,
      http: { ...DEFAULT_HTTP_LIMITS },
      retention: { ...DEFAULT_RETENTION },
      logLevel: 'info',
      app: { clientId: 'cfgClientId', clientSecret: 'cfgClientSecret', secretToken: 'cfgSecretToken' },
      videoSdk: undefined,
      insecureSkipVerify: false,
      rest: undefined,
    } satisfies ServiceConfig);
  });

  it('are the defaults SETTINGS states, so the help cannot promise another one', () => {
    const config = loadConfig({}, APP_ENV, cwd);
    const stated = (name: string) =>
      (SETTINGS as readonly Setting[]).find((s) => s.names[0] === name)?.default;
    expect(stated('RTMSKIT_PORT')).toBe(String(config.port));
    expect(stated('RTMSKIT_HOST')).toBe(config.host);
    expect(stated('RTMSKIT_WEBHOOK_PATH')).toBe(config.webhookPath);
    expect(join(cwd, stated('RTMSKIT_DATA_DIR') ?? '?')).toBe(config.dataDir);
    expect(stated('RTMSKIT_STORE_URL')).toBe('sqlite:<data dir>/rtmskit.db');
    expect(config.storeUrl).toBe(`sqlite:${join(config.dataDir, 'rtmskit.db')}`);
    expect(stated('RTMSKIT_MEDIA')).toBe(config.media.join(','));
    expect(stated('RTMSKIT_AUDIO_LAYOUT')).toBe(config.audioLayout);
    expect(stated('RTMSKIT_ALLOWED_HOSTS')).toBe(config.allowedHosts.join(','));
    expect(stated('RTMSKIT_ALLOW_LOOPBACK')).toBe(String(config.allowLoopback));
    expect(stated('RTMSKIT_MAX_HANDSHAKES')).toBe(String(config.maxConcurrentHandshakes));
    expect(stated('RTMSKIT_TRUST_PROXY')).toBe(String(config.trustProxy));
    expect(stated('RTMSKIT_MAX_CONNECTIONS')).toBe(String(config.http.maxConnections));
    expect(Number(stated('RTMSKIT_RETENTION_DAYS')) * 86_400_000).toBe(config.retention.streamsMs);
    expect(config.retention.recordingsMs).toBe(config.retention.streamsMs);
    expect(stated('RTMSKIT_LOG_LEVEL')).toBe(config.logLevel);
    for (const name of ['ZOOM_CLIENT_ID', 'ZOOM_CLIENT_SECRET', 'ZOOM_SECRET_TOKEN'])
      expect(stated(name), name).toBeUndefined();
  });

  it('reads the handshake limit for many streams starting at once', () => {
    expect(loadConfig({}, { ...APP_ENV, RTMSKIT_MAX_HANDSHAKES: '20' }).maxConcurrentHandshakes).toBe(20);
  });

  it('reads loopback permission, admin token and REST credentials', () => {
    const config = loadConfig(
      {},
      {
        ...APP_ENV,
        RTMSKIT_ALLOW_LOOPBACK: '1',
        RTMSKIT_ADMIN_TOKEN: 'adm',
        ZOOM_ACCOUNT_ID: 'acct',
        RTMSKIT_ALLOWED_HOSTS: '*.zoom.us, rtms.example.com',
      },
      cwd,
    );
    expect(config.allowLoopback).toBe(true);
    expect(config.adminToken).toBe('adm');
    expect(config.allowedHosts).toEqual(['*.zoom.us', 'rtms.example.com']);
    expect(config.rest).toEqual({
      accountId: 'acct',
      clientId: 'cfgClientId',
      clientSecret: 'cfgClientSecret',
    });
  });
});

describe('malformed settings', () => {
  // Each message names where the value came from (the flag, or the variable), the value, and what is allowed.
  it.each([
    [{ port: 'eighty' }, {}, '--port "eighty" is not a whole number from 0 to 65535'],
    [{ port: 'abc' }, {}, '--port "abc" is not a whole number from 0 to 65535'],
    [{}, { RTMSKIT_PORT: '70000' }, 'RTMSKIT_PORT "70000" is not a whole number from 0 to 65535'],
    [{}, { RTMSKIT_PORT: '8080.5' }, 'RTMSKIT_PORT "8080.5" is not a whole number from 0 to 65535'],
    [
      { media: 'audio,smell' },
      {},
      '--media "audio,smell" holds "smell": each item must be one of audio, video, deskshare, transcript, chat',
    ],
    [
      {},
      { RTMSKIT_MEDIA: 'audio,transcripts' },
      'RTMSKIT_MEDIA "audio,transcripts" holds "transcripts": each item must be one of audio, video, deskshare, transcript, chat',
    ],
    [
      { webhookPath: 'webhook' },
      {},
      '--webhook-path "webhook" is not a path: start with / and use only letters, digits, -, _, . and /',
    ],
    [
      {},
      { RTMSKIT_WEBHOOK_PATH: '/hook?x=1' },
      'RTMSKIT_WEBHOOK_PATH "/hook?x=1" is not a path: start with / and use only letters, digits, -, _, . and /',
    ],
    [
      { logLevel: 'loud' },
      {},
      '--log-level "loud" is not one of fatal, error, warn, info, debug, trace, silent',
    ],
    [
      {},
      { RTMSKIT_LOG_LEVEL: 'loud' },
      'RTMSKIT_LOG_LEVEL "loud" is not one of fatal, error, warn, info, debug, trace, silent',
    ],
    [{ audioLayout: 'stereo' }, {}, '--audio-layout "stereo" is not one of auto, mixed, per-speaker, both'],
    [{}, { RTMSKIT_MAX_HANDSHAKES: '0' }, 'RTMSKIT_MAX_HANDSHAKES "0" is not a whole number of at least 1'],
    [
      {},
      { RTMSKIT_MAX_HANDSHAKES: 'many' },
      'RTMSKIT_MAX_HANDSHAKES "many" is not a whole number of at least 1',
    ],
    [
      {},
      { RTMSKIT_MAX_CONNECTIONS: '5' },
      'RTMSKIT_MAX_CONNECTIONS "5" is not a whole number of at least 10',
    ],
    [
      {},
      { RTMSKIT_RETENTION_DAYS: '-1' },
      'RTMSKIT_RETENTION_DAYS "-1" is not a number of days (0 or more; 0 keeps them forever)',
    ],
    [
      {},
      { RTMSKIT_ALLOW_LOOPBACK: 'maybe' },
      'RTMSKIT_ALLOW_LOOPBACK "maybe" is not one of 1, true, yes, on, 0, false, no, off',
    ],
    [
      {},
      { RTMSKIT_ALLOWED_HOSTS: '*.zoom.us, bad host' },
      'RTMSKIT_ALLOWED_HOSTS "*.zoom.us, bad host" holds "bad host": each item must be a host name or *.domain',
    ],
  ] as const)(
    'flags %o, environment %o: CONFIG_INVALID, one line without the Marketplace hint',
    (flags, env, line) => {
      const err = configError(flags, { ...APP_ENV, ...env });
      expect(err.code).toBe(RTMS_ERROR_CODES.CONFIG_INVALID);
      expect(err.message).toBe(line);
      // The Marketplace is where credentials are, not where a mistyped value is fixed.
      expect(err.fix).toBeUndefined();
      expect(missingNames(err.message)).toEqual([]);
    },
  );

  it('names the flag when the flag gave the value, even with the variable set too', () => {
    const err = configError({ logLevel: 'loud' }, { ...APP_ENV, RTMSKIT_LOG_LEVEL: 'debug' });
    expect(err.message).toBe(
      '--log-level "loud" is not one of fatal, error, warn, info, debug, trace, silent',
    );
  });

  it('names the variable when the value came from .env', async () => {
    await writeFile(join(cwd, '.env'), 'RTMSKIT_MEDIA=audio,transcripts\n');
    const err = configError({}, { ...APP_ENV });
    expect(err.message).toMatch(/^RTMSKIT_MEDIA "audio,transcripts" holds "transcripts"/);
  });

  it('lists every malformed value at once', () => {
    const err = configError(
      { port: 'abc', audioLayout: 'stereo' },
      { ...APP_ENV, RTMSKIT_TRUST_PROXY: 'maybe' },
    );
    expect(err.message.split('; ')).toEqual([
      '--port "abc" is not a whole number from 0 to 65535',
      '--audio-layout "stereo" is not one of auto, mixed, per-speaker, both',
      'RTMSKIT_TRUST_PROXY "maybe" is not false, true, a hop count, an address, a CIDR range or one of loopback, linklocal, uniquelocal',
    ]);
  });

  it('reports a malformed value and a missing credential together, with the Marketplace hint', () => {
    const err = configError({ port: '-1' }, { ZOOM_CLIENT_ID: 'id', ZOOM_CLIENT_SECRET: 's' });
    expect(missingNames(err.message)).toEqual(['ZOOM_SECRET_TOKEN']);
    expect(err.message).toContain('--port "-1" is not a whole number from 0 to 65535');
    expect(err.fix).toMatch(/Zoom Marketplace/);
  });

  it('a --dotenv file that does not exist is CONFIG_INVALID naming the path', () => {
    const missing = join(cwd, 'nowhere.env');
    const err = configError({ envFile: missing }, APP_ENV);
    expect(err.code).toBe(RTMS_ERROR_CODES.CONFIG_INVALID);
    expect(err.message.split(' — ')[0]).toBe(`--dotenv ${missing}: no such file`);
  });

  it('a missing ./.env is no error: it is optional', () => {
    expect(loadConfig({}, APP_ENV, cwd).app.clientId).toBe(APP_ENV.ZOOM_CLIENT_ID);
  });
});

describe('Video SDK app', () => {
  it('is optional, and complete settings are used for sessions', () => {
    const config = loadConfig(
      {},
      {
        ...APP_ENV,
        ZOOM_VIDEO_SDK_KEY: 'sdkKey',
        ZOOM_VIDEO_SDK_SECRET: 'sdkSecret',
        ZOOM_VIDEO_SDK_SECRET_TOKEN: 'sdkToken',
      },
      cwd,
    );
    expect(config.videoSdk).toEqual({
      clientId: 'sdkKey',
      clientSecret: 'sdkSecret',
      secretToken: 'sdkToken',
    });
  });

  it.each([
    [{ ZOOM_VIDEO_SDK_KEY: 'k' }, ['ZOOM_VIDEO_SDK_SECRET', 'ZOOM_VIDEO_SDK_SECRET_TOKEN']],
    [{ ZOOM_VIDEO_SDK_SECRET: 's' }, ['ZOOM_VIDEO_SDK_KEY', 'ZOOM_VIDEO_SDK_SECRET_TOKEN']],
    [{ ZOOM_VIDEO_SDK_KEY: 'k', ZOOM_VIDEO_SDK_SECRET_TOKEN: 't' }, ['ZOOM_VIDEO_SDK_SECRET']],
  ])('partial settings %o name the missing ones', (sdk, missing) => {
    const err = configError({}, { ...APP_ENV, ...sdk });
    expect(err.code).toBe(RTMS_ERROR_CODES.CONFIG_INVALID);
    expect(missingNames(err.message).sort()).toEqual([...missing].sort());
  });
});

describe('.env.example', () => {
  it('lists every setting: the first name as a KEY= line, every alias mentioned', async () => {
    const example = await readFile(join(REPO_ROOT, '.env.example'), 'utf8');
    const keys = new Set<string>(
      example
        .split('\n')
        .map((line) => /^#?\s*([A-Z][A-Z0-9_]*)=/.exec(line.trim())?.[1])
        .filter((k): k is string => k !== undefined),
    );
    for (const setting of SETTINGS) {
      const [primary, ...aliases] = setting.names;
      expect(keys.has(primary), `${primary}= line in .env.example`).toBe(true);
      for (const alias of aliases) {
        expect(new RegExp(`\\b${alias}\\b`).test(example), `${alias} mentioned in .env.example`).toBe(true);
      }
    }
    // And nothing stale: every key of the example is a setting.
    const known = new Set<string>(SETTINGS.flatMap((s) => [...s.names]));
    for (const key of keys) expect(known.has(key), `${key} of .env.example is a setting`).toBe(true);
  });

  it('describes each setting as SETTINGS does: meaning, other names, default', async () => {
    const lines = (await readFile(join(REPO_ROOT, '.env.example'), 'utf8')).split('\n');
    for (const setting of SETTINGS as readonly Setting[]) {
      const at = lines.findIndex((line) => new RegExp(`^#?\\s*${setting.names[0]}=`).test(line.trim()));
      expect(at, setting.names[0]).toBeGreaterThan(0);
      const [, ...aliases] = setting.names;
      const also = aliases.length > 0 ? `or ${aliases.join(' or ')}, ` : '';
      const note = setting.default === undefined ? 'required' : `default: ${setting.default}`;
      expect(lines[at - 1], `comment above ${setting.names[0]}`).toBe(`# ${setting.about} (${also}${note})`);
    }
  });
});
