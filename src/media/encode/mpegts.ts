/**
 * A minimal MPEG transport stream (ISO/IEC 13818-1) of one H.264 video stream: a PAT, a PMT and one PES
 * packet per access unit with its presentation time. It exists so FFmpeg can take Zoom's H.264 frames at
 * the times Zoom stamped them (a raw Annex-B stream keeps no time) and copy them into an MP4 without
 * re-encoding. Annex-B frames go in as received: a transport stream carries them unchanged.
 */

import { crc32Msb } from './crc32.js';

const PACKET_BYTES = 188;
const SYNC_BYTE = 0x47;
const PAT_PID = 0x0000;
const PMT_PID = 0x1000;
const VIDEO_PID = 0x0100;
/** stream_type of H.264 video (ITU-T H.222.0 Table 2-34). */
const STREAM_TYPE_H264 = 0x1b;
/** PES stream_id of the first video stream. */
const VIDEO_STREAM_ID = 0xe0;
/** The 90 kHz clock of PES timestamps, per millisecond. */
const TICKS_PER_MS = 90;
/** Timestamps are 33 bits wide. */
const PTS_MODULUS = 2 ** 33;
/** PAT and PMT are repeated this often (in frames) so a reader can start anywhere. */
const TABLE_INTERVAL_FRAMES = 50;

/** A PSI section (PAT or PMT) with its CRC, `body` being everything after section_length. */
function section(tableId: number, body: Buffer): Buffer {
  const head = Buffer.from([tableId, 0xb0 | ((body.length + 4) >> 8), (body.length + 4) & 0xff]);
  const withoutCrc = Buffer.concat([head, body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32Msb(withoutCrc, 0xffffffff));
  return Buffer.concat([withoutCrc, crc]);
}

const PAT = section(
  0x00,
  // transport_stream_id 1, version 0 current; section 0 of 0; program 1 → PMT PID.
  Buffer.from([0x00, 0x01, 0xc1, 0x00, 0x00, 0x00, 0x01, 0xe0 | (PMT_PID >> 8), PMT_PID & 0xff]),
);

const PMT = section(
  0x02,
  Buffer.from([
    // program_number 1, version 0 current, section 0 of 0
    0x00,
    0x01,
    0xc1,
    0x00,
    0x00,
    // PCR_PID, no program descriptors
    0xe0 | (VIDEO_PID >> 8),
    VIDEO_PID & 0xff,
    0xf0,
    0x00,
    // the H.264 stream, no descriptors
    STREAM_TYPE_H264,
    0xe0 | (VIDEO_PID >> 8),
    VIDEO_PID & 0xff,
    0xf0,
    0x00,
  ]),
);

/** The 5 bytes of a PTS field ('0010' marker, 33 bits split 3/15/15 with marker bits). */
function ptsField(ticks: number): Buffer {
  const high = Math.floor(ticks / 2 ** 30) & 0x07;
  const mid = Math.floor(ticks / 2 ** 15) & 0x7fff;
  const low = ticks & 0x7fff;
  return Buffer.from([
    0x21 | (high << 1),
    mid >> 7,
    ((mid & 0x7f) << 1) | 1,
    low >> 7,
    ((low & 0x7f) << 1) | 1,
  ]);
}

/** The 6 bytes of a PCR (33-bit base at 90 kHz, 6 reserved bits, 9-bit extension 0). */
function pcrField(ticks: number): Buffer {
  const out = Buffer.alloc(6);
  out.writeUInt32BE(Math.floor(ticks / 2) >>> 0, 0);
  out[4] = ((ticks & 1) << 7) | 0x7e;
  out[5] = 0;
  return out;
}

/** Writes one H.264 stream as transport stream packets. */
export class MpegTsWriter {
  private readonly counters = new Map<number, number>();
  private frames = 0;

  /**
   * The packets of one access unit shown at `ms` (milliseconds from the stream's start, ≥ 0), PAT and PMT
   * in front of the first frame and regularly after. `keyframe` marks a random access point.
   */
  frame(ms: number, accessUnit: Buffer, keyframe: boolean): Buffer {
    const out: Buffer[] = [];
    if (this.frames % TABLE_INTERVAL_FRAMES === 0) {
      out.push(this.psiPacket(PAT_PID, PAT), this.psiPacket(PMT_PID, PMT));
    }
    this.frames++;
    const ticks = Math.round(ms * TICKS_PER_MS) % PTS_MODULUS;
    const pesHeader = Buffer.concat([
      // start code, stream id, PES_packet_length 0 (unbounded, allowed for video)
      Buffer.from([0x00, 0x00, 0x01, VIDEO_STREAM_ID, 0x00, 0x00]),
      // data_alignment_indicator; PTS only; 5 header bytes
      Buffer.from([0x84, 0x80, 0x05]),
      ptsField(ticks),
    ]);
    const pes = Buffer.concat([pesHeader, accessUnit]);
    let at = 0;
    let first = true;
    while (at < pes.length) {
      const adaptation = first
        ? Buffer.concat([Buffer.from([keyframe ? 0x50 : 0x10]), pcrField(ticks)])
        : Buffer.alloc(0);
      // 4 header bytes, then an adaptation field (its length byte plus its content) when there is one.
      const room = PACKET_BYTES - 4 - (adaptation.length > 0 ? 1 + adaptation.length : 0);
      const take = Math.min(room, pes.length - at);
      out.push(this.packet(VIDEO_PID, first, adaptation, pes.subarray(at, at + take)));
      at += take;
      first = false;
    }
    return Buffer.concat(out);
  }

  private psiPacket(pid: number, psi: Buffer): Buffer {
    // pointer_field 0, then the section; the rest of the packet is 0xFF.
    const payload = Buffer.alloc(PACKET_BYTES - 4, 0xff);
    payload[0] = 0;
    psi.copy(payload, 1);
    return this.packet(pid, true, Buffer.alloc(0), payload);
  }

  /**
   * One 188-byte packet: its header, an adaptation field holding `field` (flags and PCR) and the stuffing
   * that makes `payload` end the packet exactly, then the payload.
   */
  private packet(pid: number, unitStart: boolean, field: Buffer, payload: Buffer): Buffer {
    const out = Buffer.alloc(PACKET_BYTES, 0xff);
    const counter = this.counters.get(pid) ?? 0;
    this.counters.set(pid, (counter + 1) & 0x0f);
    const fieldRoom = PACKET_BYTES - 4 - payload.length;
    const hasField = field.length > 0 || fieldRoom > 0;
    out[0] = SYNC_BYTE;
    out[1] = (unitStart ? 0x40 : 0) | ((pid >> 8) & 0x1f);
    out[2] = pid & 0xff;
    out[3] = (hasField ? 0x30 : 0x10) | counter;
    let at = 4;
    if (hasField) {
      // adaptation_field_length counts what follows it: flags, PCR, stuffing (0xFF, already there).
      const length = fieldRoom - 1;
      out[at] = length;
      if (field.length > 0) field.copy(out, at + 1);
      else if (length > 0) out[at + 1] = 0x00;
      at += 1 + length;
    }
    payload.copy(out, at);
    return out;
  }
}
