/**
 * Reading an existing WAV file's layout, and repairing the sizes a killed process left stale (or a
 * truncated last sample frame).
 */
import { type FileHandle, open } from 'node:fs/promises';
import { RtmsError } from '../protocol/errors.js';
import { BYTES_PER_SAMPLE, MAX_WAV_DATA_BYTES, WAVE_FORMAT_PCM } from './wavFormat.js';

/** Bytes read from the start of a file when looking for its `fmt ` and `data` chunks. */
const REPAIR_SCAN_BYTES = 4_096;

/** What {@link repairWav} found. */
export interface WavRepair {
  /** True when the header or the length was changed. */
  repaired: boolean;
  /** Bytes in the data chunk after the repair. */
  dataBytes: number;
}

function notPcm16(path: string, what: string): RtmsError {
  return RtmsError.invalidOptions(
    `${path} is not a PCM16 WAV file: ${what}`,
    'repairWav only fixes RIFF/WAVE files with 16-bit PCM, such as the ones WavWriter writes',
  );
}

function isChunkId(buf: Buffer, offset: number): boolean {
  if (offset + 4 > buf.length) return false;
  for (let i = offset; i < offset + 4; i++) {
    const c = buf[i]!;
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/**
 * True when chunks after the data chunk run exactly to the end of the file: a finished file with
 * trailing metadata (a `LIST` chunk, say), which must not be taken for audio.
 */
async function trailingChunksFit(handle: FileHandle, from: number, size: number): Promise<boolean> {
  const head = Buffer.alloc(8);
  let offset = from;
  for (let i = 0; i < 16 && offset + 8 <= size; i++) {
    const { bytesRead } = await handle.read(head, 0, 8, offset);
    if (bytesRead < 8 || !isChunkId(head, 0)) return false;
    const length = head.readUInt32LE(4);
    offset += 8 + length + (length % 2);
    if (offset === size) return true;
  }
  return false;
}

/** Where a PCM16 WAV file keeps its format and its data. */
export interface WavLayout {
  sampleRate: number;
  channels: number;
  /** Bytes per sample frame: channels × 2. */
  blockAlign: number;
  /** Byte offset of the first data byte. */
  dataOffset: number;
  /** The data chunk's size field. */
  declaredBytes: number;
}

/**
 * The `fmt ` and `data` chunks of a PCM16 WAV file, from its first bytes.
 *
 * @throws RtmsError `INVALID_OPTIONS` when the file is not RIFF/WAVE with 16-bit PCM.
 */
async function wavLayoutOf(handle: FileHandle, size: number, path: string): Promise<WavLayout> {
  const head = Buffer.alloc(Math.min(size, REPAIR_SCAN_BYTES));
  await handle.read(head, 0, head.length, 0);
  if (
    head.length < 12 ||
    head.toString('ascii', 0, 4) !== 'RIFF' ||
    head.toString('ascii', 8, 12) !== 'WAVE'
  ) {
    throw notPcm16(path, 'no RIFF/WAVE header');
  }
  let format: { sampleRate: number; channels: number } | undefined;
  let offset = 12;
  while (offset + 8 <= head.length) {
    const id = head.toString('ascii', offset, offset + 4);
    const length = head.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      if (offset + 8 + 16 > head.length) throw notPcm16(path, 'truncated fmt chunk');
      const tag = head.readUInt16LE(offset + 8);
      const channels = head.readUInt16LE(offset + 10);
      const bits = head.readUInt16LE(offset + 22);
      if (tag !== WAVE_FORMAT_PCM) throw notPcm16(path, `format tag ${tag}, not PCM (1)`);
      if (bits !== 16) throw notPcm16(path, `${bits} bits per sample`);
      if (channels < 1) throw notPcm16(path, 'no channels');
      format = { sampleRate: head.readUInt32LE(offset + 12), channels };
    } else if (id === 'data') {
      if (format === undefined) throw notPcm16(path, 'data chunk before the fmt chunk');
      const blockAlign = format.channels * BYTES_PER_SAMPLE;
      return { ...format, blockAlign, dataOffset: offset + 8, declaredBytes: length };
    }
    offset += 8 + length + (length % 2);
  }
  throw notPcm16(path, format === undefined ? 'no fmt chunk' : 'no data chunk');
}

/**
 * The format and data chunk of a PCM16 WAV file.
 *
 * @throws RtmsError `INVALID_OPTIONS` when the file is not RIFF/WAVE with 16-bit PCM.
 */
export async function readWavLayout(path: string): Promise<WavLayout> {
  const handle = await open(path, 'r');
  try {
    return await wavLayoutOf(handle, (await handle.stat()).size, path);
  } finally {
    await handle.close();
  }
}

/**
 * Fixes a WAV file left by a process that was killed while writing: the RIFF and data sizes are set
 * from the file's length, and a trailing partial sample frame is cut off. A file whose sizes are right
 * is left alone.
 *
 * @throws RtmsError `INVALID_OPTIONS` when the file is not RIFF/WAVE with 16-bit PCM.
 */
export async function repairWav(path: string): Promise<WavRepair> {
  const handle = await open(path, 'r+');
  try {
    const { size } = await handle.stat();
    const { blockAlign, dataOffset, declaredBytes: length } = await wavLayoutOf(handle, size, path);
    const available = Math.max(0, size - dataOffset);
    const dataBytes = Math.min(available - (available % blockAlign), MAX_WAV_DATA_BYTES);
    const riffBytes = dataOffset - 8 + dataBytes;
    const declaredEnd = dataOffset + length + (length % 2);
    if (length < available && (await trailingChunksFit(handle, declaredEnd, size))) {
      return { repaired: false, dataBytes: length };
    }
    const sizes = Buffer.alloc(4);
    await handle.read(sizes, 0, 4, 4);
    const fileBytes = dataOffset + dataBytes;
    if (length === dataBytes && sizes.readUInt32LE(0) === riffBytes && size === fileBytes) {
      return { repaired: false, dataBytes };
    }
    if (size !== fileBytes) await handle.truncate(fileBytes);
    sizes.writeUInt32LE(riffBytes, 0);
    await handle.write(sizes, 0, 4, 4);
    sizes.writeUInt32LE(dataBytes, 0);
    await handle.write(sizes, 0, 4, dataOffset - 4);
    return { repaired: true, dataBytes };
  } finally {
    await handle.close();
  }
}
