/**
 * `rtmskit serve` killed with SIGKILL mid-meeting and started again on the same data folder: the
 * crashed run's manifest was last written when its files appeared, so its counters are stale. The
 * restarted service repairs it, and the resumed run's `previousRuns` entry must agree with the files
 * on disk: WAV data length, duration, frames and silence; the run's lines of the JSON lines files.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RecordingManifest, readManifest } from '../../src/media/manifest.js';
import { Simulator } from '../../src/simulator/index.js';
import {
  type CliChild,
  childEnv,
  freePort,
  readWavHeader,
  recordingFolders,
  runCli,
  WAV_HEADER_BYTES,
  waitFor,
} from '../service/helpers.js';

/** Simulated time runs 4× faster than real time: a 40 s meeting lasts 10 s. */
const TIME_SCALE = 4;
const MEETING_MS = 40_000;
/** 16 kHz mono L16 in 20 ms frames. */
const FRAME_BYTES = 640;
const BYTES_PER_MS = 32;

const children: CliChild[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.kill('SIGKILL')));
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

function token(): string {
  return randomBytes(12).toString('base64url');
}

/** Lines of `file` between byte `from` and byte `to`. */
async function linesBetween(path: string, from: number, to: number): Promise<string[]> {
  const text = (await readFile(path)).subarray(from, to).toString('utf8');
  return text.split('\n').filter((line) => line.length > 0);
}

describe('the crashed run in previousRuns', () => {
  it('has the counters of its files after a SIGKILL and a restart', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'rtmskit-restart-books-'));
    cleanups.push(() => rm(tmp, { recursive: true, force: true }));
    const dataDir = join(tmp, 'data');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const app = { clientId: `rb_${token()}`, clientSecret: token(), secretToken: token() };
    const env = childEnv({
      ZOOM_CLIENT_ID: app.clientId,
      ZOOM_CLIENT_SECRET: app.clientSecret,
      ZOOM_SECRET_TOKEN: app.secretToken,
      RTMSKIT_ALLOW_LOOPBACK: '1',
      RTMSKIT_LOG_LEVEL: 'warn',
    });
    const serve = async (): Promise<CliChild> => {
      const child = runCli(['serve', '--port', String(port), '--data-dir', dataDir], tmp, env);
      children.push(child);
      await waitFor(
        async () => {
          if (child.child.exitCode !== null) throw new Error(`serve exited early:\n${child.stderr()}`);
          return fetch(`${base}/healthz`).then(
            (r) => r.status === 200,
            () => false,
          );
        },
        'rtmskit serve to answer /healthz',
        30_000,
        50,
      );
      return child;
    };

    const first = await serve();
    const sim = await Simulator.start({
      webhookUrl: `${base}/webhook`,
      credentials: app,
      timeScale: TIME_SCALE,
      participants: 3,
      durationMs: MEETING_MS,
    });
    cleanups.push(() => sim.close());
    sim.startStream({ seed: 77 });
    // A few seconds of audio, transcript and events after the files appeared, then the kill.
    const wavPath = await waitFor(
      async () => {
        const [dir] = await recordingFolders(dataDir);
        if (dir === undefined) return undefined;
        const path = join(dir, 'audio.wav');
        const h = await readWavHeader(path).catch(() => undefined);
        return h !== undefined && h.fileBytes > WAV_HEADER_BYTES + 3 * 32_000 * TIME_SCALE ? path : undefined;
      },
      'three seconds of audio',
      20_000,
      20,
    );
    const dir = join(wavPath, '..');
    expect(await first.kill('SIGKILL')).toBe('SIGKILL');
    const left = await readManifest(dir);
    if (left.status !== 'ok') throw new Error(`manifest ${left.status}`);
    const stale = left.manifest;
    expect(stale.endedAt).toBeUndefined();

    await serve();
    const final = await waitFor(
      async () => {
        const read = await readManifest(dir);
        return read.status === 'ok' && read.manifest.run === 2 && typeof read.manifest.endedAt === 'string'
          ? (read.manifest as RecordingManifest)
          : undefined;
      },
      'the resumed run to end with the meeting',
      30_000,
      100,
    );
    const previous = final.previousRuns?.[0] as RecordingManifest;
    expect(previous).toMatchObject({ run: 1, endReason: 'unfinished' });

    // The WAV of run 1: its entry says what the file holds.
    const wav = await readWavHeader(wavPath);
    const entry = previous.files.find((f) => f.path === 'audio.wav');
    const c = entry?.counters ?? {};
    expect(entry?.bytes).toBe(wav.fileBytes);
    expect(c.bytes).toBe(wav.dataSize);
    expect(entry?.durationMs).toBe(Math.round(wav.dataSize / BYTES_PER_MS));
    // The simulator's frames sit on a 20 ms grid: frames and silence fill the timeline exactly (a last
    // frame the kill cut short counts as a frame).
    const cut = (FRAME_BYTES - (wav.dataSize % FRAME_BYTES)) % FRAME_BYTES;
    expect((c.frames ?? 0) * FRAME_BYTES + (c.silenceMs ?? 0) * BYTES_PER_MS).toBe(wav.dataSize + cut);
    expect(previous.counters.written.audio).toBe(c.frames);
    expect(previous.counters.silenceMs).toBe(c.silenceMs);
    expect(previous.counters.gapsFilled).toBe(c.gapsFilled);
    // The manifest the killed process left counted far less than its files hold.
    expect(stale.counters?.frames.audio ?? 0).toBeLessThan(c.frames ?? 0);

    // Its lines: from the start of each file to where run 2 began appending.
    for (const [file, kind] of [
      ['transcript.jsonl', 'transcript'],
      ['events.jsonl', 'events'],
    ] as const) {
      const run1 = previous.files.find((f) => f.path === file);
      const run2 = final.files.find((f) => f.path === file);
      expect(run2?.offset, file).toBe(run1?.bytes);
      const lines = await linesBetween(join(dir, file), 0, run1?.bytes ?? 0);
      expect(lines.length, file).toBe(previous.counters.written[kind]);
      expect(run1?.counters?.lines, file).toBe(lines.length);
      for (const line of lines) expect(() => JSON.parse(line), file).not.toThrow();
    }
    expect(previous.counters.written.events).toBeGreaterThan(0);
    expect(previous.counters.frames.audio).toBeGreaterThanOrEqual(previous.counters.written.audio);

    // Run 2's books balance, as every finished run's do.
    const k = final.counters;
    for (const kind of ['audio', 'transcript', 'chat'] as const) {
      expect(k.written[kind] + k.unwritten[kind], kind).toBe(k.frames[kind]);
    }
    expect(k.written.events + k.unwritten.events).toBe(k.events);
  }, 90_000);
});
