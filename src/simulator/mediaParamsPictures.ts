/** Zoom's answer to `media_params.video` and `.deskshare`: confirmed picture parameters, or a refusal. */
import { PROTOCOL_DEFAULT_PARAMS } from '../protocol/defaults.js';
import { Codec, ContentType, type Resolution, StatusCode } from '../protocol/enums.js';
import {
  DESKSHARE_FALLBACK_FPS,
  isOneOf,
  isValidFps,
  MAX_IMAGE_CODEC_FPS,
  PICTURE_CODECS,
  RESOLUTIONS,
  VIDEO_DATA_OPTIONS,
} from '../protocol/mediaRules.js';
import type { DeskshareParams, VideoParams } from '../protocol/messages.js';
import { type Rejection, reject } from './mediaParamsRejection.js';

function isResolution(value: unknown): value is Resolution {
  return isOneOf(value, RESOLUTIONS);
}

export function negotiateVideo(raw: Record<string, unknown>): Required<VideoParams> | Rejection {
  const defaults = PROTOCOL_DEFAULT_PARAMS.video;
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

export function negotiateDeskshare(raw: Record<string, unknown>): Required<DeskshareParams> | Rejection {
  const defaults = PROTOCOL_DEFAULT_PARAMS.deskshare;
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
