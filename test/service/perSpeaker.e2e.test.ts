/**
 * Audio files of `serve` through the simulator: `RTMSKIT_AUDIO_LAYOUT=per-speaker` asks Zoom for
 * per-speaker audio (`data_opt` 2) and writes one WAV per participant who spoke; every WAV starts at the
 * stream's start (Zoom's first-packet timestamp).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataOption } from '../../src/protocol/enums.js';
import { Cleanups } from '../cleanups.js';
import { recordMeeting } from './helpers.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function meeting(env: Record<string, string>) {
  const { svc, dir } = await recordMeeting(cleanups, env);
  return { manifest: (svc.finalized[0] as (typeof svc.finalized)[number]).manifest, dir };
}

describe('per-speaker audio from the service', () => {
  it('asks Zoom for a stream per speaker and writes audio-<userId>.wav for each', async () => {
    const { manifest } = await meeting({ RTMSKIT_AUDIO_LAYOUT: 'per-speaker' });
    expect(manifest.mediaParams?.audio?.data_opt).toBe(DataOption.AUDIO_MULTI_STREAMS);
    const wavs = manifest.files.filter((f) => f.kind === 'audio');
    expect(wavs.map((f) => f.path)).not.toContain('audio.wav');
    expect(wavs.length).toBeGreaterThanOrEqual(2);
    for (const wav of wavs) {
      expect(wav.path).toBe(`audio-${wav.userId}.wav`);
      expect(wav.userId).not.toBe(0);
      expect(wav.durationMs ?? 0).toBeGreaterThan(0);
    }
    expect(new Set(wavs.map((f) => f.userId)).size).toBe(wavs.length);
  }, 60_000);

  it('starts every WAV at the stream’s start, so a 30 s meeting gives about 30 s of audio', async () => {
    const { manifest, dir } = await meeting({});
    const events = (await readFile(join(dir, 'events.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { kind: string; data: { timestamp?: number } });
    const start = events.find((e) => e.kind === 'firstPacket')?.data.timestamp;
    expect(typeof start).toBe('number');
    expect(manifest.timelineOriginMs).toBe(start);
    // It ends with the last frame: a meeting that ends in a pause between turns is that much shorter.
    const mixed = manifest.files.find((f) => f.path === 'audio.wav');
    expect(mixed?.durationMs).toBeGreaterThan(29_000);
    expect(mixed?.durationMs).toBeLessThanOrEqual(30_050);
  }, 60_000);
});
