/** Zoom's answer to `media_params.audio`: the confirmed audio parameters, or the status refusing them. */
import { PROTOCOL_DEFAULT_PARAMS } from '../protocol/defaults.js';
import { AudioChannel, StatusCode } from '../protocol/enums.js';
import {
  AUDIO_CHANNELS,
  AUDIO_CODECS,
  AUDIO_CONTENT_TYPES,
  AUDIO_DATA_OPTIONS,
  AUDIO_SAMPLE_RATES,
  isOneOf,
  isValidSendRate,
  MAX_SEND_RATE_MS,
  STEREO_CODEC,
} from '../protocol/mediaRules.js';
import type { AudioParams } from '../protocol/messages.js';
import { type Rejection, reject } from './mediaParamsRejection.js';

export function negotiateAudio(raw: Record<string, unknown>): Required<AudioParams> | Rejection {
  const defaults = PROTOCOL_DEFAULT_PARAMS.audio;
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
