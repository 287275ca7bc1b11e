/** Post-processing of finished recordings by FFmpeg: decoded G.722 and Opus, audio copies, MP4. */
export {
  ENCODE_TIMEOUT_MS,
  Encoder,
  type EncoderOptions,
  hasEncodingWork,
  needsEncoding,
} from './Encoder.js';
export { ffmpegVersion } from './ffmpeg.js';
export {
  ENCODE_FORMATS,
  type EncodedOutput,
  type EncodeFailure,
  type EncodeFormat,
  type EncodingState,
  type OutputFormat,
} from './types.js';
