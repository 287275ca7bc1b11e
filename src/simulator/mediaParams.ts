/**
 * The simulator's answer to a DATA_HAND_SHAKE_REQ (msg 3): which media kinds a client gets and with which
 * parameters, or the status code Zoom would reject the request with (RTMS-PROTOCOL.md §4.2, §4.3, §5.3).
 *
 * A field set to `null` is treated like an omitted one (as `media_params: null` is): the reference does
 * not say what Zoom does with `null`, and JSON encoders commonly write unset optionals that way.
 */

import { PROTOCOL_DEFAULT_PARAMS } from '../protocol/defaults.js';
import { MEDIA_KINDS, type MediaKind, MediaType, mediaKindsOf, StatusCode } from '../protocol/enums.js';
import type {
  AudioParams,
  ChatParams,
  DeskshareParams,
  MediaParams,
  TranscriptParams,
  VideoParams,
} from '../protocol/messages.js';
import { negotiateAudio } from './mediaParamsAudio.js';
import { negotiateDeskshare, negotiateVideo } from './mediaParamsPictures.js';
import { isObject, isRejection, type Rejection, reject } from './mediaParamsRejection.js';
import { negotiateChat, negotiateTranscript } from './mediaParamsText.js';

/**
 * The outcome of {@link negotiateMedia}: the kinds and confirmed parameters to echo in msg 4, or the
 * `status_code` and `reason` to reject it with.
 */
export type NegotiationResult = { ok: true; kinds: MediaKind[]; params: MediaParams } | Rejection;

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
