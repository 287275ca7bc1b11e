/**
 * Files a person opens, from a simulated meeting recorded by `serve` with real FFmpeg and ffprobe: per
 * speaker and mixed audio, every codec Zoom sends decoded to WAV, Opus and MP3 copies, and MP4 of video
 * and screen share in sync with the audio. Each file is checked by what ffprobe and FFmpeg's decoder say
 * of it, and the audio by the tones the simulator gives each participant.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ManifestFile, RecordingManifest } from '../../src/media/manifest.js';
import { readManifest } from '../../src/media/manifest.js';
import { DataOption } from '../../src/protocol/enums.js';
import type { Scenario, SimStreamInfo } from '../../src/simulator/index.js';
import { Cleanups } from '../cleanups.js';
import { ffmpegPresent, probe, probeStreams, videoPackets, videoPacketTimesMs } from '../helpers/ffmpeg.js';
import { decodePcm, participantTones, TONE_WINDOW_MS, tonesOf } from '../helpers/tones.js';
import { recordMeeting } from './helpers.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

const MEETING_MS = 20_000;
/** How far a file's length may be from the meeting's. */
const DURATION_TOLERANCE_MS = 50;
/** How far a picture may be from the time Zoom stamped it, on the audio's timeline. */
const SYNC_TOLERANCE_MS = 40;
/** Windows this close to a turn's start or end are not judged: packets are 20 ms. */
const EDGE_MS = 60;
const ALL_MEDIA = 'audio,video,deskshare,transcript,chat';

async function meeting(env: Record<string, string>) {
  const recorded = await recordMeeting(cleanups, env, { durationMs: MEETING_MS });
  const read = await readManifest(recorded.dir);
  if (read.status !== 'ok') throw new Error(`no manifest in ${recorded.dir}`);
  return { ...recorded, manifest: read.manifest as RecordingManifest };
}

function fileOf(manifest: RecordingManifest, path: string): ManifestFile {
  const file = manifest.files.find((f) => f.path === path);
  if (file === undefined)
    throw new Error(`${path} is not in the manifest: ${manifest.files.map((f) => f.path)}`);
  return file;
}

/** Turns of speech per user id, in simulated ms. */
function turnsOf(scenario: Scenario): Map<number, [number, number][]> {
  const turns = new Map<number, [number, number][]>();
  for (const e of scenario.events) {
    if (e.type !== 'speak') continue;
    const list = turns.get(e.userId) ?? [];
    list.push([e.atMs, e.endMs]);
    turns.set(e.userId, list);
  }
  return turns;
}

/**
 * Checks one speaker's audio window by window: their own tone inside their turns, silence well away
 * from them, never another participant's tone. Returns the windows with the tone.
 */
function expectSpeakerTone(
  file: string,
  tones: (number | undefined)[],
  own: number,
  turns: readonly [number, number][],
  simMsAtStart: number,
): number {
  let voiced = 0;
  const wrong: string[] = [];
  tones.forEach((tone, i) => {
    const from = simMsAtStart + i * TONE_WINDOW_MS;
    const to = from + TONE_WINDOW_MS;
    const inside = turns.some(([a, b]) => from >= a + EDGE_MS && to <= b - EDGE_MS);
    const near = turns.some(([a, b]) => to > a - EDGE_MS && from < b + EDGE_MS);
    if (tone === own) voiced++;
    if (inside && tone !== own) wrong.push(`${from} ms: ${tone ?? 'silence'} in a turn`);
    if (!near && tone !== undefined) wrong.push(`${from} ms: ${tone} Hz outside every turn`);
    if (tone !== undefined && tone !== own) wrong.push(`${from} ms: ${tone} Hz, not the speaker's ${own} Hz`);
  });
  expect(wrong.slice(0, 5), file).toEqual([]);
  return voiced;
}

function expectNear(actual: number, expected: number, tolerance: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

/** Each user's tone, by the scenario's participant order. */
function toneByUser(scenario: Scenario): Map<number, number> {
  const tones = participantTones(scenario.participants.length);
  return new Map(scenario.participants.map((p) => [p.userId, tones[p.index] as number]));
}

/** Where the WAVs' first sample is, in the scenario's simulated ms. */
function simMsAtOrigin(manifest: RecordingManifest, stream: SimStreamInfo): number {
  return (manifest.timelineOriginMs ?? 0) - stream.clockBaseMs;
}

/** The MP4's pictures are where Zoom's timestamps put them on the audio's timeline. */
async function expectMp4InSync(dir: string, manifest: RecordingManifest, mp4: string, track: string) {
  const probed = probeStreams(join(dir, mp4));
  expect(probed.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort(), mp4).toEqual([
    'audio:aac',
    'video:h264',
  ]);
  expectNear(probed.durationMs, MEETING_MS, DURATION_TOLERANCE_MS, `${mp4} duration`);
  const index = (await readFile(join(dir, track, 'frames.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { timestamp: number });
  const origin = manifest.timelineOriginMs ?? 0;
  const expected = index.map((f) => f.timestamp - origin);
  const shown = videoPacketTimesMs(join(dir, mp4));
  expect(shown.length, `${mp4} frames`).toBe(expected.length);
  const worst = Math.max(...shown.map((t, i) => Math.abs(t - (expected[i] ?? Number.NaN))));
  expect(worst, `${mp4}: worst picture offset (ms)`).toBeLessThanOrEqual(SYNC_TOLERANCE_MS);
  const video = probed.streams.find((s) => s.codec_type === 'video');
  const audio = probed.streams.find((s) => s.codec_type === 'audio');
  const offsetMs = (Number(video?.start_time) - Number(audio?.start_time)) * 1000;
  expectNear(offsetMs, expected[0] ?? Number.NaN, SYNC_TOLERANCE_MS, `${mp4} A/V offset`);
  return { frames: shown.length, startMs: Math.round(offsetMs) };
}

describe('recordings people open', () => {
  it('gives per-speaker and mixed WAV, Opus, MP3 and an MP4 of video and screen share, in sync', async () => {
    if (!ffmpegPresent('WAV, Opus, MP3 and MP4 of a meeting')) return;
    const { dir, manifest, sim, stream } = await meeting({
      RTMSKIT_MEDIA: ALL_MEDIA,
      RTMSKIT_AUDIO_LAYOUT: 'both',
      RTMSKIT_VIDEO_CODEC: 'h264',
      RTMSKIT_ENCODE: 'opus,mp3,mp4',
    });
    const scenario = sim.scenario(stream.streamId);
    const turns = turnsOf(scenario);
    const tones = toneByUser(scenario);
    const encoding = manifest.encoding;
    expect(encoding?.state).toBe('done');
    expect(encoding?.failures).toEqual([]);
    // Zoom was asked for a stream per speaker, and the files start at the stream's start.
    expect(manifest.mediaParams?.audio?.data_opt).toBe(DataOption.AUDIO_MULTI_STREAMS);
    const firstPacket = (await readFile(join(dir, 'events.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { kind: string; data: { timestamp?: number } })
      .find((e) => e.kind === 'firstPacket')?.data.timestamp;
    expect(typeof firstPacket).toBe('number');
    expect(manifest.timelineOriginMs).toBe(firstPacket);

    // Every speaker who spoke has a WAV, all as long as the meeting and each with only its own tone.
    const speakers = [...turns.keys()];
    expect(speakers.length).toBeGreaterThanOrEqual(2);
    const atOrigin = simMsAtOrigin(manifest, stream);
    for (const userId of speakers) {
      const path = `audio-${userId}.wav`;
      const wav = fileOf(manifest, path);
      expect(wav).toMatchObject({ kind: 'audio', userId, codec: 'L16' });
      expectNear(wav.durationMs ?? 0, MEETING_MS, DURATION_TOLERANCE_MS, `${path} in the manifest`);
      expectNear(probe(join(dir, path)).decodedMs, MEETING_MS, DURATION_TOLERANCE_MS, `${path} decoded`);
      const found = tonesOf(decodePcm(join(dir, path), 16_000), 16_000, [...tones.values()]);
      const voiced = expectSpeakerTone(
        path,
        found,
        tones.get(userId) as number,
        turns.get(userId) ?? [],
        atOrigin,
      );
      expect(voiced, `${path}: windows with the speaker's tone`).toBeGreaterThan(10);
    }

    // The mix holds each speaker's tone where that speaker talks alone.
    const mixed = fileOf(manifest, 'audio.wav');
    expect(mixed.mixedFrom?.sort()).toEqual(speakers.map((u) => `audio-${u}.wav`).sort());
    expectNear(mixed.durationMs ?? 0, MEETING_MS, DURATION_TOLERANCE_MS, 'audio.wav');
    const mixTones = tonesOf(decodePcm(join(dir, 'audio.wav'), 16_000), 16_000, [...tones.values()]);
    let solo = 0;
    mixTones.forEach((tone, i) => {
      const from = atOrigin + i * TONE_WINDOW_MS;
      const talking = speakers.filter((u) =>
        (turns.get(u) ?? []).some(([a, b]) => from + TONE_WINDOW_MS > a - EDGE_MS && from < b + EDGE_MS),
      );
      const alone =
        talking.length === 1 &&
        (turns.get(talking[0] as number) ?? []).some(
          ([a, b]) => from >= a + EDGE_MS && from + TONE_WINDOW_MS <= b - EDGE_MS,
        );
      if (!alone) return;
      solo++;
      expect(tone, `audio.wav at ${from} ms`).toBe(tones.get(talking[0] as number));
    });
    expect(solo).toBeGreaterThan(10);

    // Opus and MP3 copies of every WAV, as long as it, listed with format, size and duration.
    const wavs = manifest.files.filter((f) => f.path.endsWith('.wav'));
    for (const wav of wavs) {
      for (const format of ['opus', 'mp3'] as const) {
        const path = wav.path.replace(/\.wav$/, `.${format}`);
        const listed = encoding?.outputs.find((o) => o.path === path);
        expect(listed, path).toMatchObject({ format, source: wav.path });
        expect(listed?.bytes).toBeGreaterThan(0);
        const probed = probe(join(dir, path));
        expect(probed.codecs, path).toEqual([format]);
        expectNear(probed.decodedMs, wav.durationMs ?? 0, DURATION_TOLERANCE_MS, `${path} decoded`);
        expectNear(listed?.durationMs ?? 0, wav.durationMs ?? 0, DURATION_TOLERANCE_MS, `${path} listed`);
      }
    }

    // meeting.mp4 and deskshare.mp4: H.264 copied as sent, every picture at its time, AAC of the mix.
    for (const [mp4, track] of [
      ['meeting.mp4', 'video'],
      ['deskshare.mp4', 'deskshare'],
    ] as const) {
      const listed = encoding?.outputs.find((o) => o.path === mp4);
      expect(listed, mp4).toMatchObject({
        format: 'mp4',
        source: `${track}.h264`,
        audioSources: ['audio.wav'],
      });
      const sync = await expectMp4InSync(dir, manifest, mp4, track);
      expect(listed?.video).toEqual({
        codec: 'h264',
        startMs: sync.startMs,
        frames: sync.frames,
        reencoded: false,
      });
      expectNear(listed?.durationMs ?? 0, MEETING_MS, DURATION_TOLERANCE_MS, `${mp4} listed`);
    }
  }, 180_000);

  it('holds the picture through a video reconnect, so the MP4 keeps the meeting’s timeline', async () => {
    if (!ffmpegPresent('MP4 across a reconnect')) return;
    const { dir, manifest } = await recordMeeting(
      cleanups,
      { RTMSKIT_MEDIA: 'audio,video', RTMSKIT_VIDEO_CODEC: 'h264', RTMSKIT_ENCODE: 'mp4' },
      { durationMs: MEETING_MS, faults: ['drop-media@8s:video'] },
    ).then(async (r) => {
      const read = await readManifest(r.dir);
      if (read.status !== 'ok') throw new Error('no manifest');
      return { dir: r.dir, manifest: read.manifest as RecordingManifest };
    });
    expect(manifest.counters.reconnects).toBeGreaterThanOrEqual(1);
    const index = (await readFile(join(dir, 'video', 'frames.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { timestamp: number }).timestamp);
    // The reconnect left a hole in the frames, longer than a frame interval.
    const holes = index.slice(1).map((t, i) => t - (index[i] as number));
    const hole = Math.max(...holes);
    expect(hole).toBeGreaterThan(200);
    await expectMp4InSync(dir, manifest, 'meeting.mp4', 'video');
    // The frame before the hole is shown until the next one: held, not dropped or squeezed.
    const packets = videoPackets(join(dir, 'meeting.mp4'));
    const held = packets[holes.indexOf(hole)];
    expectNear(held?.durationMs ?? 0, hole, SYNC_TOLERANCE_MS, 'the frame before the hole');
  }, 120_000);

  it('turns JPG camera and screen-share frames into MP4s with each picture at its time', async () => {
    if (!ffmpegPresent('MP4 from JPG frames')) return;
    const { dir, manifest } = await meeting({ RTMSKIT_MEDIA: ALL_MEDIA, RTMSKIT_ENCODE: 'mp4' });
    expect(manifest.encoding?.failures).toEqual([]);
    for (const [mp4, track] of [
      ['meeting.mp4', 'video'],
      ['deskshare.mp4', 'deskshare'],
    ] as const) {
      expect(fileOf(manifest, `${track}/`).files).toBeGreaterThan(0);
      const sync = await expectMp4InSync(dir, manifest, mp4, track);
      const listed = manifest.encoding?.outputs.find((o) => o.path === mp4);
      expect(listed?.video).toEqual({
        codec: 'h264',
        startMs: sync.startMs,
        frames: sync.frames,
        reencoded: true,
      });
    }
  }, 120_000);

  for (const [codec, name, layout] of [
    ['g722', 'G.722', 'per-speaker'],
    ['opus', 'Opus', 'mixed'],
  ] as const) {
    it(`decodes ${name} audio into WAVs with each speaker's tone`, async () => {
      if (!ffmpegPresent(`${name} decoded to WAV`)) return;
      const { dir, manifest, sim, stream } = await meeting({
        RTMSKIT_AUDIO_CODEC: codec,
        RTMSKIT_AUDIO_LAYOUT: layout,
      });
      const scenario = sim.scenario(stream.streamId);
      const turns = turnsOf(scenario);
      const tones = toneByUser(scenario);
      expect(manifest.encoding?.failures).toEqual([]);
      const decoded = manifest.files.filter((f) => f.decodedFrom === name);
      const raws = manifest.files.filter((f) => f.path.endsWith(`.${codec}.raw`));
      expect(decoded.length).toBe(raws.length);
      expect(decoded.length).toBeGreaterThanOrEqual(1);
      for (const wav of decoded) {
        const raw = wav.path.replace(/\.wav$/, `.${codec}.raw`);
        expect(raws.map((f) => f.path)).toContain(raw);
        expect(manifest.encoding?.outputs).toContainEqual(
          expect.objectContaining({ path: wav.path, format: 'wav', source: raw }),
        );
        const probed = probeStreams(join(dir, wav.path));
        expect(probed.streams.map((s) => s.codec_name)).toEqual(['pcm_s16le']);
        expectNear(probed.durationMs, MEETING_MS, DURATION_TOLERANCE_MS, `${wav.path} duration`);
        const rate = Number(probed.streams[0]?.sample_rate);
        const found = tonesOf(decodePcm(join(dir, wav.path), rate), rate, [...tones.values()]);
        if (layout === 'per-speaker') {
          const userId = wav.userId as number;
          const voiced = expectSpeakerTone(
            wav.path,
            found,
            tones.get(userId) as number,
            turns.get(userId) ?? [],
            simMsAtOrigin(manifest, stream),
          );
          expect(voiced).toBeGreaterThan(10);
        } else {
          // The mixed stream: every participant who spoke is heard in it.
          for (const userId of turns.keys()) expect(found).toContain(tones.get(userId));
        }
      }
    }, 120_000);
  }
});
