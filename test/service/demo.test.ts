/**
 * `rtmskit demo` as a user runs it: a child process, its exit code, what it prints and the report it writes.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordingManifest } from '../../src/media/manifest.js';
import type { SimulatorReport } from '../../src/simulator/report.js';
import { ffmpegPresent } from '../helpers/ffmpeg.js';
import { skipWithoutRedis } from '../helpers/redisServer.js';
import { AUDIO_TEXT_FILES, type CliChild, childEnv, expectManifestFiles, runCli } from './helpers.js';

interface DemoReport {
  simulator: SimulatorReport;
  service: {
    streamId: string;
    closed: { reason: string; stopReason?: number; error?: string } | null;
    snapshot: { counters: { frames: Record<string, number> } } | null;
    recording: string | null;
    manifest: RecordingManifest | null;
  }[];
}

const children: CliChild[] = [];
const temps: string[] = [];

afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.kill('SIGKILL')));
  await Promise.all(temps.splice(0).map((t) => rm(t, { recursive: true, force: true })));
});

/** Runs `rtmskit demo …args` in a temp folder; resolves when it has exited. */
async function demo(
  args: readonly string[],
): Promise<{ code: number | string; out: string; err: string; tmp: string }> {
  const tmp = await mkdtemp(join(tmpdir(), 'rtmskit-demo-'));
  temps.push(tmp);
  const resolved = args.map((a) => a.replaceAll('<tmp>', tmp));
  const child = runCli(['demo', ...resolved], tmp, childEnv({}));
  children.push(child);
  const code = await child.exited;
  return { code, out: child.stdout(), err: child.stderr(), tmp };
}

describe('rtmskit demo', () => {
  it('records a meeting, prints a summary and writes a report that agrees with the files', async () => {
    const { code, out, err, tmp } = await demo([
      '--duration',
      '6s',
      '--time-scale',
      '3',
      '--data-dir',
      '<tmp>/data',
      '--report',
      '<tmp>/r.json',
    ]);
    expect(code, `stdout:\n${out}\nstderr:\n${err}`).toBe(0);
    expect(out).toContain('summary');
    expect(out).toContain('every stream ended normally');
    expect(out).toContain('ended by Zoom (MEETING_ENDED)');

    const report = JSON.parse(await readFile(join(tmp, 'r.json'), 'utf8')) as DemoReport;
    expect(report.simulator.streams).toHaveLength(1);
    expect(report.service).toHaveLength(1);
    const sim = report.simulator.streams[0]!;
    const svc = report.service[0]!;
    expect(svc.streamId).toBe(sim.streamId);
    expect(sim.endReason).toBe(6);
    expect(svc.closed).toMatchObject({ reason: 'stopped', stopReason: 6 });
    expect(sim.framesSent.audio).toBeGreaterThan(0);
    expect(svc.snapshot?.counters.frames.audio).toBe(sim.framesSent.audio);
    expect(svc.snapshot?.counters.frames.transcript).toBe(sim.framesSent.transcript);
    expect(svc.manifest?.counters.frames.audio).toBe(sim.framesSent.audio);

    // The folder and the audio.wav path are printed, relative to the working folder.
    const folder = svc.recording;
    if (folder === null) throw new Error('no recording folder in the report');
    expect(folder.startsWith(join(tmp, 'data', 'recordings'))).toBe(true);
    expect(out).toContain(`folder ${relative(tmp, folder)}`);
    const wav = await stat(join(folder, 'audio.wav'));
    expect(out).toContain(`audio.wav (${wav.size.toLocaleString('en-US')} bytes, `);
    const manifestFile = await stat(join(folder, 'manifest.json'));
    expect(out).toContain(`manifest.json (${manifestFile.size.toLocaleString('en-US')} bytes`);
    expect(out).toMatch(/gaps filled \d+ \(\d+ ms of silence where nobody spoke or media was away/);

    // Every file the manifest lists exists, with the size it states: the demo records everything, per
    // speaker and mixed, and (with FFmpeg) makes every copy.
    const files = svc.manifest?.files ?? [];
    const speakers = files.filter((f) => /^audio-\d+\.wav$/.test(f.path)).map((f) => f.path);
    expect(speakers.length).toBeGreaterThanOrEqual(2);
    await expectManifestFiles(folder, files, [
      ...AUDIO_TEXT_FILES,
      ...speakers,
      'video.h264',
      'deskshare.h264',
    ]);
    if (ffmpegPresent('the demo’s copies')) {
      const outputs = svc.manifest?.encoding?.outputs ?? [];
      expect(svc.manifest?.encoding?.failures).toEqual([]);
      expect(outputs.map((o) => o.path)).toEqual(
        expect.arrayContaining(['audio.opus', 'audio.mp3', 'meeting.mp4']),
      );
      for (const o of outputs) {
        expect((await stat(join(folder, o.path))).size, o.path).toBe(o.bytes);
        expect(out).toContain(`${o.path} (${o.bytes.toLocaleString('en-US')} bytes`);
      }
    }
    const onDisk = JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf8')) as RecordingManifest;
    expect(onDisk.streamId).toBe(sim.streamId);
    expect(onDisk.counters.frames.audio).toBe(sim.framesSent.audio);
  }, 30_000);

  it('recovers from a dropped media connection and says so', async () => {
    const { code, out, err, tmp } = await demo([
      '--duration',
      '6s',
      '--time-scale',
      '3',
      '--data-dir',
      '<tmp>/data',
      '--report',
      '<tmp>/r.json',
      '--fault',
      'drop-media@2s',
      // Audio and text only, no copies: these are about recovery.
      '--media',
      'audio,transcript,chat',
      '--encode',
      'none',
    ]);
    expect(code, `stdout:\n${out}\nstderr:\n${err}`).toBe(0);
    expect(out).toContain('every stream ended normally');
    expect(out).toMatch(/reconnecting .*\n/);
    const reconnects = Number(/reconnects (\d+);/.exec(out)?.[1]);
    expect(reconnects).toBeGreaterThanOrEqual(1);

    const report = JSON.parse(await readFile(join(tmp, 'r.json'), 'utf8')) as DemoReport;
    const sim = report.simulator.streams[0]!;
    const svc = report.service[0]!;
    expect(sim.faults).toContain('drop-media');
    expect(sim.recoveries).toBeGreaterThanOrEqual(1);
    expect(sim.endReason).toBe(6);
    expect(svc.manifest?.counters.reconnects).toBeGreaterThanOrEqual(1);
    expect(svc.closed).toMatchObject({ reason: 'stopped', stopReason: 6 });
  }, 30_000);

  it('tells one server failover as one recovery', async () => {
    const { code, out, err } = await demo([
      '--duration',
      '6s',
      '--time-scale',
      '3',
      '--data-dir',
      '<tmp>/data',
      '--fault',
      'failover@2s',
      // Audio and text only, no copies: these are about recovery.
      '--media',
      'audio,transcript,chat',
      '--encode',
      'none',
    ]);
    expect(code, `stdout:\n${out}\nstderr:\n${err}`).toBe(0);
    expect(out.match(/reconnecting everything/g), out).toHaveLength(1);
    expect(out.match(/recovered in \d+ ms/g), out).toHaveLength(1);
    expect(/reconnects (\d+);/.exec(out)?.[1]).toBe('1');
    expect(out).toContain('every stream ended normally');
  }, 30_000);

  it('refuses an invalid fault spec with exit code 2 and a one-line error', async () => {
    const { code, out, err, tmp } = await demo([
      '--duration',
      '6s',
      '--data-dir',
      '<tmp>/data',
      '--fault',
      'melt-down@2s',
    ]);
    expect(code).toBe(2);
    const lines = err.split('\n').filter((l) => l.length > 0);
    expect(lines, err).toHaveLength(1);
    expect(lines[0]).toMatch(/^rtmskit: .*melt-down/);
    expect(out).not.toContain('summary');
    // Refused before anything started: no data folder.
    await expect(stat(join(tmp, 'data'))).rejects.toMatchObject({ code: 'ENOENT' });
  }, 30_000);
});

describe('rtmskit demo --fleet', () => {
  it('refuses a fleet of one, a faster clock and faults, with exit code 2', async () => {
    for (const args of [
      ['--fleet', '1'],
      ['--fleet', '3', '--time-scale', '4'],
      ['--fleet', '3', '--fault', 'drop-media@2s'],
      ['--fleet', '3', '--duration', '10s'],
    ]) {
      const { code, err } = await demo([...args, '--data-dir', '<tmp>/data']);
      expect(code, args.join(' ')).toBe(2);
      expect(err.trim().split('\n'), err).toHaveLength(1);
    }
  }, 60_000);

  it.skipIf(skipWithoutRedis())(
    'runs three instances on Redis, kills the busiest, and shows its streams taken over in time',
    async () => {
      const { code, out } = await demo([
        '--fleet',
        '3',
        '--streams',
        '3',
        '--duration',
        '30s',
        '--data-dir',
        '<tmp>/data',
      ]);
      expect(code, out).toBe(0);
      expect(out).toContain('who holds what:');
      expect(out).toMatch(/kill -9 instance-[abc] \(pid \d+\), which held [1-3] of 3 streams/);
      expect(out).toContain('signaling connections per stream at once, at most: 1');
      expect(out).toContain('meetings that ended normally (MEETING_ENDED): 3 of 3');
      const max = /max (\d+(?:\.\d+)?) s \(goal < 15 s\)/.exec(out);
      expect(Number(max?.[1])).toBeLessThan(15);
    },
    120_000,
  );
});
