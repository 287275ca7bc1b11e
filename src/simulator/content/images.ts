/**
 * Video and screen-share payloads for the simulator: valid JPEG, PNG and H.264 that any decoder
 * accepts, small enough to send every frame.
 *
 * @module
 */

import { crc32, deflateSync } from 'node:zlib';
import { RtmsError } from '../../protocol/errors.js';
import { H264_64X36_10FPS_BASE64, H264_64X36_FPS, JPEG_16X16_BASE64 } from './fixtures.js';

/** NAL unit types (ITU-T H.264 Table 7-1) the splitter tells apart. */
const NAL_AUD = 9;
const NAL_SPS = 7;
const NAL_PPS = 8;
const NAL_SEI = 6;
const NAL_SLICE = 1;
const NAL_IDR = 5;

// Decoded once: the fixtures never change, and the simulator asks for one per video frame.
const JPEG_16X16 = Buffer.from(JPEG_16X16_BASE64, 'base64');
const H264_ACCESS_UNITS = splitAccessUnits(Buffer.from(H264_64X36_10FPS_BASE64, 'base64'));

/** A 16×16 baseline JPEG (FF D8 … FF D9). Each call returns a fresh copy the caller may keep or change. */
export function jpegFrame(): Buffer {
  return Buffer.from(JPEG_16X16);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Largest side pngFrame draws: 4K UHD, beyond any RTMS resolution (QHD is 2560×1440). */
const PNG_MAX_SIDE = 3840;

/**
 * A PNG of one solid colour: 8-bit RGB, no interlace, built with `zlib` alone.
 *
 * @param rgb - Red, green, blue, each an integer 0–255.
 * @throws RtmsError `INVALID_OPTIONS` for a side outside 1–3840 or a colour outside 0–255.
 */
export function pngFrame(width: number, height: number, rgb: readonly [number, number, number]): Buffer {
  for (const side of [width, height]) {
    if (!Number.isInteger(side) || side < 1 || side > PNG_MAX_SIDE) {
      throw RtmsError.invalidOptions(
        `PNG size ${width}×${height} is out of range`,
        `use integer sides from 1 to ${PNG_MAX_SIDE}`,
      );
    }
  }
  if (!rgb.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
    throw RtmsError.invalidOptions(`PNG colour [${rgb.join(', ')}] is invalid`, 'use integers from 0 to 255');
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: truecolour RGB
  // Bytes 10–12 stay 0: deflate compression, adaptive filtering, no interlace.
  const rowBytes = 1 + width * 3;
  const raw = Buffer.alloc(rowBytes * height);
  for (let y = 0; y < height; y++) {
    // The leading 0 of each row is filter type None.
    for (let x = 0; x < width; x++) raw.set(rgb, y * rowBytes + 1 + x * 3);
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** length, type, data, CRC-32 of type and data. */
function pngChunk(type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

/** An H.264 stream cut into frames. */
export interface H264Stream {
  /** One Annex-B access unit per frame, start codes included; SPS, PPS and SEI ride with the first IDR. */
  nal: Buffer[];
  /** Frames per second the stream was encoded at. */
  fps: number;
}

/**
 * One second of 64×36 H.264 Constrained Baseline at 10 fps, one access unit per element, so the
 * simulator can send one frame per message and loop it (the first frame is an IDR with SPS and PPS).
 * Each call returns fresh copies.
 */
export function h264Stream(): H264Stream {
  return { nal: H264_ACCESS_UNITS.map((unit) => Buffer.from(unit)), fps: H264_64X36_FPS };
}

/**
 * Splits an Annex-B H.264 stream into access units (frames), each keeping its start codes.
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
    const isSlice = type === NAL_SLICE || type === NAL_IDR;
    // first_mb_in_slice is ue(v) coded first after the header; a leading 1 bit means 0.
    const firstSlice = isSlice && ((stream[payloadAt + 1] ?? 0) & 0x80) !== 0;
    const startsUnit =
      type === NAL_AUD || type === NAL_SPS || type === NAL_PPS || type === NAL_SEI || firstSlice;
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
