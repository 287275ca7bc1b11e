/**
 * Reads the structure of the picture formats Zoom sends: the size of a JPEG or PNG, and an Annex-B H.264
 * stream cut into access units with the NAL unit types of each. The simulator checks its fixtures with it;
 * recordings find where H.264 can start decoding. Not a decoder.
 *
 * @module
 */

/** NAL unit types (ITU-T H.264 Table 7-1) told apart here. */
export const NalType = {
  SLICE: 1,
  IDR: 5,
  SEI: 6,
  SPS: 7,
  PPS: 8,
  AUD: 9,
} as const;

/** Width and height in pixels. */
export type PictureSize = readonly [width: number, height: number];

const JPEG_SOI = 0xd8;
const JPEG_EOI = 0xd9;
/** Start-of-frame markers of the Huffman-coded processes (SOF0–SOF3, SOF5–SOF7); C4 and C8 are not frames. */
const JPEG_SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7]);
/** Markers with no length field: TEM and RST0–RST7. */
const JPEG_STANDALONE = new Set([0x01, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7]);

/** The size in a JPEG's start-of-frame segment, or `undefined` if the bytes are not a JPEG with one. */
export function jpegSize(jpeg: Buffer): PictureSize | undefined {
  if (jpeg[0] !== 0xff || jpeg[1] !== JPEG_SOI) return undefined;
  let at = 2;
  while (at + 4 <= jpeg.length) {
    if (jpeg[at] !== 0xff) return undefined;
    const marker = jpeg[at + 1] ?? 0;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === JPEG_EOI) return undefined;
    if (JPEG_STANDALONE.has(marker)) {
      at += 2;
      continue;
    }
    const length = jpeg.readUInt16BE(at + 2);
    if (JPEG_SOF.has(marker)) {
      if (at + 9 > jpeg.length) return undefined;
      // Segment: length (2), precision (1), height (2), width (2).
      return [jpeg.readUInt16BE(at + 7), jpeg.readUInt16BE(at + 5)];
    }
    at += 2 + length;
  }
  return undefined;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The size in a PNG's IHDR chunk (which must come first), or `undefined` if the bytes are not a PNG. */
export function pngSize(png: Buffer): PictureSize | undefined {
  // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4).
  if (png.length < 24 || !png.subarray(0, 8).equals(PNG_SIGNATURE)) return undefined;
  if (png.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

/** The NAL unit types of an Annex-B buffer, in order. */
export function nalTypes(stream: Buffer): number[] {
  const types: number[] = [];
  for (const { payloadAt } of annexBStarts(stream)) {
    const header = stream[payloadAt];
    if (header !== undefined) types.push(header & 0x1f);
  }
  return types;
}

/**
 * Splits an Annex-B H.264 stream into access units (frames), each keeping its start codes. The units are
 * views into `stream`, not copies.
 *
 * @remarks A unit ends where an AUD, SPS, PPS or SEI follows a picture, or where a slice with
 * `first_mb_in_slice` 0 begins (ITU-T H.264 §7.4.1.2.3); enough for single-slice-group streams such as
 * x264's, not a full parser.
 */
export function splitAccessUnits(stream: Buffer): Buffer[] {
  const starts = annexBStarts(stream);
  const units: Buffer[] = [];
  let unitStart = starts[0]?.codeAt ?? 0;
  let hasPicture = false;
  for (const { codeAt, payloadAt } of starts) {
    const header = stream[payloadAt];
    if (header === undefined) continue;
    const type = header & 0x1f;
    const isSlice = type === NalType.SLICE || type === NalType.IDR;
    // first_mb_in_slice is ue(v) coded first after the header; a leading 1 bit means 0.
    const firstSlice = isSlice && ((stream[payloadAt + 1] ?? 0) & 0x80) !== 0;
    const startsUnit =
      type === NalType.AUD ||
      type === NalType.SPS ||
      type === NalType.PPS ||
      type === NalType.SEI ||
      firstSlice;
    if (hasPicture && startsUnit) {
      units.push(stream.subarray(unitStart, codeAt));
      unitStart = codeAt;
      hasPicture = false;
    }
    if (isSlice) hasPicture = true;
  }
  if (starts.length > 0) units.push(stream.subarray(unitStart));
  return units;
}

/** Positions of every start code (00 00 01 or 00 00 00 01) and of the NAL header after it. */
function annexBStarts(stream: Buffer): { codeAt: number; payloadAt: number }[] {
  const found: { codeAt: number; payloadAt: number }[] = [];
  for (let i = 0; i + 2 < stream.length; i++) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) {
      const codeAt = i > 0 && stream[i - 1] === 0 ? i - 1 : i;
      found.push({ codeAt, payloadAt: i + 3 });
      i += 2;
    }
  }
  return found;
}
