/**
 * Turns decoded media-socket messages into the stream's typed events: media frames (with duplicate
 * suppression across reconnects) and audio metadata. EVENT_UPDATEs are turned into events in
 * `eventDispatch.ts`, re-exported here.
 */

import { PROTOCOL_DEFAULT_PARAMS } from '../protocol/defaults.js';
import {
  AudioChannel,
  Codec,
  type MediaKind,
  MessageType,
  SampleRate,
  sampleRateHz,
} from '../protocol/enums.js';
import type { AudioParams, MediaParams, ServerMessage } from '../protocol/messages.js';
import type { Emit } from './eventDispatch.js';
import { interpreterEventOf } from './eventReaders.js';

export { dispatchEvent, TYPED_EVENT_TYPES } from './eventDispatch.js';

/**
 * How many recent transcript and chat keys are remembered to drop redelivered ones: Zoom buffers at most
 * 60 s across a reconnect, a few dozen utterances. Kept small: 1,000 streams hold these for hours.
 */
const RECENT_TEXT_KEYS = 256;

/** Format of one media socket's audio, from the confirmed handshake params. */
export interface AudioFormat {
  sampleRate: number;
  channels: number;
  codec: number;
}

export function audioFormatOf(params: MediaParams | undefined): AudioFormat {
  const audio: AudioParams = { ...PROTOCOL_DEFAULT_PARAMS.audio, ...params?.audio };
  return {
    sampleRate: sampleRateHz(audio.sample_rate ?? SampleRate.SR_16K) ?? 16_000,
    channels: audio.channel ?? AudioChannel.MONO,
    codec: audio.codec ?? Codec.L16,
  };
}

export interface MediaCounters {
  frames: Record<MediaKind, number>;
  bytes: Record<MediaKind, number>;
  /** Frames dropped because they had been delivered already. */
  duplicates: number;
}

/** Remembers what was delivered so a frame resent after a reconnect is not delivered twice. */
export class DeliveryTracker {
  /** Per kind, user id → last timestamp delivered. Numeric keys: no string built per frame. */
  private readonly lastTimestamp: Record<MediaKind, Map<number, number>> = {
    audio: new Map(),
    video: new Map(),
    deskshare: new Map(),
    transcript: new Map(),
    chat: new Map(),
  };
  /**
   * Contact Center channels (one per party): each its own timeline, whatever its user id. Their frames
   * may all carry user 0 (user fields are optional there) and the same 20 ms timestamps, so keyed by user
   * alone every channel but the first would be taken for a duplicate and lost.
   */
  private readonly lastChannelTimestamp: Record<MediaKind, Map<string, number>> = {
    audio: new Map(),
    video: new Map(),
    deskshare: new Map(),
    transcript: new Map(),
    chat: new Map(),
  };
  private readonly recentText = new Set<string>();

  /** True the first time a (kind, user or channel) timestamp moves forward. */
  freshTimed(kind: MediaKind, userId: number, timestamp: number, channelId?: string): boolean {
    if (channelId !== undefined) {
      const channels = this.lastChannelTimestamp[kind];
      const last = channels.get(channelId);
      if (last !== undefined && timestamp <= last) return false;
      channels.set(channelId, timestamp);
      return true;
    }
    const users = this.lastTimestamp[kind];
    const last = users.get(userId);
    if (last !== undefined && timestamp <= last) return false;
    users.set(userId, timestamp);
    return true;
  }

  /** True the first time a text item (transcript, chat) is seen. */
  freshText(key: string): boolean {
    if (this.recentText.has(key)) return false;
    this.recentText.add(key);
    if (this.recentText.size > RECENT_TEXT_KEYS) {
      const oldest = this.recentText.values().next().value;
      if (oldest !== undefined) this.recentText.delete(oldest);
    }
    return true;
  }
}

/** Counts a frame as delivered (true) or as a duplicate to drop (false). */
function admit(counters: MediaCounters, kind: MediaKind, fresh: boolean, bytes: number): boolean {
  if (!fresh) {
    counters.duplicates++;
    return false;
  }
  counters.frames[kind]++;
  counters.bytes[kind] += bytes;
  return true;
}

/**
 * Emits the media event of a media message. Returns false for messages that are not media.
 */
export function dispatchMedia(
  msg: ServerMessage,
  format: AudioFormat,
  params: MediaParams,
  tracker: DeliveryTracker,
  counters: MediaCounters,
  emit: Emit,
): boolean {
  switch (msg.msg_type) {
    case MessageType.MEDIA_DATA_AUDIO: {
      const c = msg.content;
      const fresh = tracker.freshTimed('audio', c.user_id, c.timestamp, c.channel_id);
      if (!admit(counters, 'audio', fresh, c.data.length)) return true;
      emit('audio', {
        data: c.data,
        userId: c.user_id,
        userName: c.user_name,
        timestamp: c.timestamp,
        sampleRate: format.sampleRate,
        channels: format.channels,
        codec: format.codec,
        channelId: c.channel_id,
      });
      return true;
    }
    case MessageType.MEDIA_DATA_VIDEO:
    case MessageType.MEDIA_DATA_SHARE: {
      const kind = msg.msg_type === MessageType.MEDIA_DATA_VIDEO ? 'video' : 'deskshare';
      const c = msg.content;
      if (!admit(counters, kind, tracker.freshTimed(kind, c.user_id, c.timestamp), c.data.length))
        return true;
      const codec =
        (kind === 'video' ? params.video?.codec : params.deskshare?.codec) ??
        PROTOCOL_DEFAULT_PARAMS[kind].codec;
      emit(kind, {
        data: c.data,
        userId: c.user_id,
        userName: c.user_name,
        timestamp: c.timestamp,
        codec: codec ?? Codec.JPG,
      });
      return true;
    }
    case MessageType.MEDIA_DATA_TRANSCRIPT: {
      const c = msg.content;
      // Speaker, start and attribute identify a segment; the text's length guards against a reused start.
      const key = `t:${c.user_id}:${c.start_time ?? c.timestamp}:${c.attribute ?? 0}:${c.data.length}`;
      if (!admit(counters, 'transcript', tracker.freshText(key), c.data.length)) return true;
      emit('transcript', {
        text: c.data,
        userId: c.user_id,
        userName: c.user_name,
        startTime: c.start_time,
        endTime: c.end_time,
        timestamp: c.timestamp,
        language: c.language,
        attribute: c.attribute,
        channelId: c.channel_id,
      });
      return true;
    }
    case MessageType.MEDIA_DATA_CHAT: {
      const c = msg.content;
      const id = c.structured?.message_id ?? `${c.user_id}:${c.timestamp}:${c.data}`;
      const op = c.structured?.operation_type ?? 0;
      if (!admit(counters, 'chat', tracker.freshText(`c:${id}:${op}`), c.data.length)) return true;
      emit('chat', {
        text: c.data,
        userId: c.user_id,
        userName: c.user_name,
        timestamp: c.timestamp,
        structured: c.structured,
      });
      return true;
    }
    case MessageType.META_DATA_AUDIO:
      dispatchMetadata(msg, emit);
      return true;
    default:
      return false;
  }
}

/** Audio metadata: the `interpreter` event when it carries the AI interpreter, else nothing. */
export function dispatchMetadata(msg: ServerMessage, emit: Emit): void {
  if (msg.msg_type !== MessageType.META_DATA_AUDIO) return;
  const interpreter = interpreterEventOf(msg.content);
  if (interpreter) emit('interpreter', interpreter);
}
