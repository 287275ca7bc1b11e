/**
 * The Encoder's queue, with a stand-in FFmpeg that logs when each run starts and ends: no more runs at
 * once than its concurrency, every recording done once, and recordings still queued at close marked
 * pending for the next start.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Encoder } from '../../src/media/encode/index.js';
import { type RecordingManifest, readManifest, writeManifest } from '../../src/media/manifest.js';
import { wavHeader } from '../../src/media/WavWriter.js';

const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A folder holding a stand-in `ffmpeg`: it logs "start"/"end" with the time, and writes its output. */
async function fakeFfmpeg(root: string, runMs: number): Promise<{ binDir: string; log: string }> {
  const binDir = join(root, 'bin');
  const log = join(root, 'runs.log');
  await mkdir(binDir);
  await writeFile(
    join(binDir, 'ffmpeg'),
    [
      '#!/bin/sh',
      'for a in "$@"; do last="$a"; done',
      // The duration probe: say 1 s and go.
      'case " $* " in *" -progress "*) echo out_time_us=1000000; exit 0;; esac',
      `echo "start $(date +%s%N)" >> '${log}'`,
      `sleep ${runMs / 1000}`,
      'printf copy > "$last"',
      `echo "end $(date +%s%N)" >> '${log}'`,
    ].join('\n'),
  );
  await chmod(join(binDir, 'ffmpeg'), 0o755);
  return { binDir, log };
}

/** A finished recording with one second of silent mono WAV. */
async function recording(root: string, name: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'audio.wav'),
    Buffer.concat([wavHeader(16_000, 1, 32_000), Buffer.alloc(32_000)]),
  );
  const manifest: Partial<RecordingManifest> = {
    streamId: name,
    startedAt: new Date(0).toISOString(),
    endedAt: new Date(1_000).toISOString(),
    files: [{ path: 'audio.wav', kind: 'audio', bytes: 32_044, codec: 'L16', userId: 0, durationMs: 1_000 }],
  };
  await writeManifest(dir, manifest);
  return dir;
}

/** The most runs that overlapped, from the log's start/end lines. */
async function mostAtOnce(log: string): Promise<{ most: number; runs: number }> {
  const events = (await readFile(log, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => {
      const [kind, at] = line.split(' ');
      return { kind, at: BigInt(at ?? '0') };
    })
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  let now = 0;
  let most = 0;
  for (const e of events) {
    now += e.kind === 'start' ? 1 : -1;
    most = Math.max(most, now);
  }
  return { most, runs: events.filter((e) => e.kind === 'start').length };
}

describe('Encoder', () => {
  for (const concurrency of [1, 3]) {
    it(`runs at most ${concurrency} recording${concurrency > 1 ? 's' : ''} at once and each once`, async () => {
      const root = await mkdtemp(join(tmpdir(), 'rtmskit-encoder-'));
      temps.push(root);
      const { binDir, log } = await fakeFfmpeg(root, 300);
      const dirs = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => recording(root, n)));
      const encoded: string[] = [];
      const encoder = new Encoder({
        formats: ['mp3'],
        binDir,
        concurrency,
        onEncoded: (dir) => encoded.push(dir),
      });
      // Each folder twice: the second is ignored while the first is queued.
      await Promise.all([...dirs, ...dirs].map((dir) => encoder.add(dir)));
      expect(encoded.sort()).toEqual([...dirs].sort());
      const { most, runs } = await mostAtOnce(log);
      expect(runs).toBe(dirs.length);
      expect(most).toBe(concurrency);
      for (const dir of dirs) {
        const read = await readManifest(dir);
        expect(read.status === 'ok' && read.manifest.encoding).toMatchObject({
          state: 'done',
          failures: [],
          outputs: [{ path: 'audio.mp3', format: 'mp3', durationMs: 1_000, bytes: 4 }],
        });
      }
      await encoder.close();
    }, 20_000);
  }

  it('records a failed run with FFmpeg’s last stderr lines and the fix, and goes on', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rtmskit-encoder-'));
    temps.push(root);
    const binDir = join(root, 'bin');
    await mkdir(binDir);
    // An FFmpeg that complains at length and fails.
    await writeFile(
      join(binDir, 'ffmpeg'),
      '#!/bin/sh\nfor i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "line $i" >&2; done\necho "Unknown encoder libmp3lame" >&2\nexit 1\n',
    );
    await chmod(join(binDir, 'ffmpeg'), 0o755);
    const dir = await recording(root, 'a');
    const encoder = new Encoder({ formats: ['mp3', 'opus'], binDir });
    await encoder.add(dir);
    const read = await readManifest(dir);
    const encoding = read.status === 'ok' ? read.manifest.encoding : undefined;
    expect(encoding?.state).toBe('done');
    expect(encoding?.outputs).toEqual([]);
    expect(encoding?.failures.map((f) => f.path)).toEqual(['audio.mp3', 'audio.opus']);
    const [mp3] = encoding?.failures ?? [];
    expect(mp3?.error).toBe('FFmpeg failed: ffmpeg exited with code 1');
    expect(mp3?.fix).toMatch(/rtmskit doctor/);
    // The last 8 lines, the cause among them.
    expect(mp3?.stderr).toEqual([
      ...[6, 7, 8, 9, 10, 11, 12].map((i) => `line ${i}`),
      'Unknown encoder libmp3lame',
    ]);
    await encoder.close();
  });

  it('marks what is still queued at close pending, for the next start', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rtmskit-encoder-'));
    temps.push(root);
    const { binDir, log } = await fakeFfmpeg(root, 500);
    const dirs = await Promise.all(['a', 'b', 'c'].map((n) => recording(root, n)));
    const encoder = new Encoder({ formats: ['mp3'], binDir });
    const jobs = dirs.map((dir) => encoder.add(dir));
    await new Promise((r) => setTimeout(r, 100));
    await encoder.close();
    await Promise.all(jobs);
    const states = await Promise.all(
      dirs.map(async (dir) => {
        const read = await readManifest(dir);
        return read.status === 'ok' ? read.manifest.encoding?.state : undefined;
      }),
    );
    // The first was under way and finished; the other two wait in their manifests.
    expect(states).toEqual(['done', 'pending', 'pending']);
    // A closed encoder takes nothing more: no FFmpeg run, the recording still pending.
    await encoder.add(dirs[1] as string);
    await new Promise((r) => setTimeout(r, 100));
    expect((await mostAtOnce(log)).runs).toBe(1);
    const after = await readManifest(dirs[1] as string);
    expect(after.status === 'ok' && after.manifest.encoding?.state).toBe('pending');
  }, 20_000);
});
