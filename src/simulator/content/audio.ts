/**
 * Deterministic audio for the simulator: one sine tone per participant, so a test can tell from the
 * bytes alone whose audio arrived on which stream and when.
 *
 * @module
 */

import { Codec } from '../../protocol/enums.js';
import { RtmsError } from '../../protocol/errors.js';

/** Lowest participant tone, in Hz. */
const BASE_TONE_HZ = 300;
/** Spacing between participant tones, in Hz: three 50 Hz Goertzel bins of a 20 ms frame. */
const TONE_STEP_HZ = 150;
/**
 * Distinct tones before they repeat: 300 … 3150 Hz, all below the 4 kHz Nyquist limit of 8 kHz audio
 * with room to spare for A-law and resampling artefacts.
 */
export const TONE_COUNT = 20;

/**
 * The tone of a participant: `300 + 150 × (index mod 20)` Hz, index counted from 0.
 *
 * @remarks Every tone is a multiple of 50 Hz, so a 20 ms frame at any RTMS sample rate holds a whole
 * number of periods and Goertzel sees it without leakage. Participants 20 and up reuse the tones of
 * 0–19; tests that tell speakers apart keep meetings at 20 participants or fewer.
 */
export function toneHz(participantIndex: number): number {
  if (!Number.isInteger(participantIndex) || participantIndex < 0) {
    throw RtmsError.invalidOptions(
      `participant index must be a non-negative integer, got ${participantIndex}`,
      'pass the participant index from the scenario (0 for the first participant)',
    );
  }
  return BASE_TONE_HZ + TONE_STEP_HZ * (participantIndex % TONE_COUNT);
}

/**
 * Peak amplitude of one participant's tone (of 32767): about −12 dBFS, so three concurrent speakers in
 * the mixed stream (3 × 8000) still fit without clipping.
 */
export const TONE_AMPLITUDE = 8000;

/** One sine tone in a mix. */
export interface Voice {
  freqHz: number;
  /** Peak amplitude in L16 units; {@link TONE_AMPLITUDE} when omitted. */
  amplitude?: number;
}

/**
 * Renders the sum of sine tones as little-endian signed 16-bit PCM, clamped to the int16 range.
 *
 * @param startSample - Absolute index (per channel) of the first sample. The sine is computed from
 *   `startSample + i`, so consecutive calls join phase-continuously and byte-for-byte equal one big call.
 * @param samples - Samples per channel to render.
 * @param channels - 2 duplicates each sample into both channels, interleaved L R L R.
 * @returns `samples × channels × 2` bytes; all zeros when `voices` is empty.
 */
export function renderL16(
  voices: readonly Voice[],
  startSample: number,
  samples: number,
  sampleRateHz: number,
  channels: 1 | 2,
): Buffer {
  const out = Buffer.alloc(samples * channels * 2);
  if (voices.length === 0) return out;
  for (let i = 0; i < samples; i++) {
    const n = startSample + i;
    let sum = 0;
    for (const voice of voices) {
      // Reducing f·n modulo the rate keeps the phase exact however long a meeting runs: Math.sin of a
      // huge argument loses precision, and a tone at an integer frequency is periodic in the rate.
      const cycles = ((voice.freqHz * n) % sampleRateHz) / sampleRateHz;
      sum += (voice.amplitude ?? TONE_AMPLITUDE) * Math.sin(2 * Math.PI * cycles);
    }
    const value = clampInt16(Math.round(sum));
    for (let c = 0; c < channels; c++) out.writeInt16LE(value, (i * channels + c) * 2);
  }
  return out;
}

function clampInt16(value: number): number {
  return Math.min(32767, Math.max(-32768, value));
}

/**
 * Deterministic filler of `bytes` bytes for codecs the simulator cannot encode (G.722, Opus).
 *
 * @remarks These payloads have the size a real packet would have (see {@link frameBytes}), so they
 * exercise framing, base64, `length` and timestamps, but they are **not decodable audio**: a decoder
 * will reject them or produce noise. Use L16 or G.711 when a test needs to hear who spoke.
 */
export function opaqueFrame(bytes: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  // mulberry32: tiny, fast, and identical on every platform, which is all filler needs.
  let state = seed >>> 0;
  for (let i = 0; i < bytes; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return out;
}

/** Bytes of one Opus packet per channel per 20 ms: about 32 kbit/s, typical for speech. */
const OPUS_BYTES_PER_20MS_PER_CHANNEL = 80;

/**
 * Bytes in one audio packet of `sendRateMs` milliseconds.
 *
 * - L16: rate × channels × 2 × ms / 1000 (16 kHz mono 20 ms → 640; 48 kHz stereo 20 ms → 3840).
 * - G.711: one byte per sample, rate × channels × ms / 1000 (8 kHz mono 20 ms → 160).
 * - G.722: half a byte per sample, rate × channels × ms / 2000 (64 kbit/s at 16 kHz: 160 per 20 ms).
 * - Opus: variable-rate in reality; the simulator uses a fixed 80 bytes per channel per 20 ms.
 *
 * @throws RtmsError `INVALID_OPTIONS` for a video codec or UNDEFINED.
 */
export function frameBytes(sampleRateHz: number, channels: number, codec: Codec, sendRateMs: number): number {
  switch (codec) {
    case Codec.L16:
      return Math.round((sampleRateHz * channels * 2 * sendRateMs) / 1000);
    case Codec.G711:
      return Math.round((sampleRateHz * channels * sendRateMs) / 1000);
    case Codec.G722:
      return Math.round((sampleRateHz * channels * sendRateMs) / 2000);
    case Codec.OPUS:
      return Math.round((OPUS_BYTES_PER_20MS_PER_CHANNEL * channels * sendRateMs) / 20);
    case Codec.UNDEFINED:
    case Codec.JPG:
    case Codec.PNG:
    case Codec.H264:
      throw RtmsError.invalidOptions(
        `${Codec[codec]} is not an audio codec`,
        'use Codec.L16, Codec.G711, Codec.G722 or Codec.OPUS for audio',
      );
  }
}

/**
 * Minimum tone amplitude (of 32767) {@link detectTone} reports: about −50 dBFS. Below it a frame is
 * silence, whatever its strongest frequency.
 */
const DETECT_FLOOR_AMPLITUDE = 100;
/** Power ratio by which the strongest candidate must beat the runner-up (10 dB). */
const DETECT_DOMINANCE = 10;

/**
 * Which of `candidatesHz` is the tone in `pcm` (little-endian L16), by Goertzel power per candidate.
 *
 * @param channels - Interleaved channels in `pcm`; only the first is analysed.
 * @returns The strongest candidate when its power is more than 10× the next one and its amplitude
 *   is above about −50 dBFS; otherwise `undefined`. So silence gives `undefined`, and so does a mix
 *   of two candidates at similar level (several speakers at once): the answer names one speaker or none.
 */
export function detectTone(
  pcm: Buffer,
  sampleRateHz: number,
  candidatesHz: readonly number[],
  channels = 1,
): number | undefined {
  const count = Math.floor(pcm.length / (2 * channels));
  if (count === 0 || candidatesHz.length === 0) return undefined;
  let best: number | undefined;
  let bestPower = 0;
  let secondPower = 0;
  for (const freq of candidatesHz) {
    const power = goertzelPower(pcm, count, channels, freq / sampleRateHz);
    if (power > bestPower) {
      secondPower = bestPower;
      bestPower = power;
      best = freq;
    } else if (power > secondPower) {
      secondPower = power;
    }
  }
  if (best === undefined || bestPower < DETECT_FLOOR_AMPLITUDE ** 2) return undefined;
  return bestPower > DETECT_DOMINANCE * secondPower ? best : undefined;
}

/** Squared amplitude estimate of the component at `cyclesPerSample`, comparable across buffer lengths. */
function goertzelPower(pcm: Buffer, count: number, channels: number, cyclesPerSample: number): number {
  const coeff = 2 * Math.cos(2 * Math.PI * cyclesPerSample);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < count; i++) {
    const s0 = pcm.readInt16LE(i * channels * 2) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const magnitudeSquared = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  // |X|·2/N is the peak amplitude of a sine exactly on the bin.
  return (4 * magnitudeSquared) / (count * count);
}
