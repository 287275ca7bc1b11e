/**
 * `RTMSKIT_ENCODE=opus,mp3` through `serve` with real FFmpeg: after the meeting, every WAV (mixed and per
 * speaker) has an Opus and an MP3 copy that plays within 50 ms of the WAV's length (ffprobe's codec, FFmpeg's
 * decode), listed in
 * the manifest; an encoding a stop left pending is done by the next start; without FFmpeg the WAVs are
 * written and the manifest says why there are no copies.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readManifest, writeManifest } from '../../src/media/manifest.js';
import { Cleanups } from '../cleanups.js';
import { ffmpegPresent, probe } from '../helpers/ffmpeg.js';
import { recordMeeting, startInProcessService, waitFor } from './helpers.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

describe('encoded copies of recordings', () => {
  it('makes an Opus and an MP3 of every WAV, as long as the WAV, listed in the manifest', async () => {
    if (!ffmpegPresent('Opus and MP3 copies of recordings')) return;
    const { dir } = await recordMeeting(
      cleanups,
      {
        RTMSKIT_ENCODE: 'opus,mp3',
        RTMSKIT_AUDIO_LAYOUT: 'per-speaker',
      },
      { durationMs: 20_000 },
    );
    const read = await readManifest(dir);
    if (read.status !== 'ok') throw new Error(`no manifest in ${dir}`);
    const { files = [], encoding } = read.manifest;
    const wavs = files.filter((f) => f.path.endsWith('.wav'));
    expect(wavs.length).toBeGreaterThanOrEqual(2);
    expect(encoding?.state).toBe('done');
    expect(encoding?.failures).toEqual([]);
    expect(encoding?.outputs).toHaveLength(wavs.length * 2);
    for (const wav of wavs) {
      for (const [format, codec] of [
        ['opus', 'opus'],
        ['mp3', 'mp3'],
      ] as const) {
        const path = wav.path.replace(/\.wav$/, `.${format}`);
        const listed = encoding?.outputs.find((o) => o.path === path);
        expect(listed, path).toMatchObject({ format, source: wav.path });
        const probed = probe(join(dir, path));
        expect(probed.codecs).toEqual([codec]);
        expect(Math.abs(probed.decodedMs - (wav.durationMs ?? 0)), path).toBeLessThanOrEqual(50);
        // The container's own figure, with the encoder's padding: within a few frames.
        expect(Math.abs(probed.durationMs - (wav.durationMs ?? 0)), path).toBeLessThanOrEqual(150);
        expect(Math.abs((listed?.durationMs ?? 0) - (wav.durationMs ?? 0)), path).toBeLessThanOrEqual(50);
      }
    }
    expect(existsSync(join(dir, 'audio.opus.part'))).toBe(false);
  }, 90_000);

  it('does an encoding a stop left pending at the next start', async () => {
    if (!ffmpegPresent('a pending encoding redone after a restart')) return;
    const first = await recordMeeting(cleanups, {}, { durationMs: 20_000 });
    // As a stop mid-encoding leaves it: asked for, pending, no copy yet.
    const read = await readManifest(first.dir);
    if (read.status !== 'ok') throw new Error('no manifest');
    await writeManifest(first.dir, {
      ...read.manifest,
      encoding: { formats: ['mp3'], state: 'pending', outputs: [], failures: [] },
    });
    await first.svc.service.shutdown();
    await startInProcessService(cleanups, { RTMSKIT_ENCODE: 'mp3' }, { cwd: first.svc.cwd });
    await waitFor(
      async () => {
        const again = await readManifest(first.dir);
        return again.status === 'ok' && again.manifest.encoding?.state === 'done';
      },
      'the pending encoding to be done',
      30_000,
    );
    expect(probe(join(first.dir, 'audio.mp3')).codecs).toEqual(['mp3']);
  }, 90_000);

  it('without FFmpeg writes the WAV and H.264 files and says in the manifest and the log why there is no copy', async () => {
    const path = process.env.PATH;
    // An empty PATH for the service's children: no ffmpeg to be found.
    process.env.PATH = '/nonexistent';
    cleanups.add(() => {
      process.env.PATH = path;
    });
    const { svc, dir } = await recordMeeting(
      cleanups,
      { RTMSKIT_ENCODE: 'opus,mp4', RTMSKIT_MEDIA: 'audio,video,transcript', RTMSKIT_VIDEO_CODEC: 'h264' },
      { durationMs: 20_000 },
    );
    process.env.PATH = path;
    const read = await readManifest(dir);
    if (read.status !== 'ok') throw new Error('no manifest');
    expect(existsSync(join(dir, 'audio.wav'))).toBe(true);
    expect(existsSync(join(dir, 'video.h264'))).toBe(true);
    expect(read.manifest.encoding?.outputs).toEqual([]);
    const failures = read.manifest.encoding?.failures ?? [];
    expect(failures.map((f) => f.path).sort()).toEqual(['audio.opus', 'meeting.mp4']);
    for (const failure of failures) {
      expect(failure.error).toBe('FFmpeg is not installed (no ffmpeg on the PATH)');
      expect(failure.fix).toMatch(/apt-get install ffmpeg/);
    }
    // Said once at start in the log, not only per recording.
    const missing = svc.logs().filter((l) => String(l.msg).includes('FFmpeg is not installed'));
    expect(missing.length).toBeGreaterThanOrEqual(1);
    expect(missing[0]).toMatchObject({ level: 50 });
  }, 90_000);
});
