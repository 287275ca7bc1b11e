/**
 * What the service asks Zoom for beyond its defaults, from its configuration: per-speaker audio
 * (`data_opt` 2, for the layouts `per-speaker` and `both`, since Zoom sends only the mixed stream unless
 * asked), and the audio and picture codecs.
 */
import { Codec, DataOption, SampleRate } from '../protocol/enums.js';
import type { AudioParams, DeskshareParams, MediaParams, VideoParams } from '../protocol/messages.js';
import type { AudioCodecSetting, ServiceConfig, VideoCodecSetting } from './serviceConfig.js';

/** Each audio codec at the rate it is made for: G.711 is narrowband, G.722 wideband, Opus full band. */
const AUDIO_CODEC_PARAMS: Readonly<Record<AudioCodecSetting, Pick<AudioParams, 'codec' | 'sample_rate'>>> = {
  l16: { codec: Codec.L16, sample_rate: SampleRate.SR_16K },
  g711: { codec: Codec.G711, sample_rate: SampleRate.SR_8K },
  g722: { codec: Codec.G722, sample_rate: SampleRate.SR_16K },
  opus: { codec: Codec.OPUS, sample_rate: SampleRate.SR_48K },
};

/** H.264 is asked for at a rate video plays smoothly at; stills stay at Zoom's default rate. */
const H264_FPS = 25;

const PICTURE_CODECS: Readonly<Record<VideoCodecSetting, Codec>> = {
  jpg: Codec.JPG,
  png: Codec.PNG,
  h264: Codec.H264,
};

/** The media parameters the service's streams ask for; none when every setting is Zoom's default. */
export function streamMediaParams(config: ServiceConfig): { mediaParams?: MediaParams } {
  const params: MediaParams = {};
  if (config.media.includes('audio')) {
    const audio: AudioParams = {};
    if (config.audioLayout === 'per-speaker' || config.audioLayout === 'both')
      audio.data_opt = DataOption.AUDIO_MULTI_STREAMS;
    if (config.audioCodec !== 'l16') Object.assign(audio, AUDIO_CODEC_PARAMS[config.audioCodec]);
    if (Object.keys(audio).length > 0) params.audio = audio;
  }
  if (config.videoCodec !== 'jpg') {
    const codec = PICTURE_CODECS[config.videoCodec];
    const fps = codec === Codec.H264 ? { fps: H264_FPS } : {};
    if (config.media.includes('video')) params.video = { codec, ...fps } satisfies VideoParams;
    if (config.media.includes('deskshare')) params.deskshare = { codec, ...fps } satisfies DeskshareParams;
  }
  return Object.keys(params).length === 0 ? {} : { mediaParams: params };
}
