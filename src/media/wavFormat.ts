/** The PCM16 WAV layout rtmskit writes: a canonical 44-byte header, then the samples. */

/** Bytes of the canonical header WavWriter writes: RIFF, `fmt ` (16 bytes) and `data` chunk headers. */
export const WAV_HEADER_BYTES = 44;

/** The data chunk's size field is 32 bits and the RIFF size adds 36 to it. */
export const MAX_WAV_DATA_BYTES = 0xffff_ffff - (WAV_HEADER_BYTES - 8);

export const BYTES_PER_SAMPLE = 2;
export const WAVE_FORMAT_PCM = 1;
