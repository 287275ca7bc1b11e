/**
 * The media parameters Zoom fills in for fields a DATA_HAND_SHAKE_REQ leaves out. One table: the client
 * reads it to describe what it receives, the simulator to answer what it was asked.
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
import type { AudioParams, ChatParams, DeskshareParams, TranscriptParams, VideoParams } from './messages.js';

/** Every field of every kind filled in. */
export interface DefaultMediaParams {
  audio: Readonly<Required<AudioParams>>;
  video: Readonly<Required<VideoParams>>;
  deskshare: Readonly<Required<DeskshareParams>>;
  transcript: Readonly<Required<TranscriptParams>>;
  chat: Readonly<Required<ChatParams>>;
}

export const PROTOCOL_DEFAULT_PARAMS: Readonly<DefaultMediaParams> = Object.freeze({
  /** L16, 16 kHz, mono, mixed, one packet per 20 ms. */
  audio: Object.freeze({
    content_type: ContentType.RAW_AUDIO,
    sample_rate: SampleRate.SR_16K,
    channel: AudioChannel.MONO,
    codec: Codec.L16,
    data_opt: DataOption.AUDIO_MIXED_STREAM,
    send_rate: 20,
  }),
  /** Active speaker, JPG, HD, 5 fps. */
  video: Object.freeze({
    content_type: ContentType.RAW_VIDEO,
    codec: Codec.JPG,
    resolution: Resolution.HD,
    data_opt: DataOption.VIDEO_SINGLE_ACTIVE_STREAM,
    fps: 5,
  }),
  /** JPG, FHD, 1 fps. */
  deskshare: Object.freeze({
    content_type: ContentType.RAW_VIDEO,
    codec: Codec.JPG,
    resolution: Resolution.FHD,
    fps: 1,
  }),
  /** English, language identification on. */
  transcript: Object.freeze({
    content_type: ContentType.TEXT,
    src_language: TranscriptLanguage.ENGLISH,
    enable_lid: true,
  }),
  chat: Object.freeze({ content_type: ContentType.TEXT }),
});
