/**
 * Raw Opus packets as an Ogg Opus stream (RFC 7845), so FFmpeg can decode them: Opus has no framing of
 * its own, and the recording keeps each packet's place in an index. One packet per page; granule
 * positions count samples at 48 kHz; no pre-skip, so every decoded sample is a sample Zoom sent.
 */

import { OPUS_RATE, opusPacketSamples } from '../../protocol/opus.js';
import { crc32Msb } from './crc32.js';

const HEADER_BYTES = 27;
const FLAG_FIRST = 0x02;
const FLAG_LAST = 0x04;
/** Any serial number will do for a file of one stream. */
const SERIAL = 0x52544d53;

/** Writes the pages of one Ogg Opus stream. */
export class OggOpusWriter {
  private sequence = 0;
  private granule = 0;

  constructor(private readonly channels: number) {}

  /** The two header pages: OpusHead and OpusTags. */
  headers(): Buffer {
    const head = Buffer.alloc(19);
    head.write('OpusHead', 0, 'ascii');
    head[8] = 1; // version
    head[9] = this.channels;
    head.writeUInt16LE(0, 10); // pre-skip
    head.writeUInt32LE(OPUS_RATE, 12); // input sample rate, informational
    head.writeInt16LE(0, 16); // output gain
    head[18] = 0; // channel mapping family 0: mono or stereo
    const vendor = Buffer.from('rtmskit', 'ascii');
    const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
    tags.write('OpusTags', 0, 'ascii');
    tags.writeUInt32LE(vendor.length, 8);
    vendor.copy(tags, 12);
    tags.writeUInt32LE(0, 12 + vendor.length);
    return Buffer.concat([this.page(head, 0, FLAG_FIRST), this.page(tags, 0, 0)]);
  }

  /** The page of one audio packet; `last` ends the stream. */
  packet(packet: Buffer, last: boolean): Buffer {
    this.granule += opusPacketSamples(packet);
    return this.page(packet, this.granule, last ? FLAG_LAST : 0);
  }

  private page(data: Buffer, granule: number, flags: number): Buffer {
    // Lacing: 255 for each full segment, then the rest (0 when the packet is a multiple of 255).
    const lacing: number[] = [];
    let left = data.length;
    while (left >= 255) {
      lacing.push(255);
      left -= 255;
    }
    lacing.push(left);
    if (lacing.length > 255)
      throw new RangeError(`an Opus packet of ${data.length} bytes does not fit one Ogg page`);
    const page = Buffer.alloc(HEADER_BYTES + lacing.length + data.length);
    page.write('OggS', 0, 'ascii');
    page[4] = 0;
    page[5] = flags;
    page.writeBigUInt64LE(BigInt(granule), 6);
    page.writeUInt32LE(SERIAL, 14);
    page.writeUInt32LE(this.sequence++, 18);
    page.writeUInt32LE(0, 22);
    page[26] = lacing.length;
    Buffer.from(lacing).copy(page, HEADER_BYTES);
    data.copy(page, HEADER_BYTES + lacing.length);
    page.writeUInt32LE(crc32Msb(page, 0), 22);
    return page;
  }
}
