/**
 * The rules Zoom applies to `media_params` (RTMS-PROTOCOL.md §4.2): which values each field may take.
 * The client refuses what breaks them before connecting; the simulator answers them with Zoom's status
 * codes.
 */
import {
  AudioChannel,
  Codec,
  ContentType,
  DataOption,
  Resolution,
  SampleRate,
  TranscriptLanguage,
} from './enums.js';

export const AUDIO_CONTENT_TYPES: readonly number[] = [ContentType.RTP, ContentType.RAW_AUDIO];
export const AUDIO_SAMPLE_RATES: readonly number[] = [
  SampleRate.SR_8K,
  SampleRate.SR_16K,
  SampleRate.SR_32K,
  SampleRate.SR_48K,
];
export const AUDIO_CHANNELS: readonly number[] = [AudioChannel.MONO, AudioChannel.STEREO];
export const AUDIO_CODECS: readonly number[] = [Codec.L16, Codec.G711, Codec.G722, Codec.OPUS];
export const AUDIO_DATA_OPTIONS: readonly number[] = [
  DataOption.AUDIO_MIXED_STREAM,
  DataOption.AUDIO_MULTI_STREAMS,
];
/** Only Opus carries stereo. */
export const STEREO_CODEC = Codec.OPUS;
/** `send_rate` is counted in whole 20 ms audio packets. */
export const SEND_RATE_STEP_MS = 20;
/** Longest `send_rate` Zoom honours; longer ones are clamped, not refused. */
export const MAX_SEND_RATE_MS = 1000;

/** Video and screen-share codecs. */
export const PICTURE_CODECS: readonly number[] = [Codec.JPG, Codec.PNG, Codec.H264];
/** Still-image codecs, which Zoom offers only at low frame rates. */
export const IMAGE_CODECS: readonly number[] = [Codec.JPG, Codec.PNG];
export const RESOLUTIONS: readonly number[] = [Resolution.SD, Resolution.HD, Resolution.FHD, Resolution.QHD];
/** 5 (VIDEO_MIXED_GALLERY_VIEW) exists only in the SDK header; the official enum stops at 4. */
export const VIDEO_DATA_OPTIONS: readonly number[] = [
  DataOption.VIDEO_SINGLE_ACTIVE_STREAM,
  DataOption.VIDEO_SINGLE_INDIVIDUAL_STREAM,
];
export const MIN_FPS = 1;
export const MAX_FPS = 30;
/** JPG and PNG go up to this rate; faster streams need H.264. */
export const MAX_IMAGE_CODEC_FPS = 5;
/** Screen share asked for faster than this without naming a codec: Zoom sends JPG at this rate. */
export const DESKSHARE_FALLBACK_FPS = 1;

export const MIN_TRANSCRIPT_LANGUAGE = TranscriptLanguage.NONE;
export const MAX_TRANSCRIPT_LANGUAGE = TranscriptLanguage.VIETNAMESE;

/** `value` is one of `allowed`. */
export function isOneOf(value: unknown, allowed: readonly number[]): value is number {
  return typeof value === 'number' && allowed.includes(value);
}

/** An integer frame rate Zoom accepts. */
export function isValidFps(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= MIN_FPS && value <= MAX_FPS;
}

/** A positive whole number of 20 ms packets (before clamping to {@link MAX_SEND_RATE_MS}). */
export function isValidSendRate(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value % SEND_RATE_STEP_MS === 0;
}

/** A `TranscriptLanguage` value, -1 (none) to 36. */
export function isValidTranscriptLanguage(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= MIN_TRANSCRIPT_LANGUAGE &&
    value <= MAX_TRANSCRIPT_LANGUAGE
  );
}
