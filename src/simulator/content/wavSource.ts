/**
 * Real speech for the simulator: a 16-bit PCM WAV file played in a loop, at whatever rate and channel
 * count a client asked for.
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import { RtmsError } from '../../protocol/errors.js';

/** Decoded PCM of a WAV file. */
export interface WavAudio {
  sampleRateHz: number;
  channels: number;
  /** Little-endian signed 16-bit samples, channels interleaved. */
  pcm: Buffer;
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Bytes 2–15 shared by every KSDATAFORMAT_SUBTYPE GUID; bytes 0–1 hold the format code. */
const KSDATAFORMAT_GUID_TAIL = Buffer.from('000000001000800000aa00389b71', 'hex');

/** Names of format codes people actually run into, so the error says what the file is. */
const FORMAT_NAMES: Readonly<Record<number, string>> = {
  1: 'PCM',
  2: 'Microsoft ADPCM',
  3: 'IEEE float',
  6: 'A-law',
  7: 'µ-law',
  17: 'IMA ADPCM',
  85: 'MP3',
  65534: 'WAVE_FORMAT_EXTENSIBLE',
};

const CONVERT_FIX = 'convert it with: ffmpeg -i in -ac 1 -ar 16000 -c:a pcm_s16le out.wav';

function unsupported(source: string, found: string): RtmsError {
  return RtmsError.invalidOptions(`${source} is ${found}; only 16-bit PCM WAV is supported`, CONVERT_FIX);
}

/**
 * Reads a RIFF/WAVE file holding 16-bit PCM (format 1, or WAVE_FORMAT_EXTENSIBLE with the PCM subformat).
 *
 * @throws RtmsError `INVALID_OPTIONS` naming what the file holds instead, with the FFmpeg command to
 *   convert it.
 */
export async function readWav(path: string): Promise<WavAudio> {
  return parseWav(await readFile(path), path);
}

/**
 * Parses the bytes of a WAV file; {@link readWav} without the file system.
 *
 * @param source - How to name the input in errors (a path).
 */
export function parseWav(bytes: Buffer, source = 'WAV data'): WavAudio {
  if (
    bytes.length < 12 ||
    bytes.toString('latin1', 0, 4) !== 'RIFF' ||
    bytes.toString('latin1', 8, 12) !== 'WAVE'
  ) {
    const magic = JSON.stringify(bytes.toString('latin1', 0, Math.min(4, bytes.length)));
    throw unsupported(source, `not a RIFF/WAVE file (starts with ${magic})`);
  }
  let format:
    | { code: number; channels: number; sampleRateHz: number; blockAlign: number; bits: number }
    | undefined;
  let data: Buffer | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    // A WAV written to a pipe keeps a placeholder size; take what is really there.
    const end = Math.min(body + size, bytes.length);
    if (id === 'fmt ') {
      if (end - body < 16) throw unsupported(source, `a WAV file with a truncated fmt chunk (${size} bytes)`);
      let code = bytes.readUInt16LE(body);
      if (code === WAVE_FORMAT_EXTENSIBLE && end - body >= 40) {
        const guid = bytes.subarray(body + 24, body + 40);
        code = guid.subarray(2).equals(KSDATAFORMAT_GUID_TAIL) ? guid.readUInt16LE(0) : -1;
      }
      format = {
        code,
        channels: bytes.readUInt16LE(body + 2),
        sampleRateHz: bytes.readUInt32LE(body + 4),
        blockAlign: bytes.readUInt16LE(body + 12),
        bits: bytes.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      data = bytes.subarray(body, end);
    }
    // Chunks are word-aligned: an odd-sized chunk is followed by one pad byte.
    offset = body + size + (size & 1);
  }
  if (format === undefined) throw unsupported(source, 'a WAV file without a fmt chunk');
  if (format.code !== WAVE_FORMAT_PCM) {
    const name = format.code === -1 ? 'an unknown extensible subformat' : FORMAT_NAMES[format.code];
    throw unsupported(source, `WAV format ${format.code}${name ? ` (${name})` : ''}, ${format.bits}-bit`);
  }
  if (format.bits !== 16) throw unsupported(source, `${format.bits}-bit PCM`);
  if (format.channels < 1 || format.sampleRateHz < 1 || format.blockAlign !== format.channels * 2) {
    throw unsupported(
      source,
      `PCM with an inconsistent header (${format.channels} channels, ${format.sampleRateHz} Hz, ` +
        `block align ${format.blockAlign})`,
    );
  }
  if (data === undefined) throw unsupported(source, 'a WAV file without a data chunk');
  const usable = data.length - (data.length % format.blockAlign);
  if (usable === 0) throw unsupported(source, 'a WAV file with no audio in its data chunk');
  return { sampleRateHz: format.sampleRateHz, channels: format.channels, pcm: data.subarray(0, usable) };
}

/**
 * A WAV file as an endless audio source: the file loops, and {@link WavAudioSource.render} converts it to
 * the rate and channel count a stream asked for.
 *
 * @remarks Resampling is linear interpolation: good enough to recognise speech or a test tone, not
 * hi-fi (upsampling leaves faint images above the source's Nyquist frequency).
 */
export class WavAudioSource {
  /** Frames per loop of the file. */
  readonly frames: number;
  readonly sampleRateHz: number;
  readonly channels: number;
  /** The file mixed down to mono. */
  readonly #mono: Int16Array;
  /** Left and right for stereo output: the file's first two channels, or the mono mix twice. */
  readonly #left: Int16Array;
  readonly #right: Int16Array;

  constructor(wav: WavAudio) {
    const { channels, pcm } = wav;
    const frames = Math.floor(pcm.length / (2 * channels));
    if (frames === 0 || !Number.isInteger(channels) || channels < 1 || wav.sampleRateHz < 1) {
      throw RtmsError.invalidOptions(
        'WAV audio source has no audio',
        'pass a WAV file with at least one sample',
      );
    }
    this.frames = frames;
    this.sampleRateHz = wav.sampleRateHz;
    this.channels = channels;
    this.#mono = new Int16Array(frames);
    for (let f = 0; f < frames; f++) {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += pcm.readInt16LE((f * channels + c) * 2);
      this.#mono[f] = Math.round(sum / channels);
    }
    if (channels === 2) {
      this.#left = new Int16Array(frames);
      this.#right = new Int16Array(frames);
      for (let f = 0; f < frames; f++) {
        this.#left[f] = pcm.readInt16LE(f * 4);
        this.#right[f] = pcm.readInt16LE(f * 4 + 2);
      }
    } else {
      // Surround has no obvious left/right pair; the mono mix in both channels loses nothing a test needs.
      this.#left = this.#mono;
      this.#right = this.#mono;
    }
  }

  /** Reads and wraps a WAV file; see {@link readWav} for what it accepts. */
  static async fromFile(path: string): Promise<WavAudioSource> {
    return new WavAudioSource(await readWav(path));
  }

  /**
   * L16 (little-endian, interleaved) for output samples `startSample` … `startSample + samples − 1` at
   * `sampleRateHz`, looping the file.
   *
   * @remarks Output sample n maps to file position n × fileRate / sampleRateHz, computed from the
   * absolute index, so consecutive calls join seamlessly.
   */
  render(startSample: number, samples: number, sampleRateHz: number, channels: 1 | 2): Buffer {
    const out = Buffer.alloc(samples * channels * 2);
    const tracks = channels === 1 ? [this.#mono] : [this.#left, this.#right];
    for (let i = 0; i < samples; i++) {
      // Integer numerator and remainder keep the position exact on long runs.
      const numerator = (startSample + i) * this.sampleRateHz;
      const whole = Math.floor(numerator / sampleRateHz);
      const fraction = (numerator - whole * sampleRateHz) / sampleRateHz;
      const at = ((whole % this.frames) + this.frames) % this.frames;
      const next = (at + 1) % this.frames;
      for (let c = 0; c < channels; c++) {
        const track = tracks[c] ?? this.#mono;
        const a = track[at] ?? 0;
        const b = track[next] ?? 0;
        out.writeInt16LE(Math.round(a + (b - a) * fraction), (i * channels + c) * 2);
      }
    }
    return out;
  }
}
