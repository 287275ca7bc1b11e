/**
 * The simulator's answer to a DATA_HAND_SHAKE_REQ (msg 3): which media kinds a client gets and with which
 * parameters, or the status code Zoom would reject the request with (RTMS-PROTOCOL.md §4.2, §4.3, §5.3).
 *
 * A field set to `null` is treated like an omitted one (as `media_params: null` is): the reference does
 * not say what Zoom does with `null`, and JSON encoders commonly write unset optionals that way.
 */

import { PROTOCOL_DEFAULT_PARAMS } from '../protocol/defaults.js';
import {
  AudioChannel,
  Codec,
  ContentType,
  MEDIA_KINDS,
  type MediaKind,
  MediaType,
  mediaKindsOf,
  type Resolution,
  StatusCode,
} from '../protocol/enums.js';
import {
  AUDIO_CHANNELS,
  AUDIO_CODECS,
  AUDIO_CONTENT_TYPES,
  AUDIO_DATA_OPTIONS,
  AUDIO_SAMPLE_RATES,
  isOneOf,
  isValidFps,
  isValidSendRate,
  isValidTranscriptLanguage,
  MAX_IMAGE_CODEC_FPS,
  MAX_SEND_RATE_MS,
  PICTURE_CODECS,
  RESOLUTIONS,
  STEREO_CODEC,
  VIDEO_DATA_OPTIONS,
} from '../protocol/mediaRules.js';
import type {
  AudioParams,
  ChatParams,
  DeskshareParams,
  MediaParams,
  TranscriptParams,
  VideoParams,
} from '../protocol/messages.js';

/**
 * The outcome of {@link negotiateMedia}: the kinds and confirmed parameters to echo in msg 4, or the
 * `status_code` and `reason` to reject it with.
 */
export type NegotiationResult =
  | { ok: true; kinds: MediaKind[]; params: MediaParams }
  | { ok: false; status: StatusCode; reason: string };

type Rejection = Extract<NegotiationResult, { ok: false }>;

/** Audio parameters Zoom fills in for omitted fields (the protocol's table). */
export const DEFAULT_AUDIO_PARAMS: Readonly<Required<AudioParams>> = PROTOCOL_DEFAULT_PARAMS.audio;
export const DEFAULT_VIDEO_PARAMS: Readonly<Required<VideoParams>> = PROTOCOL_DEFAULT_PARAMS.video;
export const DEFAULT_DESKSHARE_PARAMS: Readonly<Required<DeskshareParams>> =
  PROTOCOL_DEFAULT_PARAMS.deskshare;
export const DEFAULT_TRANSCRIPT_PARAMS: Readonly<Required<TranscriptParams>> =
  PROTOCOL_DEFAULT_PARAMS.transcript;
export const DEFAULT_CHAT_PARAMS: Readonly<Required<ChatParams>> = PROTOCOL_DEFAULT_PARAMS.chat;

/** Every MEDIA_DATA_TYPE bit set; the bits are contiguous, so any larger mask sets an unknown bit. */
const KNOWN_MEDIA_BITS =
  MediaType.AUDIO |
  MediaType.VIDEO |
  MediaType.DESKSHARE |
  MediaType.TRANSCRIPT |
  MediaType.CHAT |
  MediaType.ALL;

/** Zoom's documented screen-share fallback when a client asks for more than this without naming a codec. */
const DESKSHARE_FALLBACK_FPS = 1;

const NOT_SUPPORTED_STATUS: Readonly<Record<MediaKind, StatusCode>> = {
  audio: StatusCode.STATUS_MEDIA_TYPE_AUDIO_NOT_SUPPORT,
  video: StatusCode.STATUS_MEDIA_TYPE_VIDEO_NOT_SUPPORT,
  deskshare: StatusCode.STATUS_MEDIA_TYPE_DESKSHARE_NOT_SUPPORT,
  transcript: StatusCode.STATUS_MEDIA_TYPE_TRANSCRIPT_NOT_SUPPORT,
  chat: StatusCode.STATUS_MEDIA_TYPE_CHAT_NOT_SUPPORT,
};

const PARAMS_STATUS: Readonly<Record<MediaKind, StatusCode>> = {
  audio: StatusCode.STATUS_INVALID_MEDIA_AUDIO_PARAMS,
  video: StatusCode.STATUS_INVALID_MEDIA_VIDEO_PARAMS,
  deskshare: StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_PARAMS,
  transcript: StatusCode.STATUS_INVALID_MEDIA_TRANSCRIPT_PARAMS,
  chat: StatusCode.STATUS_INVALID_MEDIA_CHAT_PARAMS,
};

/**
 * Validates the `media_type` and `media_params` of a DATA_HAND_SHAKE_REQ the way Zoom does.
 *
 * @param mediaType - the raw `media_type` field.
 * @param mediaParams - the raw `media_params` field; `undefined` or `null` means defaults for every kind.
 * @param allowedKinds - the kinds the app's scopes allow; `ALL` (32) resolves to exactly these.
 * @returns the kinds in MEDIA_KINDS order with their confirmed parameters (every field present, defaults
 *   filled in, only for the requested kinds), or the first problem found as a status code and reason.
 */
export function negotiateMedia(
  mediaType: unknown,
  mediaParams: unknown,
  allowedKinds: ReadonlySet<MediaKind>,
): NegotiationResult {
  const kinds = requestedKinds(mediaType, allowedKinds);
  if (isRejection(kinds)) return kinds;

  if (mediaParams != null && !isObject(mediaParams)) {
    return reject(StatusCode.STATUS_INVALID_MEDIA_PARAMS, 'media_params must be an object');
  }
  const supplied = mediaParams ?? {};
  const params: MediaParams = {};
  for (const kind of kinds) {
    const raw = supplied[kind] ?? {};
    if (!isObject(raw)) return reject(PARAMS_STATUS[kind], `media_params.${kind} must be an object`);
    switch (kind) {
      case 'audio': {
        const audio = negotiateAudio(raw);
        if (isRejection(audio)) return audio;
        params.audio = audio;
        break;
      }
      case 'video': {
        const video = negotiateVideo(raw);
        if (isRejection(video)) return video;
        params.video = video;
        break;
      }
      case 'deskshare': {
        const deskshare = negotiateDeskshare(raw);
        if (isRejection(deskshare)) return deskshare;
        params.deskshare = deskshare;
        break;
      }
      case 'transcript': {
        const transcript = negotiateTranscript(raw);
        if (isRejection(transcript)) return transcript;
        params.transcript = transcript;
        break;
      }
      case 'chat': {
        const chat = negotiateChat(raw);
        if (isRejection(chat)) return chat;
        params.chat = chat;
        break;
      }
    }
  }
  return { ok: true, kinds, params };
}

function requestedKinds(mediaType: unknown, allowedKinds: ReadonlySet<MediaKind>): MediaKind[] | Rejection {
  if (typeof mediaType !== 'number' || !Number.isInteger(mediaType) || mediaType <= 0) {
    return reject(StatusCode.STATUS_INVALID_MEDIA_TYPE, 'media_type must be a positive integer bitmask');
  }
  // Compared, not masked: bitwise operators truncate to 32 bits and would hide bits above 2^31.
  if (mediaType > KNOWN_MEDIA_BITS) {
    return reject(
      StatusCode.STATUS_MEDIA_TYPE_INVALID_VALUE,
      'media_type may only set bits 1 (audio), 2 (video), 4 (deskshare), 8 (transcript), 16 (chat), 32 (all)',
    );
  }
  if (mediaType & MediaType.ALL) {
    // ALL asks for whatever the scopes allow, so it cannot be "not supported"; bits beside it add nothing.
    const kinds = MEDIA_KINDS.filter((kind) => allowedKinds.has(kind));
    if (kinds.length === 0) {
      return reject(
        StatusCode.STATUS_INVALID_MEDIA_TYPE,
        "media_type 32 (all), but the app's scopes allow no media",
      );
    }
    return kinds;
  }
  const kinds = mediaKindsOf(mediaType);
  const denied = kinds.find((kind) => !allowedKinds.has(kind));
  if (denied !== undefined) {
    return reject(
      NOT_SUPPORTED_STATUS[denied],
      `media_type asks for ${denied}, which the app's scopes do not allow`,
    );
  }
  return kinds;
}

function negotiateAudio(raw: Record<string, unknown>): Required<AudioParams> | Rejection {
  const defaults = DEFAULT_AUDIO_PARAMS;
  // RTP (1) is a deprecated alias Zoom's own samples still send; it is echoed as sent, not rewritten to 2.
  const contentType = raw.content_type ?? defaults.content_type;
  if (!isOneOf(contentType, AUDIO_CONTENT_TYPES)) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_AUDIO_CONTENT_TYPE,
      'audio.content_type must be 1 (RTP, deprecated) or 2 (RAW_AUDIO)',
    );
  }
  const sampleRate = raw.sample_rate ?? defaults.sample_rate;
  if (!isOneOf(sampleRate, AUDIO_SAMPLE_RATES)) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_AUDIO_SAMPLE_RATE,
      'audio.sample_rate must be 0 (8 kHz), 1 (16 kHz), 2 (32 kHz) or 3 (48 kHz)',
    );
  }
  const channel = raw.channel ?? defaults.channel;
  if (!isOneOf(channel, AUDIO_CHANNELS)) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_AUDIO_CHANNEL,
      'audio.channel must be 1 (mono) or 2 (stereo)',
    );
  }
  const codec = raw.codec ?? defaults.codec;
  if (!isOneOf(codec, AUDIO_CODECS)) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_AUDIO_CODEC,
      'audio.codec must be 1 (L16), 2 (G711), 3 (G722) or 4 (OPUS)',
    );
  }
  // Checked against the effective codec: stereo with the codec left out means stereo L16, which Zoom refuses.
  if (channel === AudioChannel.STEREO && codec !== STEREO_CODEC) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_AUDIO_CHANNEL,
      'audio.channel 2 (stereo) needs codec 4 (OPUS)',
    );
  }
  const dataOpt = raw.data_opt ?? defaults.data_opt;
  if (!isOneOf(dataOpt, AUDIO_DATA_OPTIONS)) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_AUDIO_DATA_OPT,
      'audio.data_opt must be 1 (AUDIO_MIXED_STREAM) or 2 (AUDIO_MULTI_STREAMS)',
    );
  }
  const sendRate = raw.send_rate ?? defaults.send_rate;
  // The multiple-of-20 rule applies before clamping, so 1010 is refused rather than clamped to 1000.
  if (!isValidSendRate(sendRate)) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_AUDIO_SEND_RATE,
      'audio.send_rate must be a positive multiple of 20 (ms); above 1000 is clamped to 1000',
    );
  }
  return {
    content_type: contentType,
    sample_rate: sampleRate,
    channel,
    codec,
    data_opt: dataOpt,
    send_rate: Math.min(sendRate, MAX_SEND_RATE_MS),
  };
}

function negotiateVideo(raw: Record<string, unknown>): Required<VideoParams> | Rejection {
  const defaults = DEFAULT_VIDEO_PARAMS;
  const contentType = raw.content_type ?? defaults.content_type;
  if (contentType !== ContentType.RAW_VIDEO) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_VIDEO_CONTENT_TYPE,
      'video.content_type must be 3 (RAW_VIDEO)',
    );
  }
  const codec = raw.codec ?? defaults.codec;
  if (!isOneOf(codec, PICTURE_CODECS)) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_VIDEO_CODEC,
      'video.codec must be 5 (JPG), 6 (PNG) or 7 (H264)',
    );
  }
  const resolution = raw.resolution ?? defaults.resolution;
  if (!isResolution(resolution)) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_VIDEO_RESOLUTION,
      'video.resolution must be 1 (SD), 2 (HD), 3 (FHD) or 4 (QHD)',
    );
  }
  const dataOpt = raw.data_opt ?? defaults.data_opt;
  if (!isOneOf(dataOpt, VIDEO_DATA_OPTIONS)) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_VIDEO_DATA_OPT,
      'video.data_opt must be 3 (VIDEO_SINGLE_ACTIVE_STREAM) or 4 (VIDEO_SINGLE_INDIVIDUAL_STREAM)',
    );
  }
  const fps = raw.fps ?? defaults.fps;
  if (!isValidFps(fps)) {
    return reject(StatusCode.STATUS_INVALID_MEDIA_VIDEO_FPS, 'video.fps must be an integer from 1 to 30');
  }
  if (fps > MAX_IMAGE_CODEC_FPS) {
    // Zoom documents a silent fallback for a fast stream with no codec named, but an explicit image codec
    // at that rate is a contradiction it refuses.
    if (raw.codec == null) {
      return {
        content_type: contentType,
        codec: Codec.JPG,
        resolution,
        data_opt: dataOpt,
        fps: MAX_IMAGE_CODEC_FPS,
      };
    }
    if (codec !== Codec.H264) {
      return reject(
        StatusCode.STATUS_INVALID_MEDIA_VIDEO_CODEC,
        'video.codec 5 (JPG) or 6 (PNG) needs fps <= 5',
      );
    }
  }
  return { content_type: contentType, codec, resolution, data_opt: dataOpt, fps };
}

function negotiateDeskshare(raw: Record<string, unknown>): Required<DeskshareParams> | Rejection {
  const defaults = DEFAULT_DESKSHARE_PARAMS;
  const contentType = raw.content_type ?? defaults.content_type;
  if (contentType !== ContentType.RAW_VIDEO) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_CONTENT_TYPE,
      'deskshare.content_type must be 3 (RAW_VIDEO)',
    );
  }
  const codec = raw.codec ?? defaults.codec;
  if (!isOneOf(codec, PICTURE_CODECS)) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_CODEC,
      'deskshare.codec must be 5 (JPG), 6 (PNG) or 7 (H264)',
    );
  }
  const resolution = raw.resolution ?? defaults.resolution;
  if (!isResolution(resolution)) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_RESOLUTION,
      'deskshare.resolution must be 1 (SD), 2 (HD), 3 (FHD) or 4 (QHD)',
    );
  }
  const fps = raw.fps ?? defaults.fps;
  if (!isValidFps(fps)) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_FPS,
      'deskshare.fps must be an integer from 1 to 30',
    );
  }
  // The fallback with no codec named is documented at 1 fps, so the simulator applies it from 2 fps up.
  if (raw.codec == null && fps > DESKSHARE_FALLBACK_FPS) {
    return { content_type: contentType, codec: Codec.JPG, resolution, fps: DESKSHARE_FALLBACK_FPS };
  }
  // CONFLICT (§4.2, §9 item 12): the handshake table caps JPG/PNG screen share at 1 fps, the
  // MEDIA_PAYLOAD_TYPE comment and the SDK's own validation at 5. The SDK is what clients are tested
  // against, so 5 it is.
  if (codec !== Codec.H264 && fps > MAX_IMAGE_CODEC_FPS) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_CODEC,
      'deskshare.codec 5 (JPG) or 6 (PNG) needs fps <= 5',
    );
  }
  return { content_type: contentType, codec, resolution, fps };
}

function negotiateTranscript(raw: Record<string, unknown>): Required<TranscriptParams> | Rejection {
  const defaults = DEFAULT_TRANSCRIPT_PARAMS;
  const contentType = raw.content_type ?? defaults.content_type;
  if (contentType !== ContentType.TEXT) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_TRANSCRIPT_CONTENT_TYPE,
      'transcript.content_type must be 5 (TEXT)',
    );
  }
  // Older RTMSManager versions send `language`; Zoom's Python library rewrites it to `src_language` (§4.2).
  const languageKey = raw.src_language == null && raw.language != null ? 'language' : 'src_language';
  const srcLanguage = raw[languageKey] ?? defaults.src_language;
  if (!isValidTranscriptLanguage(srcLanguage)) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_TRANSCRIPT_SOURCE_LANGUAGE,
      `transcript.${languageKey} must be an integer from -1 (NONE) to 36 (VIETNAMESE)`,
    );
  }
  // Zoom has no status code of its own for enable_lid; the kind-wide one is the closest.
  const enableLid = raw.enable_lid ?? defaults.enable_lid;
  if (typeof enableLid !== 'boolean') {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_TRANSCRIPT_PARAMS,
      'transcript.enable_lid must be true or false',
    );
  }
  return { content_type: contentType, src_language: srcLanguage, enable_lid: enableLid };
}

function negotiateChat(raw: Record<string, unknown>): Required<ChatParams> | Rejection {
  const contentType = raw.content_type ?? DEFAULT_CHAT_PARAMS.content_type;
  if (contentType !== ContentType.TEXT) {
    return reject(StatusCode.STATUS_INVALID_MEDIA_CHAT_CONTENT_TYPE, 'chat.content_type must be 5 (TEXT)');
  }
  return { content_type: contentType };
}

function reject(status: StatusCode, reason: string): Rejection {
  return { ok: false, status, reason };
}

function isRejection<T>(value: T | Rejection): value is Rejection {
  return typeof value === 'object' && value !== null && 'ok' in value && value.ok === false;
}

/** A JSON object: arrays are refused too, since Zoom's parser would not read keys from one. */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isResolution(value: unknown): value is Resolution {
  return isOneOf(value, RESOLUTIONS);
}
