/**
 * An encoding cut short by SIGKILL is redone by the next start: `rtmskit serve` as a child process, its
 * FFmpeg slowed to real time (`-re`) so the kill lands while the MP3 is being written, then a second
 * `serve` on the same data folder with the real FFmpeg.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/media/manifest.js';
import { Simulator } from '../../src/simulator/index.js';
import { ffmpegPresent, probe } from '../helpers/ffmpeg.js';
import {
  type CliChild,
  childEnv,
  describeChild,
  freePort,
  recordingFolders,
  serveChild,
  waitFor,
} from './helpers.js';

const MEETING_MS = 16_000;
const TIME_SCALE = 4;

function token(): string {
  return randomBytes(12).toString('base64url');
}

const children: CliChild[] = [];
const pids: number[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.kill('SIGKILL')));
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe('an encoding killed mid-way', () => {
  it('is redone by the next start', async () => {
    if (!ffmpegPresent('an encoding redone after SIGKILL')) return;
    const tmp = await mkdtemp(join(tmpdir(), 'rtmskit-encode-kill-'));
    cleanups.push(() => rm(tmp, { recursive: true, force: true }));
    const dataDir = join(tmp, 'data');
    const slowBin = join(tmp, 'slow-bin');
    const marker = join(tmp, 'ffmpeg-pids');
    const realFfmpeg = spawnSync('sh', ['-c', 'command -v ffmpeg'], { encoding: 'utf8' }).stdout.trim();
    await mkdir(slowBin);
    // An FFmpeg that says who it is and reads its input at real time; `exec` keeps the pid.
    await writeFile(
      join(slowBin, 'ffmpeg'),
      `#!/bin/sh\necho $$ >> '${marker}'\nexec '${realFfmpeg}' -re "$@"\n`,
    );
    await chmod(join(slowBin, 'ffmpeg'), 0o755);
    const port = await freePort();
    const app = { clientId: `enc_${token()}`, clientSecret: token(), secretToken: token() };
    const env = (path: string) =>
      childEnv({
        ZOOM_CLIENT_ID: app.clientId,
        ZOOM_CLIENT_SECRET: app.clientSecret,
        ZOOM_SECRET_TOKEN: app.secretToken,
        RTMSKIT_ALLOW_LOOPBACK: '1',
        RTMSKIT_ENCODE: 'mp3',
        PATH: path,
      });
    const serve = async (path: string) => {
      const child = await serveChild({ cwd: tmp, env: env(path), port, args: ['--data-dir', dataDir] });
      children.push(child);
      return child;
    };

    const first = await serve(`${slowBin}${delimiter}${process.env.PATH ?? ''}`);
    const sim = await Simulator.start({
      webhookUrl: `http://127.0.0.1:${port}/webhook`,
      credentials: app,
      timeScale: TIME_SCALE,
      participants: 2,
    });
    cleanups.push(() => sim.close());
    sim.startStream({ durationMs: MEETING_MS });
    await sim.whenIdle();

    // The MP3 is being written: FFmpeg runs and its .part file has bytes.
    let dir = '';
    await waitFor(
      async () => {
        dir = (await recordingFolders(dataDir))[0] ?? '';
        return dir !== '' && existsSync(marker) && existsSync(join(dir, 'audio.mp3.part'));
      },
      `FFmpeg to be writing audio.mp3.part\n${describeChild(first)}`,
      30_000,
    );
    await first.kill('SIGKILL');
    for (const pid of (await readFile(marker, 'utf8')).split('\n').filter(Boolean).map(Number)) {
      pids.push(pid);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // It finished already.
      }
    }
    const cut = await readManifest(dir);
    if (cut.status !== 'ok') throw new Error('no manifest after the kill');
    expect(cut.manifest.endedAt).toBeDefined();
    expect(cut.manifest.encoding).toMatchObject({ formats: ['mp3'], state: 'pending', outputs: [] });
    expect(existsSync(join(dir, 'audio.mp3'))).toBe(false);

    // The next start finds it pending and does it again, with the real FFmpeg.
    const second = await serve(process.env.PATH ?? '');
    await waitFor(
      async () => {
        const read = await readManifest(dir);
        return read.status === 'ok' && read.manifest.encoding?.state === 'done';
      },
      `the encoding to be redone\n${describeChild(second)}`,
      60_000,
    );
    const done = await readManifest(dir);
    if (done.status !== 'ok') throw new Error('no manifest');
    expect(done.manifest.encoding?.failures).toEqual([]);
    const wav = done.manifest.files?.find((f) => f.path === 'audio.wav');
    const probed = probe(join(dir, 'audio.mp3'));
    expect(probed.codecs).toEqual(['mp3']);
    expect(Math.abs(probed.decodedMs - (wav?.durationMs ?? 0))).toBeLessThanOrEqual(50);
    expect(existsSync(join(dir, 'audio.mp3.part'))).toBe(false);
  }, 120_000);
});
