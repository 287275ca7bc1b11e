/**
 * Audio files of `serve` through the simulator: `RTMSKIT_AUDIO_LAYOUT=per-speaker` asks Zoom for
 * per-speaker audio (`data_opt` 2) and writes one WAV per participant who spoke; every WAV starts at the
 * stream's start, so a 30 s meeting gives a 30 s mixed file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DataOption } from '../../src/protocol/enums.js';
import { Simulator } from '../../src/simulator/index.js';
import { Cleanups } from '../cleanups.js';
import { startInProcessService, waitFor } from './helpers.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

describe('per-speaker audio from the service', () => {
  it('asks Zoom for a stream per speaker and writes audio-<userId>.wav for each', async () => {
    const svc = await startInProcessService(cleanups, { RTMSKIT_AUDIO_LAYOUT: 'per-speaker' });
    const sim = await Simulator.start({
      webhookUrl: `${svc.base}/webhook`,
      credentials: svc.app,
      timeScale: 4,
      participants: 3,
    });
    cleanups.add(() => sim.close());
    sim.startStream({ durationMs: 30_000 });
    await sim.whenIdle();
    await waitFor(() => svc.finalized.length === 1, 'the recording to finish', 15_000);
    const { manifest } = svc.finalized[0] as (typeof svc.finalized)[number];
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

  it('starts every WAV at the stream’s start: a 30 s meeting gives a 30 s mixed file', async () => {
    const svc = await startInProcessService(cleanups);
    const sim = await Simulator.start({
      webhookUrl: `${svc.base}/webhook`,
      credentials: svc.app,
      timeScale: 4,
      participants: 3,
    });
    cleanups.add(() => sim.close());
    sim.startStream({ durationMs: 30_000 });
    await sim.whenIdle();
    await waitFor(() => svc.finalized.length === 1, 'the recording to finish', 15_000);
    const { manifest } = svc.finalized[0] as (typeof svc.finalized)[number];
    const mixed = manifest.files.find((f) => f.path === 'audio.wav');
    expect(Math.abs((mixed?.durationMs ?? 0) - 30_000)).toBeLessThanOrEqual(50);
  }, 60_000);
});
