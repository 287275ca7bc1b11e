/**
 * `RTMSKIT_ENCODE` through `serve` without FFmpeg: the WAV and H.264 files are written, and the manifest
 * and the log say why there are no copies. (With FFmpeg: recordingFiles.e2e.test.ts; a job cut short by
 * SIGKILL and redone: encodeRestart.e2e.test.ts.)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/media/manifest.js';
import { Cleanups } from '../cleanups.js';
import { recordMeeting } from './helpers.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

describe('encoded copies of recordings', () => {
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
