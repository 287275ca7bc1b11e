/**
 * The most-significant-bit-first CRC-32 (polynomial 0x04C11DB7, not reflected, no final XOR) that both
 * MPEG transport stream tables (initial value all ones) and Ogg pages (initial value 0) are checked with.
 * zlib's CRC-32 is the reflected one, so it cannot serve.
 */
const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let bit = 0; bit < 8; bit++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[i] = c >>> 0;
  }
  return table;
})();

export function crc32Msb(data: Uint8Array, initial: number): number {
  let crc = initial >>> 0;
  for (const byte of data) crc = ((crc << 8) ^ (TABLE[((crc >>> 24) ^ byte) & 0xff] ?? 0)) >>> 0;
  return crc;
}
