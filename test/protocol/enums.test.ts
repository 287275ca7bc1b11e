import { describe, expect, it } from 'vitest';
import type { MediaKind } from '../../src/protocol/enums.js';
import {
  ChatOperationType,
  ChatSessionType,
  Codec,
  ContentType,
  EventType,
  MEDIA_KINDS,
  MediaType,
  MessageType,
  mediaKindsOf,
  mediaMaskOf,
  PhoneCallEventCode,
  SampleRate,
  SessionState,
  StatusCode,
  StopReason,
  StreamState,
  sampleRateHz,
  TranscriptLanguage,
  ZccVoiceEventType,
} from '../../src/protocol/enums.js';

function numericValues<E extends Record<string, string | number>>(e: E): number[] {
  return Object.values(e).filter((v): v is number => typeof v === 'number');
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('MessageType', () => {
  // RTMS-PROTOCOL.md §3.2.
  const NAMES = [
    'UNDEFINED',
    'SIGNALING_HAND_SHAKE_REQ',
    'SIGNALING_HAND_SHAKE_RESP',
    'DATA_HAND_SHAKE_REQ',
    'DATA_HAND_SHAKE_RESP',
    'EVENT_SUBSCRIPTION',
    'EVENT_UPDATE',
    'CLIENT_READY_ACK',
    'STREAM_STATE_UPDATE',
    'SESSION_STATE_UPDATE',
    'SESSION_STATE_REQ',
    'SESSION_STATE_RESP',
    'KEEP_ALIVE_REQ',
    'KEEP_ALIVE_RESP',
    'MEDIA_DATA_AUDIO',
    'MEDIA_DATA_VIDEO',
    'MEDIA_DATA_SHARE',
    'MEDIA_DATA_TRANSCRIPT',
    'MEDIA_DATA_CHAT',
    'STREAM_STATE_REQ',
    'STREAM_STATE_RESP',
    'STREAM_CLOSE_REQ',
    'STREAM_CLOSE_RESP',
    'META_DATA_AUDIO',
    'META_DATA_VIDEO',
    'META_DATA_SHARE',
    'META_DATA_TRANSCRIPT',
    'META_DATA_CHAT',
    'VIDEO_SUBSCRIPTION_REQ',
    'VIDEO_SUBSCRIPTION_RESP',
  ];

  it('has exactly the values 0–29, named as in the reference', () => {
    expect(numericValues(MessageType)).toEqual(range(0, 29));
    NAMES.forEach((name, value) => {
      expect(MessageType[value]).toBe(name);
    });
  });

  it.each([
    [12, 'KEEP_ALIVE_REQ'],
    [13, 'KEEP_ALIVE_RESP'],
    [14, 'MEDIA_DATA_AUDIO'],
    [18, 'MEDIA_DATA_CHAT'],
    [21, 'STREAM_CLOSE_REQ'],
    [23, 'META_DATA_AUDIO'],
    [29, 'VIDEO_SUBSCRIPTION_RESP'],
  ] as const)('%i is %s', (value, name) => {
    expect(MessageType[name]).toBe(value);
  });
});

describe('StatusCode', () => {
  it('has exactly the numeric values 0..47', () => {
    expect(numericValues(StatusCode)).toEqual(range(0, 47));
  });

  it.each([
    [0, 'STATUS_OK'],
    [3, 'STATUS_INVALID_SIGNATURE'],
    [8, 'STATUS_DUPLICATE_SIGNAL_REQUEST'],
    [13, 'STATUS_MEDIA_TYPE_CHAT_NOT_SUPPORT'],
    [16, 'STATUS_DUPLICATE_MEDIA_DATA_CONNECTION'],
    [24, 'STATUS_INVALID_MEDIA_AUDIO_SEND_RATE'],
    [30, 'STATUS_INVALID_MEDIA_VIDEO_FPS'],
    [35, 'STATUS_INVALID_MEDIA_DESKSHARE_FPS'],
    [39, 'STATUS_INVALID_MEDIA_CHAT_CONTENT_TYPE'],
    [43, 'STATUS_INVALID_MEDIA_TRANSCRIPT_SOURCE_LANGUAGE'],
    [45, 'STATUS_INTERNAL_EXCEPTION'],
    [47, 'STATUS_CHAT_SESSION_KEY_NOT_AVAILABLE'],
  ] as const)('%i is %s', (value, name) => {
    expect(StatusCode[name]).toBe(value);
  });
});

describe('StopReason', () => {
  it('has exactly the numeric values 0..26', () => {
    expect(numericValues(StopReason)).toEqual(range(0, 26));
  });

  it.each([
    [5, 'HOST_DISABLED_APP'],
    [8, 'STREAM_REVOKED'],
    [12, 'INSTANCE_CONNECTION_INTERRUPTED'],
    [14, 'DATA_CONNECTION_INTERRUPTED'],
    [18, 'AUTHENTICATION_FAILURE'],
    [20, 'RECEIVER_REQUEST_CLOSE'],
    [24, 'KEEP_ALIVE_TIMEOUT'],
    [26, 'STREAMING_NOT_SUPPORTED'],
  ] as const)('%i is %s', (value, name) => {
    expect(StopReason[name]).toBe(value);
  });
});

describe('other tables', () => {
  it('EventType is 0–14', () => {
    expect(numericValues(EventType)).toEqual(range(0, 14));
    expect(EventType.PARTICIPANT_JOIN).toBe(3);
    expect(EventType.MEDIA_CONNECTION_INTERRUPTED).toBe(7);
    expect(EventType.CHAT_GROUP_MEMBER_STATUS_UPDATE).toBe(14);
  });

  it('ZccVoiceEventType is 0 and 8..34, the IVR events at 30–34', () => {
    expect(numericValues(ZccVoiceEventType)).toEqual([0, ...range(8, 34)]);
    expect(ZccVoiceEventType.CONSUMER_ANSWERED).toBe(8);
    expect(ZccVoiceEventType.TAKEOVER_STARTED).toBe(17);
    expect(ZccVoiceEventType.CONFERENCE_PARTICIPANT_LEFT).toBe(29);
    expect(ZccVoiceEventType.FLOW_ENTER).toBe(30);
    expect(ZccVoiceEventType.FLOW_EXIT).toBe(31);
    expect(ZccVoiceEventType.DTMF_INPUT).toBe(32);
    expect(ZccVoiceEventType.SEND_MEDIA).toBe(33);
    expect(ZccVoiceEventType.COLLECT_INPUT).toBe(34);
  });

  it('PhoneCallEventCode takes the numbers of the SDK constants for phone calls, transfers at 18–23', () => {
    expect(numericValues(PhoneCallEventCode)).toEqual([...range(8, 13), ...range(18, 23)]);
    expect(PhoneCallEventCode.USER_HOLD).toBe(ZccVoiceEventType.USER_HOLD);
    expect(PhoneCallEventCode.USER_UNHOLD).toBe(13);
    expect(PhoneCallEventCode.TRANSFER_COMPLETED).toBe(ZccVoiceEventType.TRANSFER_COMPLETED);
  });

  it('session and stream states', () => {
    expect(SessionState.STOPPED).toBe(5);
    expect(StreamState.INTERRUPTED).toBe(2);
    expect(StreamState.TERMINATED).toBe(4);
    expect(StreamState.RESUMED).toBe(6);
  });

  it('media enums', () => {
    expect(ContentType.RAW_AUDIO).toBe(2);
    expect(ContentType.TEXT).toBe(5);
    expect(Codec.L16).toBe(1);
    expect(Codec.OPUS).toBe(4);
    expect(Codec.H264).toBe(7);
    expect(numericValues(SampleRate)).toEqual([0, 1, 2, 3]);
  });

  it('TranscriptLanguage runs from NONE -1 to VIETNAMESE 36', () => {
    expect(TranscriptLanguage.NONE).toBe(-1);
    expect(TranscriptLanguage.ENGLISH).toBe(9);
    expect(TranscriptLanguage.GERMAN).toBe(14);
    expect(TranscriptLanguage.VIETNAMESE).toBe(36);
    expect(numericValues(TranscriptLanguage)).toEqual(range(-1, 36));
  });

  it('chat layouts', () => {
    expect(ChatSessionType.EVERYONE).toBe(1);
    expect(ChatSessionType.INDIVIDUAL_CC_HOSTS_AND_PANELISTS).toBe(5);
    expect(ChatOperationType.REMOVE_EMOJI_REACTION).toBe(5);
  });
});

describe('MediaType bitmask', () => {
  it('has the reference bit values (chat 16, transcript 8)', () => {
    expect(MediaType.AUDIO).toBe(1);
    expect(MediaType.VIDEO).toBe(2);
    expect(MediaType.DESKSHARE).toBe(4);
    expect(MediaType.TRANSCRIPT).toBe(8);
    expect(MediaType.CHAT).toBe(16);
    expect(MediaType.ALL).toBe(32);
  });

  it('mediaKindsOf(32) is all five kinds', () => {
    expect(mediaKindsOf(MediaType.ALL)).toEqual(['audio', 'video', 'deskshare', 'transcript', 'chat']);
    expect(mediaKindsOf(MediaType.ALL | MediaType.AUDIO)).toEqual([
      'audio',
      'video',
      'deskshare',
      'transcript',
      'chat',
    ]);
  });

  it('mediaKindsOf(1|8) is audio and transcript', () => {
    expect(mediaKindsOf(MediaType.AUDIO | MediaType.TRANSCRIPT)).toEqual(['audio', 'transcript']);
    expect(mediaKindsOf(MediaType.CHAT)).toEqual(['chat']);
    expect(mediaKindsOf(0)).toEqual([]);
  });

  it('mediaKindsOf returns a fresh array', () => {
    const kinds = mediaKindsOf(MediaType.ALL);
    kinds.pop();
    expect(mediaKindsOf(MediaType.ALL)).toHaveLength(5);
    expect(MEDIA_KINDS).toHaveLength(5);
  });

  it('mediaMaskOf round-trips with mediaKindsOf for every mask 0..31', () => {
    expect(mediaMaskOf([])).toBe(0);
    expect(mediaMaskOf(['audio', 'transcript'])).toBe(9);
    expect(mediaMaskOf(['chat', 'audio', 'audio'])).toBe(17);
    expect(mediaMaskOf(MEDIA_KINDS)).toBe(31);
    for (let mask = 0; mask < 32; mask++) expect(mediaMaskOf(mediaKindsOf(mask))).toBe(mask);
    const kinds: MediaKind[] = ['video', 'deskshare'];
    expect(mediaKindsOf(mediaMaskOf(kinds))).toEqual(kinds);
  });
});

describe('sampleRateHz', () => {
  it('maps the AUDIO_SAMPLE_RATE index to Hz', () => {
    expect(sampleRateHz(SampleRate.SR_8K)).toBe(8_000);
    expect(sampleRateHz(1)).toBe(16_000);
    expect(sampleRateHz(SampleRate.SR_32K)).toBe(32_000);
    expect(sampleRateHz(SampleRate.SR_48K)).toBe(48_000);
  });

  it('is undefined outside the enum (there is no 24 kHz)', () => {
    expect(sampleRateHz(9)).toBeUndefined();
    expect(sampleRateHz(4)).toBeUndefined();
    expect(sampleRateHz(-1)).toBeUndefined();
    expect(sampleRateHz(16_000)).toBeUndefined();
  });
});
