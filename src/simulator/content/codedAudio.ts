/**
 * The simulator's G.722 and Opus audio: each participant's tone (see `toneHz`), encoded by FFmpeg once
 * (`scripts/audio-fixtures.mjs`) and shipped in `assets/simulator/audio/`, so a recording made from the
 * simulator decodes to the same tones as L16 would. One second per tone, in 20 ms packets, looped.
 *
 * @remarks A mixed stream in which several people speak at once carries the first speaker's tone (mixing
 * would need an encoder at run time); a `--wav` source is sent as L16 and G.711 only, and G.722 and Opus
 * carry the tones.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { Codec } from '../../protocol/enums.js';
import { RTMS_ERROR_CODES, RtmsError } from '../../protocol/errors.js';
import { OPUS_RATE, opusPacketFrames, opusPacketSamples } from '../../protocol/opus.js';
import { TONE_COUNT } from './audio.js';

/** Packets per tone: one second of 20 ms packets. */
export const CODED_PACKETS_PER_TONE = 50;
/** The length of every fixture packet. */
const PACKET_MS = 20;
/** Samples of one 20 ms Opus frame at 48 kHz. */
const OPUS_SAMPLES_PER_PACKET = (OPUS_RATE * PACKET_MS) / 1000;
/** Opus packets hold at most 120 ms (RFC 6716 §3.2.5): six of the fixtures' frames. */
const MAX_OPUS_FRAMES = 6;

export const CODED_AUDIO_DIR: URL = new URL('../../../assets/simulator/audio/', import.meta.url);

const FILES = { g722: 'g722-mono.bin', opus1: 'opus-mono.bin', opus2: 'opus-stereo.bin' } as const;

function broken(file: string, problem: string, cause?: unknown): RtmsError {
  return new RtmsError(RTMS_ERROR_CODES.CONFIG_INVALID, `simulator audio ${file} ${problem}`, {
    fix: 'reinstall rtmskit (the package ships assets/simulator/audio/), or run scripts/audio-fixtures.mjs in a checkout',
    cause,
  });
}

/** Splits a fixture file (packets as a 2-byte big-endian length and the bytes) into one loop per tone. */
function splitFixture(file: string, data: Buffer): Buffer[][] {
  const packets: Buffer[] = [];
  let at = 0;
  while (at + 2 <= data.length) {
    const length = data.readUInt16BE(at);
    if (length === 0 || at + 2 + length > data.length) throw broken(file, `is cut short at byte ${at}`);
    packets.push(data.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  if (packets.length !== TONE_COUNT * CODED_PACKETS_PER_TONE)
    throw broken(file, `holds ${packets.length} packets, not ${TONE_COUNT * CODED_PACKETS_PER_TONE}`);
  const tones: Buffer[][] = [];
  for (let t = 0; t < TONE_COUNT; t++)
    tones.push(packets.slice(t * CODED_PACKETS_PER_TONE, (t + 1) * CODED_PACKETS_PER_TONE));
  return tones;
}

/** Every Opus fixture packet must be one 20 ms frame (TOC code 0), so frames can be packed together. */
function checkOpus(file: string, tones: Buffer[][]): void {
  for (const packet of tones.flat()) {
    if (opusPacketFrames(packet) !== 1 || opusPacketSamples(packet) !== OPUS_SAMPLES_PER_PACKET)
      throw broken(file, 'holds a packet that is not a single 20 ms Opus frame');
  }
}

/** Packs `frames` (each a code-0 Opus packet of the same configuration) into one code-3 VBR packet. */
function packOpus(frames: readonly Buffer[]): Buffer {
  if (frames.length === 1) return frames[0] as Buffer;
  const toc = ((frames[0]?.[0] ?? 0) & 0xfc) | 3;
  const parts: Buffer[] = [Buffer.from([toc, 0x80 | frames.length])];
  for (const frame of frames.slice(0, -1)) {
    const length = frame.length - 1;
    // A length under 252 is one byte; longer ones two (RFC 6716 §3.1).
    if (length < 252) parts.push(Buffer.from([length]));
    else {
      const first = 252 + (length & 3);
      parts.push(Buffer.from([first, (length - first) >> 2]));
    }
  }
  for (const frame of frames) parts.push(frame.subarray(1));
  return Buffer.concat(parts);
}

/** The coded tones, loaded and checked. Build one with {@link CodedAudioLibrary.load}. */
export class CodedAudioLibrary {
  readonly #g722: Buffer[][];
  readonly #opus: Readonly<Record<1 | 2, Buffer[][]>>;
  /** Packets already joined, by key: a 1,000-stream load builds each once. */
  readonly #joined = new Map<string, Buffer>();

  private constructor(g722: Buffer[][], opus: Record<1 | 2, Buffer[][]>) {
    this.#g722 = g722;
    this.#opus = opus;
  }

  /**
   * Reads and checks the three fixtures (about 620 KB).
   *
   * @throws RtmsError `CONFIG_INVALID` when a file is missing or not a fixture.
   */
  static async load(dir: URL = CODED_AUDIO_DIR): Promise<CodedAudioLibrary> {
    const read = async (file: string) => {
      try {
        return splitFixture(file, await readFile(new URL(file, dir)));
      } catch (err) {
        throw err instanceof RtmsError ? err : broken(file, 'cannot be read', err);
      }
    };
    const [g722, opus1, opus2] = await Promise.all([read(FILES.g722), read(FILES.opus1), read(FILES.opus2)]);
    checkOpus(FILES.opus1, opus1);
    checkOpus(FILES.opus2, opus2);
    return new CodedAudioLibrary(g722, { 1: opus1, 2: opus2 });
  }

  /**
   * The packet of `sendRateMs` starting at `atMs` (a multiple of 20) of participant `voice`'s tone:
   * G.722 packets joined (it is a byte stream), Opus frames packed into one packet of at most 120 ms.
   */
  packet(
    codec: Codec.G722 | Codec.OPUS,
    channels: 1 | 2,
    voice: number,
    atMs: number,
    sendRateMs: number,
  ): Buffer {
    const tone = ((voice % TONE_COUNT) + TONE_COUNT) % TONE_COUNT;
    const start = Math.floor(atMs / PACKET_MS) % CODED_PACKETS_PER_TONE;
    let count = Math.max(1, Math.round(sendRateMs / PACKET_MS));
    if (codec === Codec.OPUS) count = Math.min(count, MAX_OPUS_FRAMES);
    const key = `${codec}|${channels}|${tone}|${start}|${count}`;
    let packet = this.#joined.get(key);
    if (packet === undefined) {
      const loop = codec === Codec.G722 ? this.#g722[tone] : this.#opus[channels][tone];
      const frames: Buffer[] = [];
      for (let i = 0; i < count; i++) frames.push(loop?.[(start + i) % CODED_PACKETS_PER_TONE] as Buffer);
      packet = codec === Codec.G722 ? Buffer.concat(frames) : packOpus(frames);
      this.#joined.set(key, packet);
    }
    return packet;
  }
}
