/**
 * Generates media frames for one media connection from the stream's timeline: audio (mixed or per
 * speaker, gaps where nobody speaks), video and screen share frames, transcripts and chat.
 *
 * Each `pump*` call sends the frames due in `[cursor, nowMs)` (simulated time) and returns the new cursor.
 */
import {
  AudioChannel,
  ChatOperationType,
  ChatSessionType,
  Codec,
  DataMessageAttribute,
  DataOption,
  type MediaKind,
  MessageType,
  sampleRateHz,
  TranscriptLanguage,
} from '../protocol/enums.js';
import { encodeAlaw } from '../protocol/g711.js';
import type {
  AudioParams,
  DeskshareParams,
  MediaParams,
  RtmsMessage,
  VideoParams,
} from '../protocol/messages.js';
import type { Product } from '../protocol/products.js';
import { frameBytes, opaqueFrame, renderL16, toneHz } from './content/audio.js';
import type { CodedAudioLibrary } from './content/codedAudio.js';
import type { PictureLibrary } from './content/pictures.js';
import type { WavAudioSource } from './content/wavSource.js';
import type { Timeline } from './timeline.js';

/** At most three speakers share a 20 ms slot in multi-stream audio. */
export const MAX_CONCURRENT_SPEAKERS = 3;

export interface PumpContext {
  timeline: Timeline;
  /** Epoch ms of simulated time 0. */
  tsBase: number;
  product: Product;
  wav: WavAudioSource | undefined;
  structuredChat: boolean;
  /** The user whose video was asked for with VIDEO_SUBSCRIPTION_REQ. */
  videoSubscription: number | undefined;
  send: (msg: RtmsMessage) => void;
  /** Rendered tone frames, shared by every stream of the simulator. */
  audioCache: Map<string, Buffer>;
  /** Video and screen-share fixtures, shared by every stream of the simulator. */
  pictures: PictureLibrary;
  /** G.722 and Opus tones, shared likewise. */
  codedAudio: CodedAudioLibrary;
}

/** Tone frames kept for reuse: tones at integer frequencies repeat every second of samples. */
export const AUDIO_CACHE_MAX_ENTRIES = 4_096;

/** Renders (or reuses) the tone frame of a set of voices: a 1,000-stream load renders each once. */
function toneFrame(
  ctx: PumpContext,
  voices: readonly number[],
  startSample: number,
  samples: number,
  rate: number,
  channels: 1 | 2,
): Buffer {
  const key = `${rate}|${channels}|${samples}|${startSample % rate}|${voices.join(',')}`;
  let frame = ctx.audioCache.get(key);
  if (!frame) {
    frame = renderL16(
      voices.map((index) => ({ freqHz: toneHz(index) })),
      startSample,
      samples,
      rate,
      channels,
    );
    if (ctx.audioCache.size >= AUDIO_CACHE_MAX_ENTRIES) ctx.audioCache.clear();
    ctx.audioCache.set(key, frame);
  }
  return frame;
}

/**
 * Picture state of one connection. H.264 starts at an IDR (SPS and PPS in front) on every new
 * connection and again whenever the shown participant changes, so a decoder can start there.
 */
export interface PumpState {
  /** Video frames sent since the shown participant last changed. */
  videoFrames: number;
  /** Screen-share frames sent since the sharer last changed. */
  shareFrames: number;
  /** Who the last video frame showed; `undefined` before the first and after a frame slot with nobody. */
  videoShown?: number | undefined;
  /** Who the last screen-share frame showed, likewise. */
  shareShown?: number | undefined;
}

function channelsOf(params: AudioParams): 1 | 2 {
  return params.channel === AudioChannel.STEREO ? 2 : 1;
}

function audioPayload(
  ctx: PumpContext,
  params: Required<AudioParams>,
  voices: readonly number[],
  atMs: number,
): Buffer {
  const rate = sampleRateHz(params.sample_rate) ?? 16_000;
  const channels = channelsOf(params);
  const samples = (rate * params.send_rate) / 1000;
  const startSample = (rate * atMs) / 1000;
  switch (params.codec) {
    case Codec.L16:
    case Codec.G711: {
      const pcm = ctx.wav
        ? ctx.wav.render(startSample, samples, rate, channels)
        : toneFrame(ctx, voices, startSample, samples, rate, channels);
      return params.codec === Codec.G711 ? encodeAlaw(pcm) : pcm;
    }
    case Codec.G722:
    case Codec.OPUS:
      return ctx.codedAudio.packet(params.codec, channels, voices[0] ?? 0, atMs, params.send_rate);
    default:
      // No audio codec: framed like L16, but not audio.
      return opaqueFrame(frameBytes(rate, channels, Codec.L16, params.send_rate), atMs + (voices[0] ?? 0));
  }
}

/** Audio: one packet per `send_rate` ms while someone speaks; nothing while nobody does. */
export function pumpAudio(
  ctx: PumpContext,
  params: Required<AudioParams>,
  cursorMs: number,
  nowMs: number,
  budget: number,
): number {
  const step = params.send_rate;
  let t = Math.ceil(cursorMs / step) * step;
  let sent = 0;
  const multi = params.data_opt === DataOption.AUDIO_MULTI_STREAMS;
  const zcc = ctx.product === 'contact_center';
  while (t + step <= nowMs && sent < budget) {
    const speakers = ctx.timeline.speakersAt(t);
    if (speakers.length > 0) {
      if (multi) {
        for (const p of speakers.slice(0, MAX_CONCURRENT_SPEAKERS)) {
          const data = audioPayload(ctx, params, [p.index], t);
          ctx.send({
            msg_type: MessageType.MEDIA_DATA_AUDIO,
            content: {
              user_id: p.userId,
              user_name: p.userName,
              data,
              length: data.length,
              timestamp: ctx.tsBase + t,
              ...(zcc ? { channel_id: `channel-${p.index + 1}` } : {}),
            },
          });
        }
      } else {
        const data = audioPayload(
          ctx,
          params,
          speakers.map((p) => p.index),
          t,
        );
        ctx.send({
          msg_type: MessageType.MEDIA_DATA_AUDIO,
          content: { user_id: 0, data, length: data.length, timestamp: ctx.tsBase + t },
        });
      }
      sent++;
    }
    t += step;
  }
  return t;
}

/**
 * Counts a frame slot and returns the frame's number since the shown participant changed (0 means: send
 * the IDR). A slot with nobody shown resets the count, so whoever is shown next starts at an IDR.
 */
function nextPictureFrame(state: PumpState, kind: 'video' | 'deskshare', userId: number | undefined): number {
  if (kind === 'video') {
    if (userId !== state.videoShown) state.videoFrames = 0;
    state.videoShown = userId;
    return userId === undefined ? 0 : state.videoFrames++;
  }
  if (userId !== state.shareShown) state.shareFrames = 0;
  state.shareShown = userId;
  return userId === undefined ? 0 : state.shareFrames++;
}

/** Video and screen share: one frame per `1000 / fps` ms while someone is shown, at the negotiated size. */
function pumpPictures(
  ctx: PumpContext,
  kind: 'video' | 'deskshare',
  params: Required<VideoParams> | Required<DeskshareParams>,
  state: PumpState,
  cursorMs: number,
  nowMs: number,
  budget: number,
): number {
  const step = 1000 / params.fps;
  let k = Math.ceil(cursorMs / step - 1e-9);
  let sent = 0;
  const { timeline } = ctx;
  while ((k + 1) * step <= nowMs && sent < budget) {
    const t = Math.round(k * step);
    let userId: number | undefined;
    if (kind === 'deskshare') {
      userId = timeline.sharerAt(t);
    } else if ('data_opt' in params && params.data_opt === DataOption.VIDEO_SINGLE_INDIVIDUAL_STREAM) {
      const wanted = ctx.videoSubscription;
      userId = wanted !== undefined && timeline.videoOn(wanted, t) ? wanted : undefined;
    } else {
      const speaker = timeline.activeSpeakerAt(t);
      userId = speaker && timeline.videoOn(speaker.userId, t) ? speaker.userId : timeline.videoUsersAt(t)[0];
    }
    const participant = userId === undefined ? undefined : timeline.participant(userId);
    const frameNo = nextPictureFrame(state, kind, participant?.userId);
    if (participant) {
      const data = ctx.pictures.frame(params.codec, params.resolution, participant.index, frameNo);
      ctx.send({
        msg_type: kind === 'video' ? MessageType.MEDIA_DATA_VIDEO : MessageType.MEDIA_DATA_SHARE,
        content: {
          user_id: participant.userId,
          user_name: participant.userName,
          data,
          length: data.length,
          timestamp: ctx.tsBase + t,
        },
      });
      sent++;
    }
    k++;
  }
  return k * step;
}

/** Transcripts: one message per utterance, sent when it ends. */
export function pumpTranscript(ctx: PumpContext, language: number, cursorMs: number, nowMs: number): number {
  for (const u of ctx.timeline.utterancesEndingIn(cursorMs, nowMs)) {
    ctx.send({
      msg_type: MessageType.MEDIA_DATA_TRANSCRIPT,
      content: {
        user_id: u.participant.userId,
        user_name: u.participant.userName,
        data: u.text,
        start_time: ctx.tsBase + u.startMs,
        end_time: ctx.tsBase + u.endMs,
        timestamp: ctx.tsBase + u.startMs,
        language: language === TranscriptLanguage.NONE ? TranscriptLanguage.ENGLISH : language,
        attribute: DataMessageAttribute.ATTR_NEW,
        ...(ctx.product === 'contact_center' ? { channel_id: `channel-${u.participant.index + 1}` } : {}),
      },
    });
  }
  return nowMs;
}

/** Chat: the scripted lines, plain or in the structured layout. */
export function pumpChat(ctx: PumpContext, streamId: string, cursorMs: number, nowMs: number): number {
  for (const e of ctx.timeline.eventsIn(cursorMs, nowMs)) {
    if (e.type !== 'chat') continue;
    const sender = ctx.timeline.participant(e.userId);
    const structured = e.structured || ctx.structuredChat;
    ctx.send({
      msg_type: MessageType.MEDIA_DATA_CHAT,
      content: {
        data: e.text,
        timestamp: ctx.tsBase + e.atMs,
        ...(sender ? { user_id: sender.userId, user_name: sender.userName } : {}),
        ...(structured
          ? {
              structured: {
                chat_session: { type: ChatSessionType.EVERYONE, id: `${streamId}-everyone` },
                operation_type: ChatOperationType.NEW,
                message_id: `${streamId}-${e.atMs}`,
                sender: sender ? { user_id: sender.userId, user_name: sender.userName } : {},
              },
            }
          : {}),
      },
    });
  }
  return nowMs;
}

/** Sends what is due for one kind and returns the new cursor. */
export function pumpKind(
  ctx: PumpContext,
  streamId: string,
  kind: MediaKind,
  params: MediaParams,
  state: PumpState,
  cursorMs: number,
  nowMs: number,
  budget: number,
): number {
  switch (kind) {
    case 'audio':
      return pumpAudio(ctx, params.audio as Required<AudioParams>, cursorMs, nowMs, budget);
    case 'video':
      return pumpPictures(
        ctx,
        'video',
        params.video as Required<VideoParams>,
        state,
        cursorMs,
        nowMs,
        budget,
      );
    case 'deskshare':
      return pumpPictures(
        ctx,
        'deskshare',
        params.deskshare as Required<DeskshareParams>,
        state,
        cursorMs,
        nowMs,
        budget,
      );
    case 'transcript':
      return pumpTranscript(
        ctx,
        params.transcript?.src_language ?? TranscriptLanguage.ENGLISH,
        cursorMs,
        nowMs,
      );
    case 'chat':
      return pumpChat(ctx, streamId, cursorMs, nowMs);
  }
}
