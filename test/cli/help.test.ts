/**
 * `rtmskit --version`, the help of each command against the SETTINGS table, and the exit-code rule:
 * 2 for usage and configuration mistakes (commander's own included), 1 for a command that ran and failed.
 * Every command is spawned from source in an empty temporary folder.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONFIG_FLAGS, SETTINGS, type Setting } from '../../src/service/config.js';
import { Cleanups } from '../cleanups.js';
import { REPO_ROOT } from '../service/helpers.js';
import { runCli } from './runCli.js';

const cleanups = new Cleanups();

afterEach(() => cleanups.run());

const tempDir = () => cleanups.tempDir('rtmskit-help-');

const APP_ENV = {
  ZOOM_CLIENT_ID: 'helpId',
  ZOOM_CLIENT_SECRET: 'helpSecret',
  ZOOM_SECRET_TOKEN: 'helpToken',
};

/** Help text with wrapping undone: every run of white space is one space. */
function unwrapped(text: string): string {
  return text.replace(/\s+/g, ' ');
}

/** The default as the help states it, computed here from the table rather than by the code under test. */
function noteOf(setting: Setting): string {
  return setting.default === undefined ? 'required' : `default: ${setting.default}`;
}

/** Every ZOOM_/ZM_/RTMSKIT_ variable named in a text. */
function variablesIn(text: string): Set<string> {
  return new Set(text.match(/\b(?:ZOOM|ZM|RTMSKIT)_[A-Z0-9_]+\b/g) ?? []);
}

/** stderr as lines, the last newline dropped. */
function errLines(stderr: string): string[] {
  return stderr.trimEnd().split('\n');
}

describe('rtmskit --version', () => {
  it('prints the version of package.json and exits 0', async () => {
    const { version } = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const run = await runCli(['--version'], { cwd: await tempDir() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${version}\n`);
  });
});

describe('rtmskit serve --help', () => {
  it('lists every setting of SETTINGS, each with its variables and its default, and no other variable', async () => {
    const run = await runCli(['serve', '--help'], { cwd: await tempDir() });
    expect(run.code).toBe(0);
    const help = unwrapped(run.stdout);
    const flagOf = new Map<string, (typeof CONFIG_FLAGS)[number]>(CONFIG_FLAGS.map((f) => [f.setting, f]));
    for (const setting of SETTINGS as readonly Setting[]) {
      const [primary, ...aliases] = setting.names;
      const flag = flagOf.get(primary);
      const expected = flag
        ? `${flag.flag} ${flag.arg} ${setting.about} (env: ${setting.names.join(' or ')}, ${noteOf(setting)})`
        : `${primary} ${setting.about} (${aliases.length > 0 ? `or ${aliases.join(' or ')}, ` : ''}${noteOf(setting)})`;
      expect(help, primary).toContain(expected);
    }
    const listed = new Set<string>((SETTINGS as readonly Setting[]).flatMap((s) => [...s.names]));
    expect([...variablesIn(run.stdout)].sort()).toEqual([...listed].sort());
  });

  it('names the settings that have no flag, the ones people could not find', async () => {
    const run = await runCli(['serve', '--help'], { cwd: await tempDir() });
    const names = variablesIn(run.stdout);
    for (const name of [
      'ZOOM_CLIENT_ID',
      'ZM_CLIENT_ID',
      'ZM_RTMS_CLIENT',
      'ZOOM_CLIENT_SECRET',
      'ZM_CLIENT_SECRET',
      'ZM_RTMS_SECRET',
      'ZOOM_SECRET_TOKEN',
      'ZOOM_WEBHOOK_SECRET_TOKEN',
      'ZOOM_VIDEO_SDK_KEY',
      'ZOOM_VIDEO_SDK_SECRET',
      'ZOOM_VIDEO_SDK_SECRET_TOKEN',
      'ZOOM_ACCOUNT_ID',
      'ZOOM_S2S_CLIENT_ID',
      'ZOOM_S2S_CLIENT_SECRET',
      'RTMSKIT_ALLOW_LOOPBACK',
      'RTMSKIT_ALLOWED_HOSTS',
      'RTMSKIT_ADMIN_TOKEN',
      'RTMSKIT_TRUST_PROXY',
      'RTMSKIT_MAX_HANDSHAKES',
      'RTMSKIT_MAX_CONNECTIONS',
      'RTMSKIT_RETENTION_DAYS',
      'RTMSKIT_RECORDING_RETENTION_DAYS',
    ]) {
      expect(names.has(name), name).toBe(true);
    }
    expect(unwrapped(run.stdout)).toContain('RTMSKIT_ALLOW_LOOPBACK also allow 127.0.0.1/localhost servers');
    expect(unwrapped(run.stdout)).toContain('(default: false)');
  });
});

describe('rtmskit rtms start --help', () => {
  it('names the account, the S2S app and its fallback to the RTMS app', async () => {
    const run = await runCli(['rtms', 'start', '--help'], { cwd: await tempDir() });
    expect(run.code).toBe(0);
    const help = unwrapped(run.stdout);
    const about = (name: string) => (SETTINGS as readonly Setting[]).find((s) => s.names[0] === name)!.about;
    expect(help).toContain(`ZOOM_ACCOUNT_ID ${about('ZOOM_ACCOUNT_ID')} (required)`);
    expect(help).toContain(
      `ZOOM_S2S_CLIENT_ID ${about('ZOOM_S2S_CLIENT_ID')} (default: the General app client id)`,
    );
    expect(help).toContain(
      `ZOOM_S2S_CLIENT_SECRET ${about('ZOOM_S2S_CLIENT_SECRET')} (default: the General app client secret)`,
    );
    expect(help).toContain(
      `ZOOM_CLIENT_ID ${about('ZOOM_CLIENT_ID')} (or ZM_CLIENT_ID or ZM_RTMS_CLIENT, required)`,
    );
    expect(help).toContain(
      `ZOOM_CLIENT_SECRET ${about('ZOOM_CLIENT_SECRET')} (or ZM_CLIENT_SECRET or ZM_RTMS_SECRET,`,
    );
    expect(help).toContain('--dotenv <path>');
  });
});

describe.each(['signature', 'webhook-verify'])('rtmskit %s --help', (command) => {
  it('says it reads .env and takes --dotenv <path>', async () => {
    const run = await runCli([command, '--help'], { cwd: await tempDir() });
    expect(run.code).toBe(0);
    const help = unwrapped(run.stdout);
    expect(help).toContain('--dotenv <path> read settings from this file instead of ./.env');
    expect(help).toContain(
      'read from the environment, then from ./.env, or from the file --dotenv <path> names',
    );
  });
});

describe('rtmskit --help', () => {
  it('ends with the exit-code rule', async () => {
    const run = await runCli(['--help'], { cwd: await tempDir() });
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n').map((l) => l.trim());
    expect(lines).toContain('Exit codes (every command):');
    expect(lines.find((l) => l.startsWith('1 '))).toMatch(/^1 +the command ran and failed/);
    expect(lines.find((l) => l.startsWith('2 '))).toMatch(/^2 +usage or configuration error/);
  });
});

describe('bad values name the flag or variable, the value and what is allowed (exit 2)', () => {
  it.each([
    [['--port', 'abc'], {}, 'rtmskit: --port "abc" is not a whole number from 0 to 65535'],
    [
      ['--audio-layout', 'stereo'],
      {},
      'rtmskit: --audio-layout "stereo" is not one of auto, mixed, per-speaker, both',
    ],
    [
      ['--log-level', 'loud'],
      {},
      'rtmskit: --log-level "loud" is not one of fatal, error, warn, info, debug, trace, silent',
    ],
    [
      [],
      { RTMSKIT_MEDIA: 'audio,transcripts' },
      'rtmskit: RTMSKIT_MEDIA "audio,transcripts" holds "transcripts": each item must be one of audio, video, deskshare, transcript, chat',
    ],
  ])('serve %j with %j', async (args, env, line) => {
    const cwd = await tempDir();
    // Nothing may start listening: a port nothing else uses, and the command must stop before it.
    const run = await runCli(['serve', '--port', '9', ...args], { cwd, env: { ...APP_ENV, ...env } });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(errLines(run.stderr)).toEqual([line]);
  });

  it('missing credentials, and only they, bring the Marketplace hint', async () => {
    const run = await runCli(['serve', '--port', '9'], { cwd: await tempDir() });
    expect(run.code).toBe(2);
    const lines = errLines(run.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^rtmskit: configuration is incomplete: missing: ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET/,
    );
    expect(lines[0]).toContain('Zoom Marketplace');
  });

  it('simulate names its flag the same way', async () => {
    const run = await runCli(['simulate', '--frames', 'weird'], { cwd: await tempDir() });
    expect(run.code).toBe(2);
    expect(errLines(run.stderr)).toEqual(['rtmskit: --frames "weird" is not one of text, binary, mixed']);
  });
});

describe('--dotenv', () => {
  it.each([
    ['serve', '--port', '9'],
    ['simulate', '--streams', '0'],
    ['doctor'],
    ['rtms', 'start', '123'],
    ['signature', '--instance-id', 'i', '--stream-id', 's'],
    ['webhook-verify', '--headers', 'h', '--body', 'b'],
  ])('a file that does not exist is exit 2 naming the path: %s', async (...args) => {
    const cwd = await tempDir();
    const run = await runCli([...args, '--dotenv', 'nowhere.env'], { cwd, env: APP_ENV });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = errLines(run.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^rtmskit: --dotenv ${join(cwd, 'nowhere.env')}: no such file`));
  });
});

describe('exit codes', () => {
  it.each([
    [['serve', '--bogus'], "error: unknown option '--bogus'"],
    [['no-such-command'], "error: unknown command 'no-such-command'"],
    [['signature', '--stream-id', 's'], "error: required option '--instance-id <id>' not specified"],
  ])("commander's own errors exit 2: %j", async (args, message) => {
    const run = await runCli(args, { cwd: await tempDir() });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(message);
  });

  it('webhook-verify with a missing file: exit 2 and one line, no stack', async () => {
    const cwd = await tempDir();
    await writeFile(join(cwd, 'h.json'), '{}');
    const run = await runCli(
      ['webhook-verify', '--headers', 'h.json', '--body', 'missing.json', '--secret-token', 't'],
      { cwd },
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(errLines(run.stderr)).toEqual(['rtmskit: --body missing.json: no such file']);
  });

  it('serve on a port another program holds ran and failed: exit 1, one line', async () => {
    const holder = createServer();
    const port = await new Promise<number>((resolve) => {
      holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port));
    });
    cleanups.add(() => new Promise((resolve) => holder.close(resolve)));
    const cwd = await tempDir();
    const run = await runCli(['serve', '--port', String(port), '--log-level', 'silent'], {
      cwd,
      env: APP_ENV,
    });
    expect(run.code).toBe(1);
    expect(errLines(run.stderr)).toEqual([
      `rtmskit: port ${port} on 127.0.0.1 is in use (another rtmskit serve?); set RTMSKIT_PORT or --port`,
    ]);
  });
});
