import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Codec } from '../../src/protocol/enums.js';
import { RtmsError } from '../../src/protocol/errors.js';
import { decodeAlaw, encodeAlaw } from '../../src/protocol/g711.js';
import { jpegSize, nalTypes, pngSize } from '../../src/protocol/pictureFormats.js';
import {
  detectTone,
  frameBytes,
  opaqueFrame,
  renderL16,
  TONE_AMPLITUDE,
  toneHz,
} from '../../src/simulator/content/audio.js';
import {
  H264_LOOP_FRAMES,
  lookOf,
  PICTURE_LOOKS,
  PICTURE_SIZES,
  PictureLibrary,
  pictureSize,
} from '../../src/simulator/content/pictures.js';
import type { Scenario, ScenarioEvent } from '../../src/simulator/content/scenario.js';
import { buildScenario, FIRST_USER_ID, speakersAt } from '../../src/simulator/content/scenario.js';
import { parseWav, readWav, WavAudioSource } from '../../src/simulator/content/wavSource.js';
import { ffmpegPresent } from '../helpers/ffmpeg.js';

function samplesOf(pcm: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < pcm.length; i += 2) out.push(pcm.readInt16LE(i));
  return out;
}

/** The samples of one channel of interleaved L16, as a mono buffer. */
function channelOf(pcm: Buffer, channel: number, channels: number): Buffer {
  const frames = pcm.length / (2 * channels);
  const out = Buffer.alloc(frames * 2);
  for (let f = 0; f < frames; f++) out.writeInt16LE(pcm.readInt16LE((f * channels + channel) * 2), f * 2);
  return out;
}

const TONES = Array.from({ length: 10 }, (_, i) => toneHz(i));

describe('audio tones', () => {
  it('gives each participant a distinct tone well below 4 kHz', () => {
    expect(toneHz(0)).toBe(300);
    expect(toneHz(1)).toBe(450);
    const first20 = Array.from({ length: 20 }, (_, i) => toneHz(i));
    expect(new Set(first20).size).toBe(20);
    expect(Math.max(...first20)).toBeLessThanOrEqual(3200);
    expect(toneHz(20)).toBe(toneHz(0));
    expect(() => toneHz(-1)).toThrow(RtmsError);
  });

  it('renders little-endian int16 of the right length', () => {
    const pcm = renderL16([{ freqHz: 1000 }], 0, 320, 16_000, 1);
    expect(pcm.length).toBe(640);
    // Sample 4 of a 1 kHz tone at 16 kHz is the peak (quarter period).
    const peak = pcm.readInt16LE(8);
    expect(peak).toBe(TONE_AMPLITUDE);
    expect(pcm[8]).toBe(TONE_AMPLITUDE & 0xff);
    expect(pcm[9]).toBe(TONE_AMPLITUDE >> 8);
    expect(pcm.readInt16LE(0)).toBe(0);
    expect(pcm.readInt16LE(24)).toBe(-TONE_AMPLITUDE);
  });

  it('is phase-continuous: two consecutive renders equal one big render byte for byte', () => {
    const voices = [{ freqHz: 450 }, { freqHz: 1050, amplitude: 3000 }];
    for (const rate of [8_000, 16_000, 48_000]) {
      const whole = renderL16(voices, 1_000_003, 2 * (rate / 50), rate, 2);
      const a = renderL16(voices, 1_000_003, rate / 50, rate, 2);
      const b = renderL16(voices, 1_000_003 + rate / 50, rate / 50, rate, 2);
      expect(Buffer.concat([a, b]).equals(whole)).toBe(true);
    }
  });

  it('renders silence for no voices', () => {
    const pcm = renderL16([], 123, 160, 8_000, 2);
    expect(pcm.length).toBe(640);
    expect(pcm.every((b) => b === 0)).toBe(true);
  });

  it('duplicates into both channels, interleaved, for stereo', () => {
    const mono = renderL16([{ freqHz: 600 }], 50, 480, 48_000, 1);
    const stereo = renderL16([{ freqHz: 600 }], 50, 480, 48_000, 2);
    expect(stereo.length).toBe(2 * mono.length);
    for (let i = 0; i < 480; i++) {
      expect(stereo.readInt16LE(i * 4)).toBe(mono.readInt16LE(i * 2));
      expect(stereo.readInt16LE(i * 4 + 2)).toBe(mono.readInt16LE(i * 2));
    }
  });

  it('clamps a mix louder than int16', () => {
    const loud = renderL16(
      [
        { freqHz: 1000, amplitude: 30_000 },
        { freqHz: 1000, amplitude: 30_000 },
      ],
      0,
      16,
      16_000,
      1,
    );
    const values = samplesOf(loud);
    expect(Math.max(...values)).toBe(32767);
    expect(Math.min(...values)).toBe(-32768);
  });
});

describe('G.711 A-law', () => {
  it('encodes the standard code points', () => {
    const pcm = Buffer.alloc(8);
    pcm.writeInt16LE(0, 0);
    pcm.writeInt16LE(32767, 2);
    pcm.writeInt16LE(-32768, 4);
    pcm.writeInt16LE(-8, 6);
    // ITU-T G.711 reference: 0 → 0xD5, full-scale positive → 0xAA, full-scale negative → 0x2A,
    // -8 (13-bit -1) → 0x55.
    expect([...encodeAlaw(pcm)]).toEqual([0xd5, 0xaa, 0x2a, 0x55]);
    expect(decodeAlaw(Buffer.from([0xd5])).readInt16LE(0)).toBe(8);
    expect(decodeAlaw(Buffer.from([0xaa])).readInt16LE(0)).toBe(32256);
    expect(decodeAlaw(Buffer.from([0x2a])).readInt16LE(0)).toBe(-32256);
  });

  it('round-trips every int16 within one quantisation step', () => {
    const all = Buffer.alloc(65_536 * 2);
    for (let i = 0; i < 65_536; i++) all.writeInt16LE(i - 32_768, i * 2);
    const encoded = encodeAlaw(all);
    expect(encoded.length).toBe(65_536);
    const decoded = decodeAlaw(encoded);
    for (let i = 0; i < 65_536; i++) {
      const x = i - 32_768;
      const error = Math.abs(decoded.readInt16LE(i * 2) - x);
      // 13-bit segments: the step doubles per segment, so the error stays within ~3 % of the value.
      expect(error).toBeLessThanOrEqual(Math.max(16, Math.abs(x) / 32));
    }
  });

  it('keeps a participant tone recognisable', () => {
    const pcm = renderL16([{ freqHz: toneHz(7) }], 0, 160, 8_000, 1);
    expect(detectTone(decodeAlaw(encodeAlaw(pcm)), 8_000, TONES)).toBe(toneHz(7));
  });
});

describe('frameBytes and opaque frames', () => {
  it('computes packet sizes from rate, channels, codec and send rate', () => {
    expect(frameBytes(16_000, 1, Codec.L16, 20)).toBe(640);
    expect(frameBytes(16_000, 1, Codec.L16, 100)).toBe(3_200);
    expect(frameBytes(8_000, 1, Codec.L16, 20)).toBe(320);
    expect(frameBytes(32_000, 1, Codec.L16, 20)).toBe(1_280);
    expect(frameBytes(48_000, 1, Codec.L16, 20)).toBe(1_920);
    expect(frameBytes(48_000, 2, Codec.L16, 20)).toBe(3_840);
    expect(frameBytes(8_000, 1, Codec.G711, 20)).toBe(160);
    expect(frameBytes(16_000, 2, Codec.G711, 40)).toBe(1_280);
    expect(frameBytes(16_000, 1, Codec.G722, 20)).toBe(160);
    expect(frameBytes(48_000, 1, Codec.OPUS, 20)).toBe(80);
    expect(frameBytes(48_000, 2, Codec.OPUS, 60)).toBe(480);
  });

  it('rejects video codecs', () => {
    expect(() => frameBytes(16_000, 1, Codec.H264, 20)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });

  it('makes deterministic filler', () => {
    expect(opaqueFrame(160, 42).length).toBe(160);
    expect(opaqueFrame(160, 42).equals(opaqueFrame(160, 42))).toBe(true);
    expect(opaqueFrame(160, 42).equals(opaqueFrame(160, 43))).toBe(false);
    expect(new Set(opaqueFrame(160, 1)).size).toBeGreaterThan(50);
  });
});

describe('detectTone', () => {
  it("identifies each participant's tone in one 20 ms frame at every rate", () => {
    for (const rate of [8_000, 16_000, 32_000, 48_000]) {
      for (const [index, tone] of TONES.entries()) {
        const frame = renderL16([{ freqHz: tone }], index * 7919, rate / 50, rate, 1);
        expect(detectTone(frame, rate, TONES)).toBe(tone);
      }
    }
  });

  it('reads the first channel of stereo', () => {
    const frame = renderL16([{ freqHz: toneHz(3) }], 0, 960, 48_000, 2);
    expect(detectTone(frame, 48_000, TONES, 2)).toBe(toneHz(3));
  });

  it('returns undefined on silence and on very quiet audio', () => {
    expect(detectTone(Buffer.alloc(640), 16_000, TONES)).toBeUndefined();
    const whisper = renderL16([{ freqHz: 300, amplitude: 20 }], 0, 320, 16_000, 1);
    expect(detectTone(whisper, 16_000, TONES)).toBeUndefined();
  });

  it('returns undefined when two tones have equal power (no single speaker)', () => {
    const mix = renderL16([{ freqHz: toneHz(0) }, { freqHz: toneHz(4) }], 0, 320, 16_000, 1);
    expect(detectTone(mix, 16_000, TONES)).toBeUndefined();
  });

  it('still names a speaker who clearly dominates a mix', () => {
    const mix = renderL16([{ freqHz: toneHz(2) }, { freqHz: toneHz(5), amplitude: 1000 }], 0, 320, 16_000, 1);
    expect(detectTone(mix, 16_000, TONES)).toBe(toneHz(2));
  });
});

interface WavSpec {
  format?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  extensibleSubformat?: number;
  /** Extra chunk before `data` (LIST, odd-sized to test padding). */
  listChunk?: boolean;
  pcm: Buffer;
}

function makeWav(spec: WavSpec): Buffer {
  const channels = spec.channels ?? 1;
  const rate = spec.rate ?? 8_000;
  const bits = spec.bits ?? 16;
  const blockAlign = (channels * bits) / 8;
  const extensible = spec.extensibleSubformat !== undefined;
  const fmt = Buffer.alloc(extensible ? 40 : 16);
  fmt.writeUInt16LE(extensible ? 0xfffe : (spec.format ?? 1), 0);
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(rate, 4);
  fmt.writeUInt32LE(rate * blockAlign, 8);
  fmt.writeUInt16LE(blockAlign, 12);
  fmt.writeUInt16LE(bits, 14);
  if (extensible) {
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(bits, 18);
    fmt.writeUInt32LE(channels === 2 ? 3 : 4, 20);
    fmt.writeUInt16LE(spec.extensibleSubformat ?? 1, 24);
    Buffer.from('000000001000800000aa00389b71', 'hex').copy(fmt, 26);
  }
  const chunk = (id: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'latin1');
    head.writeUInt32LE(body.length, 4);
    return Buffer.concat([head, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const parts = [chunk('fmt ', fmt)];
  if (spec.listChunk)
    parts.push(chunk('LIST', Buffer.from('INFOISFT\u0005\u0000\u0000\u0000rtms', 'latin1')));
  parts.push(chunk('data', spec.pcm));
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), ...parts]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

describe('WAV source', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rtmskit-wav-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const ramp = Buffer.alloc(200);
  for (let i = 0; i < 100; i++) ramp.writeInt16LE(i * 100 - 5000, i * 2);

  it('reads a PCM 16-bit WAV file', async () => {
    const path = join(dir, 'plain.wav');
    await writeFile(path, makeWav({ pcm: ramp }));
    const wav = await readWav(path);
    expect(wav).toMatchObject({ sampleRateHz: 8_000, channels: 1 });
    expect(wav.pcm.equals(ramp)).toBe(true);
  });

  it('skips a LIST chunk with odd size before data', async () => {
    const path = join(dir, 'list.wav');
    const bytes = makeWav({ pcm: ramp, listChunk: true, rate: 16_000, channels: 2 });
    expect(bytes.includes('LIST')).toBe(true);
    await writeFile(path, bytes);
    const wav = await readWav(path);
    expect(wav).toMatchObject({ sampleRateHz: 16_000, channels: 2 });
    expect(wav.pcm.equals(ramp)).toBe(true);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE with the PCM subformat', () => {
    const wav = parseWav(makeWav({ pcm: ramp, extensibleSubformat: 1 }));
    expect(wav.pcm.equals(ramp)).toBe(true);
  });

  it('rejects non-PCM formats with INVALID_OPTIONS and the ffmpeg fix', async () => {
    const path = join(dir, 'float.wav');
    await writeFile(path, makeWav({ pcm: Buffer.alloc(400), format: 3, bits: 32 }));
    const err = await readWav(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RtmsError);
    expect((err as RtmsError).code).toBe('INVALID_OPTIONS');
    expect((err as RtmsError).message).toContain('IEEE float');
    expect((err as RtmsError).fix).toContain('ffmpeg -i in -ac 1 -ar 16000 -c:a pcm_s16le out.wav');

    const invalid = (bytes: Buffer): unknown => {
      try {
        parseWav(bytes);
      } catch (e) {
        return e;
      }
      return undefined;
    };
    for (const bytes of [
      makeWav({ pcm: Buffer.alloc(100), format: 6, bits: 8 }),
      makeWav({ pcm: Buffer.alloc(300), bits: 24 }),
      makeWav({ pcm: ramp, extensibleSubformat: 3 }),
      makeWav({ pcm: Buffer.alloc(0) }),
      Buffer.from('OggS not a wav file at all'),
    ]) {
      expect(invalid(bytes)).toMatchObject({ code: 'INVALID_OPTIONS' });
    }
  });

  it('loops the file', () => {
    const source = new WavAudioSource(parseWav(makeWav({ pcm: ramp })));
    const out = samplesOf(source.render(0, 250, 8_000, 1));
    expect(out.length).toBe(250);
    const expected = Array.from({ length: 250 }, (_, i) => (i % 100) * 100 - 5000);
    expect(out).toEqual(expected);
    // Consecutive renders join exactly.
    const joined = Buffer.concat([source.render(90, 30, 8_000, 1), source.render(120, 30, 8_000, 1)]);
    expect(joined.equals(source.render(90, 60, 8_000, 1))).toBe(true);
  });

  it('resamples 8 kHz to 16 kHz by linear interpolation, keeping a 1 kHz tone at 1 kHz', () => {
    const tone = renderL16([{ freqHz: 1000 }], 0, 8_000, 8_000, 1);
    const source = new WavAudioSource({ sampleRateHz: 8_000, channels: 1, pcm: tone });
    const up = source.render(0, 320, 16_000, 1);
    expect(up.length).toBe(640);
    // Even output samples are source samples; odd ones are the midpoints.
    expect(up.readInt16LE(4)).toBe(tone.readInt16LE(2));
    const mid = Math.round((tone.readInt16LE(2) + tone.readInt16LE(4)) / 2);
    expect(up.readInt16LE(6)).toBe(mid);
    const candidates = [500, 1000, 1500, 2000, 3000];
    expect(detectTone(up, 16_000, candidates)).toBe(1000);
    expect(detectTone(source.render(123_456, 960, 48_000, 1), 48_000, candidates)).toBe(1000);
  });

  it('mixes stereo down to mono and keeps channels apart in stereo', () => {
    const left = renderL16([{ freqHz: toneHz(0) }], 0, 1600, 16_000, 1);
    const right = renderL16([{ freqHz: toneHz(5) }], 0, 1600, 16_000, 1);
    const stereo = Buffer.alloc(6400);
    for (let i = 0; i < 1600; i++) {
      stereo.writeInt16LE(left.readInt16LE(i * 2), i * 4);
      stereo.writeInt16LE(right.readInt16LE(i * 2), i * 4 + 2);
    }
    const source = new WavAudioSource({ sampleRateHz: 16_000, channels: 2, pcm: stereo });
    const asStereo = source.render(0, 320, 16_000, 2);
    expect(detectTone(channelOf(asStereo, 0, 2), 16_000, TONES)).toBe(toneHz(0));
    expect(detectTone(channelOf(asStereo, 1, 2), 16_000, TONES)).toBe(toneHz(5));
    const asMono = source.render(0, 320, 16_000, 1);
    expect(asMono.readInt16LE(10)).toBe(Math.round((left.readInt16LE(10) + right.readInt16LE(10)) / 2));
    // Equal halves of two tones: no single speaker.
    expect(detectTone(asMono, 16_000, TONES)).toBeUndefined();

    const monoSource = new WavAudioSource({ sampleRateHz: 16_000, channels: 1, pcm: left });
    const duplicated = monoSource.render(0, 320, 16_000, 2);
    expect(channelOf(duplicated, 0, 2).equals(channelOf(duplicated, 1, 2))).toBe(true);
    expect(channelOf(duplicated, 0, 2).equals(left.subarray(0, 640))).toBe(true);
  });
});

describe('images and video', () => {
  let pictures: PictureLibrary;
  beforeAll(async () => {
    pictures = await PictureLibrary.load();
  });

  it('has a JPEG and a PNG of every look at every resolution, at that size and over 1 KB', () => {
    expect(PICTURE_SIZES).toEqual({ 1: [854, 480], 2: [1280, 720], 3: [1920, 1080], 4: [2560, 1440] });
    for (const [resolution, size] of Object.entries(PICTURE_SIZES)) {
      for (let index = 0; index < PICTURE_LOOKS.length; index++) {
        const jpeg = pictures.frame(Codec.JPG, Number(resolution), index, 0);
        expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
        expect(jpeg.subarray(-2).toString('hex')).toBe('ffd9');
        expect(jpegSize(jpeg)).toEqual(size);
        expect(jpeg.length).toBeGreaterThan(1_000);
        const png = pictures.frame(Codec.PNG, Number(resolution), index, 0);
        expect(pngSize(png)).toEqual(size);
        expect(png.length).toBeGreaterThan(1_000);
      }
    }
    // Participants four apart share a look; neighbours do not.
    expect(lookOf(4)).toBe(lookOf(0));
    expect(pictures.frame(Codec.JPG, 3, 0, 0).equals(pictures.frame(Codec.JPG, 3, 1, 0))).toBe(false);
    // One shared Buffer per fixture, not a copy per frame.
    expect(pictures.frame(Codec.PNG, 2, 1, 0)).toBe(pictures.frame(Codec.PNG, 2, 1, 7));
  });

  it('reads sizes from SOF and IHDR and refuses other bytes', () => {
    expect(jpegSize(Buffer.from('ffd8ffd9', 'hex'))).toBeUndefined();
    expect(jpegSize(Buffer.from('not a jpeg'))).toBeUndefined();
    expect(pngSize(Buffer.alloc(24))).toBeUndefined();
    expect(() => pictureSize(5)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(() => pictures.frame(Codec.JPG, 0, 0, 0)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });

  it('has H.264 loops that open with SPS, PPS and an IDR and go on with P-frames only', () => {
    for (const resolution of Object.keys(PICTURE_SIZES).map(Number)) {
      for (let index = 0; index < PICTURE_LOOKS.length; index++) {
        const loop = pictures.h264Loop(resolution, index);
        expect(loop.length).toBe(H264_LOOP_FRAMES);
        const first = nalTypes(loop[0]!);
        expect(first.slice(0, 2)).toEqual([7, 8]);
        expect(first).toContain(5);
        for (const unit of loop.slice(1)) expect(nalTypes(unit)).toEqual([1]);
        expect(pictures.frame(Codec.H264, resolution, index, H264_LOOP_FRAMES)).toBe(loop[0]);
      }
    }
  });

  it('fails with CONFIG_INVALID when the fixtures are missing', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'rtmskit-pictures-'));
    try {
      await expect(PictureLibrary.load(pathToFileURL(`${empty}/`))).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
      });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('decodes every H.264 loop with FFmpeg, switching looks at each IDR, without an error', () => {
    if (!ffmpegPresent('the ffmpeg decode check of the H.264 loops')) return;
    for (const [resolution, [width, height]] of Object.entries(PICTURE_SIZES)) {
      const chain = Buffer.concat(
        PICTURE_LOOKS.flatMap((_, index) => pictures.h264Loop(Number(resolution), index)),
      );
      const decode = spawnSync('ffmpeg', ['-v', 'error', '-f', 'h264', '-i', 'pipe:0', '-f', 'null', '-'], {
        input: chain,
      });
      expect(decode.stderr.toString()).toBe('');
      expect(decode.status).toBe(0);
      const probe = spawnSync(
        'ffprobe',
        [
          '-v',
          'error',
          '-f',
          'h264',
          '-count_frames',
          '-show_entries',
          'stream=width,height,nb_read_frames',
          'pipe:0',
        ],
        { input: chain },
      );
      expect(probe.stderr.toString()).toBe('');
      expect(probe.stdout.toString()).toContain(`width=${width}\nheight=${height}\n`);
      expect(probe.stdout.toString()).toContain(`nb_read_frames=${H264_LOOP_FRAMES * PICTURE_LOOKS.length}`);
    }
  });
});

type SpeakEvent = Extract<ScenarioEvent, { type: 'speak' }>;

function speeches(scenario: Scenario): SpeakEvent[] {
  return scenario.events.filter((e): e is SpeakEvent => e.type === 'speak');
}

function indexOf(scenario: Scenario, userId: number): number {
  return scenario.participants.findIndex((p) => p.userId === userId);
}

/** Most utterances active at once, by sweeping every start. */
function maxConcurrent(scenario: Scenario): number {
  let max = 0;
  for (const s of speeches(scenario)) max = Math.max(max, speakersAt(scenario, s.atMs).length);
  return max;
}

describe('scenario', () => {
  it('is deterministic for a seed and varies with it', () => {
    const a = buildScenario({ participants: 4, durationMs: 60_000, seed: 7 });
    expect(buildScenario({ participants: 4, durationMs: 60_000, seed: 7 })).toEqual(a);
    expect(buildScenario({ participants: 4, durationMs: 60_000, seed: 8 })).not.toEqual(a);
    expect(buildScenario({ participants: 4, durationMs: 60_000 })).toEqual(
      buildScenario({ participants: 4, durationMs: 60_000, seed: 1 }),
    );
  });

  it('names participants with distinct realistic ids', () => {
    const { participants } = buildScenario({ participants: 12, durationMs: 30_000 });
    expect(participants.map((p) => p.index)).toEqual([...Array(12).keys()]);
    expect(participants[0]).toEqual({ userId: FIRST_USER_ID, userName: 'Ada Lovelace', index: 0 });
    expect(participants[1]!.userName).toBe('Grace Hopper');
    expect(participants[10]!.userName).toBe('Participant 11');
    expect(new Set(participants.map((p) => p.userId)).size).toBe(12);
    expect(new Set(participants.map((p) => p.userName)).size).toBe(12);
    for (const p of participants) expect(p.userId).toBeLessThan(2 ** 32);
  });

  it('keeps events sorted, joins everyone in the first second and scripts share, chat, video', () => {
    const s = buildScenario({ participants: 5, durationMs: 100_000, seed: 3 });
    for (let i = 1; i < s.events.length; i++)
      expect(s.events[i]!.atMs).toBeGreaterThanOrEqual(s.events[i - 1]!.atMs);
    const joins = s.events.filter((e) => e.type === 'join');
    expect(joins.map((e) => e.userId).sort()).toEqual(s.participants.map((p) => p.userId));
    expect(s.events[0]).toEqual({ atMs: 0, type: 'join', userId: FIRST_USER_ID });
    for (const j of joins) expect(j.atMs).toBeLessThan(1000);
    const firstSpeak = speeches(s)[0]!;
    expect(firstSpeak.atMs).toBeGreaterThan(Math.max(...joins.map((j) => j.atMs)));
    const others = s.events.filter((e) => e.type !== 'join' && e.type !== 'speak');
    expect(others).toEqual([
      { atMs: 0, type: 'video-on', userId: FIRST_USER_ID },
      { atMs: 30_000, type: 'share-start', userId: FIRST_USER_ID + 1 },
      expect.objectContaining({ atMs: 40_000, type: 'chat', userId: FIRST_USER_ID, structured: false }),
      { atMs: 50_000, type: 'video-on', userId: FIRST_USER_ID + 1 },
      { atMs: 60_000, type: 'share-stop', userId: FIRST_USER_ID + 1 },
      expect.objectContaining({ atMs: 70_000, type: 'chat', userId: FIRST_USER_ID + 1, structured: true }),
      { atMs: 80_000, type: 'video-off', userId: FIRST_USER_ID + 1 },
      { atMs: 80_000, type: 'leave', userId: FIRST_USER_ID + 4 },
    ]);
  });

  it('has participants speak in turn, 1.5–4 s each, with real gaps', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const s = buildScenario({ participants: 4, durationMs: 120_000, seed });
      const list = speeches(s);
      expect(list.length).toBeGreaterThan(20);
      expect(list.slice(0, 4).map((e) => indexOf(s, e.userId))).toEqual([0, 1, 2, 3]);
      const leaver = 3;
      let gaps = 0;
      let latestEnd = 0;
      for (const [i, e] of list.entries()) {
        if (e.endMs < s.durationMs) {
          expect(e.endMs - e.atMs).toBeGreaterThanOrEqual(1500);
          expect(e.endMs - e.atMs).toBeLessThanOrEqual(4000);
        }
        expect(e.text.length).toBeGreaterThan(0);
        if (i > 0) {
          const prev = indexOf(s, list[i - 1]!.userId);
          const next = (prev + 1) % 4;
          const allowed = next === leaver ? [next, (prev + 2) % 4] : [next];
          expect(allowed).toContain(indexOf(s, e.userId));
        }
        if (e.atMs > latestEnd) {
          gaps++;
          expect(speakersAt(s, latestEnd)).toEqual([]);
          expect(speakersAt(s, e.atMs - 1)).toEqual([]);
        }
        latestEnd = Math.max(latestEnd, e.endMs);
      }
      expect(gaps).toBeGreaterThan(list.length / 2);
    }
  });

  it('lets the last participant leave at 80 % and never speak after', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const s = buildScenario({ participants: 3, durationMs: 60_000, seed });
      const leave = s.events.find((e) => e.type === 'leave');
      expect(leave).toEqual({ atMs: 48_000, type: 'leave', userId: FIRST_USER_ID + 2 });
      const theirs = speeches(s).filter((e) => e.userId === FIRST_USER_ID + 2);
      expect(theirs.length).toBeGreaterThan(0);
      for (const e of theirs) expect(e.endMs).toBeLessThanOrEqual(48_000);
      expect(speeches(s).some((e) => e.atMs > 48_000)).toBe(true); // the others carry on
    }
    expect(
      buildScenario({ participants: 2, durationMs: 60_000 }).events.some((e) => e.type === 'leave'),
    ).toBe(false);
  });

  it('stops speech at durationMs and never has more than 3 concurrent speakers', () => {
    const peaks = new Set<number>();
    for (let seed = 1; seed <= 40; seed++) {
      for (const participants of [2, 3, 6]) {
        const s = buildScenario({ participants, durationMs: 90_000 + seed * 17, seed });
        for (const e of s.events) expect(e.atMs).toBeLessThan(s.durationMs);
        for (const e of speeches(s)) expect(e.endMs).toBeLessThanOrEqual(s.durationMs);
        const peak = maxConcurrent(s);
        expect(peak).toBeLessThanOrEqual(participants === 2 ? 2 : 3);
        peaks.add(peak);
        // Nobody talks over themselves.
        for (const e of speeches(s)) {
          const ids = speakersAt(s, e.atMs).map((p) => p.userId);
          expect(new Set(ids).size).toBe(ids.length);
        }
      }
    }
    // The overlaps the multi-stream path needs do happen.
    expect(peaks).toEqual(new Set([2, 3]));
  });

  it('reports speakers at a time, start inclusive and end exclusive', () => {
    const s = buildScenario({ participants: 2, durationMs: 20_000, seed: 11 });
    const first = speeches(s)[0]!;
    expect(speakersAt(s, first.atMs - 1)).toEqual([]);
    expect(speakersAt(s, first.atMs).map((p) => p.userId)).toContain(first.userId);
    expect(speakersAt(s, first.endMs).map((p) => p.userId)).not.toContain(first.userId);
  });

  it('runs a one-person meeting as turns with pauses', () => {
    const s = buildScenario({ participants: 1, durationMs: 30_000, seed: 5 });
    const list = speeches(s);
    expect(list.length).toBeGreaterThan(4);
    for (const e of list) expect(e.userId).toBe(FIRST_USER_ID);
    for (let i = 1; i < list.length; i++) {
      const pause = list[i]!.atMs - list[i - 1]!.endMs;
      expect(pause).toBeGreaterThanOrEqual(200);
      expect(pause).toBeLessThanOrEqual(800);
    }
    const types = new Set(s.events.map((e) => e.type));
    expect(types).toEqual(new Set(['join', 'video-on', 'speak', 'chat']));
    expect(s.events.filter((e) => e.type === 'chat')).toEqual([
      expect.objectContaining({ atMs: 12_000, structured: false }),
    ]);
  });

  it('leaves no pause with continuous speech: one speaker at every moment, turns still going round', () => {
    for (const participants of [1, 2, 4]) {
      const s = buildScenario({ participants, durationMs: 60_000, seed: 9, speech: 'continuous' });
      const list = speeches(s);
      expect(list[0]).toMatchObject({ atMs: 0, userId: FIRST_USER_ID });
      for (let i = 1; i < list.length; i++) expect(list[i]!.atMs).toBe(list[i - 1]!.endMs);
      expect(list.at(-1)!.endMs).toBe(60_000);
      for (let t = 0; t < 60_000; t += 20) expect(speakersAt(s, t)).toHaveLength(1);
      expect(new Set(list.map((e) => e.userId)).size).toBe(participants);
    }
    const turns = buildScenario({ participants: 2, durationMs: 60_000, seed: 9 });
    expect(buildScenario({ participants: 2, durationMs: 60_000, seed: 9, speech: 'turns' })).toEqual(turns);
  });

  it('gives a short meeting some speech', () => {
    const s = buildScenario({ participants: 2, durationMs: 3_000 });
    expect(speeches(s).length).toBeGreaterThan(0);
    for (const e of s.events) expect(e.atMs).toBeLessThan(3_000);
  });

  it('rejects impossible options', () => {
    for (const options of [
      { participants: 0, durationMs: 1000 },
      { participants: 1.5, durationMs: 1000 },
      { participants: 2, durationMs: 0 },
      { participants: 2, durationMs: Number.NaN },
    ]) {
      expect(() => buildScenario(options)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    }
  });
});
