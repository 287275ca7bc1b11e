/**
 * G.711 A-law, the only G.711 law Zoom sends (RTMS-PROTOCOL §media_params): encoding L16 to A-law (the
 * simulator) and decoding it back (recordings write playable L16 WAV from it). ITU-T G.711, as in the
 * reference `g711.c`.
 */

/** Upper bounds of the eight A-law segments, on the 13-bit magnitude. */
const ALAW_SEGMENT_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff] as const;

/** G.711 A-law code of one 16-bit linear sample (ITU-T G.711, as in the reference `g711.c`). */
function linearToAlaw(sample: number): number {
  // A-law works on 13 bits; the low three bits of L16 are below its resolution.
  let pcm = sample >> 3;
  let mask: number;
  if (pcm >= 0) {
    mask = 0xd5; // sign bit set for positive, then even bits inverted
  } else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  let segment = 0;
  while (segment < 8 && pcm > (ALAW_SEGMENT_END[segment] ?? 0)) segment++;
  if (segment >= 8) return 0x7f ^ mask;
  const mantissa = segment < 2 ? (pcm >> 1) & 0x0f : (pcm >> segment) & 0x0f;
  return ((segment << 4) | mantissa) ^ mask;
}

/** 16-bit linear sample of one A-law code: the middle of the code's quantisation interval. */
function alawToLinear(code: number): number {
  const value = code ^ 0x55;
  const segment = (value & 0x70) >> 4;
  let magnitude = (value & 0x0f) << 4;
  if (segment === 0) magnitude += 8;
  else magnitude = (magnitude + 0x108) << (segment - 1);
  return value & 0x80 ? magnitude : -magnitude;
}

/**
 * G.711 A-law encoding of little-endian L16 PCM, one byte per sample (channels stay interleaved).
 * 0 encodes as 0xD5, 32767 as 0xAA, −32768 as 0x2A.
 */
export function encodeAlaw(pcm: Buffer): Buffer {
  const count = pcm.length >> 1;
  const out = Buffer.allocUnsafe(count);
  for (let i = 0; i < count; i++) out[i] = linearToAlaw(pcm.readInt16LE(i * 2));
  return out;
}

/** Decodes G.711 A-law bytes to little-endian L16 PCM; the inverse of {@link encodeAlaw}, within its step. */
export function decodeAlaw(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) out.writeInt16LE(ALAW_TO_LINEAR[bytes[i] ?? 0] ?? 0, i * 2);
  return out;
}

/** Every code's linear sample, computed once: decoding is on the media path. */
const ALAW_TO_LINEAR = Int16Array.from({ length: 256 }, (_, code) => alawToLinear(code));
