import { describe, expect, it } from 'vitest';
import {
  AudioChannel,
  Codec,
  ContentType,
  DataOption,
  MEDIA_KIND_BIT,
  MEDIA_KINDS,
  type MediaKind,
  MediaType,
  Resolution,
  SampleRate,
  StatusCode,
  TranscriptLanguage,
} from '../../src/protocol/enums.js';
import type { MediaParams } from '../../src/protocol/messages.js';
import {
  DEFAULT_AUDIO_PARAMS,
  DEFAULT_CHAT_PARAMS,
  DEFAULT_DESKSHARE_PARAMS,
  DEFAULT_TRANSCRIPT_PARAMS,
  DEFAULT_VIDEO_PARAMS,
  type NegotiationResult,
  negotiateMedia,
} from '../../src/simulator/mediaParams.js';

const EVERY_KIND: ReadonlySet<MediaKind> = new Set(MEDIA_KINDS);

function statusOf(result: NegotiationResult): StatusCode {
  return result.ok ? StatusCode.STATUS_OK : result.status;
}

/** The confirmed params of an accepted request; a rejection fails the test with Zoom's reason. */
function confirmed(result: NegotiationResult): MediaParams {
  if (!result.ok) throw new Error(`rejected with ${StatusCode[result.status]}: ${result.reason}`);
  return result.params;
}

/** Negotiates one kind with every kind allowed. */
function one(kind: MediaKind, params: Record<string, unknown>): NegotiationResult {
  return negotiateMedia(MEDIA_KIND_BIT[kind], { [kind]: params }, EVERY_KIND);
}

describe('negotiateMedia: media_type', () => {
  it('refuses a media_type that is not a positive integer with STATUS_INVALID_MEDIA_TYPE', () => {
    for (const mediaType of [0, -1, -32, 1.5, Number.NaN, '1', undefined, null, true]) {
      expect(statusOf(negotiateMedia(mediaType, undefined, EVERY_KIND)), String(mediaType)).toBe(
        StatusCode.STATUS_INVALID_MEDIA_TYPE,
      );
    }
  });

  it('refuses bits outside 1..63 with STATUS_MEDIA_TYPE_INVALID_VALUE', () => {
    for (const mediaType of [64, 65, 128, 2 ** 32 + 1]) {
      expect(statusOf(negotiateMedia(mediaType, undefined, EVERY_KIND)), String(mediaType)).toBe(
        StatusCode.STATUS_MEDIA_TYPE_INVALID_VALUE,
      );
    }
    expect(statusOf(negotiateMedia(63, undefined, EVERY_KIND))).toBe(StatusCode.STATUS_OK);
  });

  it('resolves ALL (32) to the allowed kinds, in MEDIA_KINDS order, each with its defaults', () => {
    const result = negotiateMedia(MediaType.ALL, undefined, new Set<MediaKind>(['transcript', 'audio']));
    expect(result).toEqual({
      ok: true,
      kinds: ['audio', 'transcript'],
      params: { audio: DEFAULT_AUDIO_PARAMS, transcript: DEFAULT_TRANSCRIPT_PARAMS },
    });
  });

  it('refuses ALL with STATUS_INVALID_MEDIA_TYPE when the scopes allow no kind', () => {
    expect(statusOf(negotiateMedia(MediaType.ALL, undefined, new Set()))).toBe(
      StatusCode.STATUS_INVALID_MEDIA_TYPE,
    );
  });

  it('refuses a kind the scopes do not allow with that kind’s NOT_SUPPORT code, first one first', () => {
    const expected: Record<MediaKind, StatusCode> = {
      audio: StatusCode.STATUS_MEDIA_TYPE_AUDIO_NOT_SUPPORT,
      video: StatusCode.STATUS_MEDIA_TYPE_VIDEO_NOT_SUPPORT,
      deskshare: StatusCode.STATUS_MEDIA_TYPE_DESKSHARE_NOT_SUPPORT,
      transcript: StatusCode.STATUS_MEDIA_TYPE_TRANSCRIPT_NOT_SUPPORT,
      chat: StatusCode.STATUS_MEDIA_TYPE_CHAT_NOT_SUPPORT,
    };
    for (const kind of MEDIA_KINDS) {
      const allowed = new Set(MEDIA_KINDS.filter((other) => other !== kind));
      expect(statusOf(negotiateMedia(MEDIA_KIND_BIT[kind], undefined, allowed)), kind).toBe(expected[kind]);
      // The full mask too: the refused kind is named even when every other kind is fine.
      expect(statusOf(negotiateMedia(31, undefined, allowed)), kind).toBe(expected[kind]);
    }
    const onlyAudio = new Set<MediaKind>(['audio']);
    expect(statusOf(negotiateMedia(MediaType.VIDEO | MediaType.CHAT, undefined, onlyAudio))).toBe(
      StatusCode.STATUS_MEDIA_TYPE_VIDEO_NOT_SUPPORT,
    );
  });
});

describe('negotiateMedia: media_params', () => {
  it('echoes the audio defaults for media_type 1 with no params', () => {
    const expected = {
      ok: true,
      kinds: ['audio'],
      params: {
        audio: { content_type: 2, sample_rate: 1, channel: 1, codec: 1, data_opt: 1, send_rate: 20 },
      },
    };
    expect(negotiateMedia(1, undefined, EVERY_KIND)).toEqual(expected);
    expect(negotiateMedia(1, null, EVERY_KIND)).toEqual(expected);
    expect(negotiateMedia(1, {}, EVERY_KIND)).toEqual(expected);
  });

  it('echoes the defaults of Zoom’s msg 4 example for every other kind', () => {
    expect(confirmed(negotiateMedia(30, undefined, EVERY_KIND))).toEqual({
      video: { content_type: 3, codec: 5, resolution: 2, data_opt: 3, fps: 5 },
      deskshare: { content_type: 3, codec: 5, resolution: 3, fps: 1 },
      transcript: { content_type: 5, src_language: 9, enable_lid: true },
      chat: { content_type: 5 },
    });
    expect(DEFAULT_VIDEO_PARAMS).toEqual({ content_type: 3, codec: 5, resolution: 2, data_opt: 3, fps: 5 });
    expect(DEFAULT_DESKSHARE_PARAMS).toEqual({ content_type: 3, codec: 5, resolution: 3, fps: 1 });
    expect(DEFAULT_CHAT_PARAMS).toEqual({ content_type: 5 });
    expect(Object.isFrozen(DEFAULT_AUDIO_PARAMS)).toBe(true);
  });

  it('refuses media_params that is not an object with STATUS_INVALID_MEDIA_PARAMS', () => {
    for (const mediaParams of ['x', 7, true, []]) {
      expect(statusOf(negotiateMedia(1, mediaParams, EVERY_KIND)), JSON.stringify(mediaParams)).toBe(
        StatusCode.STATUS_INVALID_MEDIA_PARAMS,
      );
    }
  });

  it('refuses a requested kind’s sub-object that is not an object with that kind’s PARAMS code', () => {
    const expected: Record<MediaKind, StatusCode> = {
      audio: StatusCode.STATUS_INVALID_MEDIA_AUDIO_PARAMS,
      video: StatusCode.STATUS_INVALID_MEDIA_VIDEO_PARAMS,
      deskshare: StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_PARAMS,
      transcript: StatusCode.STATUS_INVALID_MEDIA_TRANSCRIPT_PARAMS,
      chat: StatusCode.STATUS_INVALID_MEDIA_CHAT_PARAMS,
    };
    for (const kind of MEDIA_KINDS) {
      for (const bad of ['x', 1, [1]]) {
        expect(statusOf(negotiateMedia(MediaType.ALL, { [kind]: bad }, EVERY_KIND)), kind).toBe(
          expected[kind],
        );
      }
    }
  });

  it('ignores and does not echo sub-objects of kinds that were not requested', () => {
    const result = negotiateMedia(1, { audio: {}, video: 'x', chat: { content_type: 99 } }, EVERY_KIND);
    expect(result).toEqual({ ok: true, kinds: ['audio'], params: { audio: DEFAULT_AUDIO_PARAMS } });
  });

  it('ignores unknown keys at both levels', () => {
    const params = confirmed(negotiateMedia(1, { audio: { foo: 1, codec: 4 }, bogus: 'x' }, EVERY_KIND));
    expect(params).toEqual({ audio: { ...DEFAULT_AUDIO_PARAMS, codec: Codec.OPUS } });
  });

  it('answers a wrongly typed field with that field’s own code', () => {
    expect(statusOf(one('audio', { sample_rate: '1' }))).toBe(
      StatusCode.STATUS_INVALID_MEDIA_AUDIO_SAMPLE_RATE,
    );
    expect(statusOf(one('audio', { codec: true }))).toBe(StatusCode.STATUS_INVALID_MEDIA_AUDIO_CODEC);
    expect(statusOf(one('video', { fps: 2.5 }))).toBe(StatusCode.STATUS_INVALID_MEDIA_VIDEO_FPS);
    expect(statusOf(one('deskshare', { resolution: '3' }))).toBe(
      StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_RESOLUTION,
    );
    expect(statusOf(one('transcript', { src_language: '9' }))).toBe(
      StatusCode.STATUS_INVALID_MEDIA_TRANSCRIPT_SOURCE_LANGUAGE,
    );
    expect(statusOf(one('chat', { content_type: '5' }))).toBe(
      StatusCode.STATUS_INVALID_MEDIA_CHAT_CONTENT_TYPE,
    );
  });
});

describe('negotiateMedia: audio', () => {
  it('takes content_type RTP (deprecated, echoed as sent) or RAW_AUDIO, nothing else', () => {
    expect(confirmed(one('audio', { content_type: ContentType.RTP })).audio?.content_type).toBe(
      ContentType.RTP,
    );
    expect(confirmed(one('audio', { content_type: ContentType.RAW_AUDIO })).audio?.content_type).toBe(
      ContentType.RAW_AUDIO,
    );
    for (const contentType of [0, 3, 5]) {
      expect(statusOf(one('audio', { content_type: contentType }))).toBe(
        StatusCode.STATUS_INVALID_MEDIA_AUDIO_CONTENT_TYPE,
      );
    }
  });

  it('takes sample_rate 0..3 only', () => {
    expect(confirmed(one('audio', { sample_rate: SampleRate.SR_48K })).audio?.sample_rate).toBe(
      SampleRate.SR_48K,
    );
    for (const rate of [-1, 4, 16000]) {
      const result = one('audio', { sample_rate: rate });
      expect(statusOf(result)).toBe(StatusCode.STATUS_INVALID_MEDIA_AUDIO_SAMPLE_RATE);
      expect(result.ok ? '' : result.reason).toBe(
        'audio.sample_rate must be 0 (8 kHz), 1 (16 kHz), 2 (32 kHz) or 3 (48 kHz)',
      );
    }
  });

  it('takes channel 1 or 2 only', () => {
    for (const channel of [0, 3]) {
      expect(statusOf(one('audio', { channel }))).toBe(StatusCode.STATUS_INVALID_MEDIA_AUDIO_CHANNEL);
    }
  });

  it('takes codec L16, G711, G722 or OPUS only', () => {
    expect(confirmed(one('audio', { codec: Codec.G711 })).audio?.codec).toBe(Codec.G711);
    for (const codec of [0, Codec.JPG, Codec.H264]) {
      expect(statusOf(one('audio', { codec }))).toBe(StatusCode.STATUS_INVALID_MEDIA_AUDIO_CODEC);
    }
  });

  it('takes stereo with Opus', () => {
    expect(confirmed(one('audio', { channel: AudioChannel.STEREO, codec: Codec.OPUS })).audio).toEqual({
      ...DEFAULT_AUDIO_PARAMS,
      channel: AudioChannel.STEREO,
      codec: Codec.OPUS,
    });
  });

  it('refuses stereo with any other codec, including the default L16, with the CHANNEL code', () => {
    const result = one('audio', { channel: AudioChannel.STEREO, codec: Codec.L16 });
    expect(statusOf(result)).toBe(StatusCode.STATUS_INVALID_MEDIA_AUDIO_CHANNEL);
    expect(result.ok ? '' : result.reason).toMatch(/OPUS/);
    expect(statusOf(one('audio', { channel: AudioChannel.STEREO }))).toBe(
      StatusCode.STATUS_INVALID_MEDIA_AUDIO_CHANNEL,
    );
  });

  it('takes data_opt AUDIO_MIXED_STREAM or AUDIO_MULTI_STREAMS only', () => {
    expect(confirmed(one('audio', { data_opt: DataOption.AUDIO_MULTI_STREAMS })).audio?.data_opt).toBe(
      DataOption.AUDIO_MULTI_STREAMS,
    );
    for (const dataOpt of [0, DataOption.VIDEO_SINGLE_ACTIVE_STREAM]) {
      expect(statusOf(one('audio', { data_opt: dataOpt }))).toBe(
        StatusCode.STATUS_INVALID_MEDIA_AUDIO_DATA_OPT,
      );
    }
  });

  it('clamps send_rate above 1000 to 1000', () => {
    expect(confirmed(one('audio', { send_rate: 1500 })).audio?.send_rate).toBe(1000);
    expect(confirmed(one('audio', { send_rate: 1000 })).audio?.send_rate).toBe(1000);
    expect(confirmed(one('audio', { send_rate: 100 })).audio?.send_rate).toBe(100);
  });

  it('refuses a send_rate that is not a positive multiple of 20', () => {
    for (const sendRate of [30, 0, -20, 20.5, 1010, '20']) {
      expect(statusOf(one('audio', { send_rate: sendRate })), String(sendRate)).toBe(
        StatusCode.STATUS_INVALID_MEDIA_AUDIO_SEND_RATE,
      );
    }
  });
});

describe('negotiateMedia: video', () => {
  it('takes content_type RAW_VIDEO only', () => {
    expect(confirmed(one('video', { content_type: ContentType.RAW_VIDEO })).video?.content_type).toBe(3);
    expect(statusOf(one('video', { content_type: ContentType.RAW_AUDIO }))).toBe(
      StatusCode.STATUS_INVALID_MEDIA_VIDEO_CONTENT_TYPE,
    );
  });

  it('takes codec JPG, PNG or H264 only', () => {
    for (const codec of [Codec.L16, Codec.OPUS, 8]) {
      expect(statusOf(one('video', { codec }))).toBe(StatusCode.STATUS_INVALID_MEDIA_VIDEO_CODEC);
    }
  });

  it('takes resolution 1..4 only', () => {
    expect(confirmed(one('video', { resolution: Resolution.QHD })).video?.resolution).toBe(Resolution.QHD);
    for (const resolution of [0, 5]) {
      expect(statusOf(one('video', { resolution }))).toBe(StatusCode.STATUS_INVALID_MEDIA_VIDEO_RESOLUTION);
    }
  });

  it('takes data_opt VIDEO_SINGLE_ACTIVE_STREAM or VIDEO_SINGLE_INDIVIDUAL_STREAM only', () => {
    const individual = DataOption.VIDEO_SINGLE_INDIVIDUAL_STREAM;
    expect(confirmed(one('video', { data_opt: individual })).video?.data_opt).toBe(individual);
    for (const dataOpt of [DataOption.AUDIO_MIXED_STREAM, DataOption.VIDEO_MIXED_GALLERY_VIEW]) {
      expect(statusOf(one('video', { data_opt: dataOpt }))).toBe(
        StatusCode.STATUS_INVALID_MEDIA_VIDEO_DATA_OPT,
      );
    }
  });

  it('takes fps 1..30 only', () => {
    for (const fps of [0, 31, -5]) {
      expect(statusOf(one('video', { fps, codec: Codec.H264 }))).toBe(
        StatusCode.STATUS_INVALID_MEDIA_VIDEO_FPS,
      );
    }
  });

  it('refuses an explicit JPG or PNG above 5 fps with the VIDEO_CODEC code', () => {
    for (const codec of [Codec.JPG, Codec.PNG]) {
      const result = one('video', { codec, fps: 6 });
      expect(statusOf(result)).toBe(StatusCode.STATUS_INVALID_MEDIA_VIDEO_CODEC);
      expect(result.ok ? '' : result.reason).toMatch(/fps <= 5/);
    }
    expect(confirmed(one('video', { codec: Codec.PNG, fps: 5 })).video?.fps).toBe(5);
  });

  it('falls back to JPG at 5 fps for fps 10 without a codec', () => {
    expect(confirmed(one('video', { fps: 10 })).video).toEqual({
      ...DEFAULT_VIDEO_PARAMS,
      codec: Codec.JPG,
      fps: 5,
    });
  });

  it('takes fps 10 with H264', () => {
    expect(confirmed(one('video', { fps: 10, codec: Codec.H264 })).video).toEqual({
      ...DEFAULT_VIDEO_PARAMS,
      codec: Codec.H264,
      fps: 10,
    });
  });
});

describe('negotiateMedia: deskshare', () => {
  it('takes content_type RAW_VIDEO only', () => {
    expect(statusOf(one('deskshare', { content_type: ContentType.TEXT }))).toBe(
      StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_CONTENT_TYPE,
    );
  });

  it('takes codec JPG, PNG or H264 only', () => {
    expect(statusOf(one('deskshare', { codec: Codec.G722 }))).toBe(
      StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_CODEC,
    );
  });

  it('takes resolution 1..4 only', () => {
    expect(statusOf(one('deskshare', { resolution: 7 }))).toBe(
      StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_RESOLUTION,
    );
  });

  it('takes fps 1..30 only', () => {
    for (const fps of [0, 31]) {
      expect(statusOf(one('deskshare', { fps, codec: Codec.H264 }))).toBe(
        StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_FPS,
      );
    }
  });

  it('takes JPG at 3 fps (the SDK’s 5 fps ceiling, not the 1 fps of the handshake table)', () => {
    expect(confirmed(one('deskshare', { fps: 3, codec: Codec.JPG })).deskshare).toEqual({
      ...DEFAULT_DESKSHARE_PARAMS,
      fps: 3,
    });
  });

  it('refuses PNG at 8 fps with the DESKSHARE_CODEC code', () => {
    expect(statusOf(one('deskshare', { fps: 8, codec: Codec.PNG }))).toBe(
      StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_CODEC,
    );
  });

  it('falls back to JPG at 1 fps above 1 fps without a codec, and takes H264 at any fps', () => {
    expect(confirmed(one('deskshare', { fps: 3 })).deskshare).toEqual(DEFAULT_DESKSHARE_PARAMS);
    expect(confirmed(one('deskshare', { fps: 30, codec: Codec.H264 })).deskshare?.fps).toBe(30);
  });
});

describe('negotiateMedia: transcript', () => {
  it('takes content_type TEXT only', () => {
    expect(statusOf(one('transcript', { content_type: ContentType.RAW_AUDIO }))).toBe(
      StatusCode.STATUS_INVALID_MEDIA_TRANSCRIPT_CONTENT_TYPE,
    );
  });

  it('takes src_language -1..36 only', () => {
    for (const language of [50, -2, 1.5]) {
      expect(statusOf(one('transcript', { src_language: language }))).toBe(
        StatusCode.STATUS_INVALID_MEDIA_TRANSCRIPT_SOURCE_LANGUAGE,
      );
    }
    for (const language of [TranscriptLanguage.NONE, TranscriptLanguage.VIETNAMESE]) {
      expect(confirmed(one('transcript', { src_language: language })).transcript?.src_language).toBe(
        language,
      );
    }
  });

  it('takes a boolean enable_lid only', () => {
    expect(confirmed(one('transcript', { enable_lid: false })).transcript?.enable_lid).toBe(false);
    expect(statusOf(one('transcript', { enable_lid: 'false' }))).toBe(
      StatusCode.STATUS_INVALID_MEDIA_TRANSCRIPT_PARAMS,
    );
  });

  it('honours the legacy `language` key when src_language is absent', () => {
    expect(confirmed(one('transcript', { language: TranscriptLanguage.GERMAN })).transcript).toEqual({
      content_type: ContentType.TEXT,
      src_language: TranscriptLanguage.GERMAN,
      enable_lid: true,
    });
    const both = { src_language: TranscriptLanguage.FINNISH, language: TranscriptLanguage.GERMAN };
    expect(confirmed(one('transcript', both)).transcript?.src_language).toBe(TranscriptLanguage.FINNISH);
    expect(statusOf(one('transcript', { language: 99 }))).toBe(
      StatusCode.STATUS_INVALID_MEDIA_TRANSCRIPT_SOURCE_LANGUAGE,
    );
  });
});

describe('negotiateMedia: chat', () => {
  it('takes content_type TEXT only', () => {
    expect(confirmed(one('chat', { content_type: ContentType.TEXT })).chat).toEqual({ content_type: 5 });
    expect(statusOf(one('chat', { content_type: ContentType.RAW_VIDEO }))).toBe(
      StatusCode.STATUS_INVALID_MEDIA_CHAT_CONTENT_TYPE,
    );
  });
});
