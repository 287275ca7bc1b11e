/** The writers of one recording, each opened on its first item: audio, pictures, transcript, chat, events. */
import { join } from 'node:path';
import type { AudioFrame, ChatLine, TranscriptSegment, VideoFrame } from '../client/events.js';
import { AudioTracks, type TrackHost } from './AudioTracks.js';
import { JsonlWriter } from './JsonlWriter.js';
import { type PictureKind, PictureTrack } from './PictureTrack.js';
import { TRANSCRIPT_FILES, TranscriptTrack } from './TranscriptTrack.js';

/** A writer being closed, by the file it writes. */
export interface Closing {
  file: string;
  done: Promise<unknown> | undefined;
}

export class RecordingTracks {
  readonly audio: AudioTracks;
  readonly pictures = new Map<PictureKind, PictureTrack>();
  private readonly host: TrackHost;
  private transcriptTrack: TranscriptTrack | undefined;
  private chatWriter: JsonlWriter | undefined;
  private eventWriter: JsonlWriter | undefined;
  private firstMedia: number | undefined;
  /** The latest picture timestamp: the audio files are padded to it when video outlasts the audio. */
  private lastPicture = Number.NEGATIVE_INFINITY;

  constructor(host: TrackHost) {
    this.host = host;
    this.audio = new AudioTracks(host);
  }

  get transcript(): TranscriptTrack | undefined {
    return this.transcriptTrack;
  }

  get chat(): JsonlWriter | undefined {
    return this.chatWriter;
  }

  get events(): JsonlWriter | undefined {
    return this.eventWriter;
  }

  /** The first timestamp of any audio, picture or transcript written (ms, frames' clock). */
  get firstMediaMs(): number | undefined {
    return this.firstMedia;
  }

  writeAudio(frame: AudioFrame): void {
    this.firstMedia ??= frame.timestamp;
    this.audio.write(frame);
  }

  writePicture(kind: PictureKind, frame: VideoFrame): void {
    this.firstMedia ??= frame.timestamp;
    if (frame.timestamp > this.lastPicture) this.lastPicture = frame.timestamp;
    let track = this.pictures.get(kind);
    if (track === undefined) {
      const name = `${kind}${this.host.suffix()}`;
      track = new PictureTrack(this.host.dir, kind, { ...this.host.writerOptions(name), name });
      this.pictures.set(kind, track);
      this.host.opened();
    }
    track.write(frame);
  }

  writeTranscript(segment: TranscriptSegment): void {
    this.firstMedia ??= segment.startTime ?? segment.timestamp;
    if (this.transcriptTrack === undefined) {
      this.transcriptTrack = new TranscriptTrack(
        this.host.dir,
        this.host.writerOptions(TRANSCRIPT_FILES.jsonl),
      );
      this.host.opened();
    }
    this.transcriptTrack.write(segment);
  }

  writeChat(line: ChatLine): void {
    if (this.chatWriter === undefined) {
      this.chatWriter = new JsonlWriter(
        join(this.host.dir, 'chat.jsonl'),
        this.host.writerOptions('chat.jsonl'),
      );
      this.host.opened();
    }
    this.chatWriter.write({
      text: line.text,
      userId: line.userId,
      userName: line.userName,
      timestamp: line.timestamp,
      structured: line.structured,
    });
  }

  /** Appends `{ time, kind, data }` to `events.jsonl`. */
  writeEvent(time: string, kind: string, data: unknown): void {
    if (this.eventWriter === undefined) {
      const path = join(this.host.dir, 'events.jsonl');
      this.eventWriter = new JsonlWriter(path, this.host.writerOptions('events.jsonl'));
      this.host.opened();
    }
    this.eventWriter.write({ time, kind, data });
  }

  /**
   * Starts closing every writer (the transcript renders its subtitles with cues counted from
   * `transcriptOriginMs`); one entry per writer, `done` undefined for one never opened.
   */
  finalize(transcriptOriginMs: number): Closing[] {
    const closing: Closing[] = this.audio.finalize(this.lastPicture);
    for (const track of this.pictures.values()) closing.push({ file: track.name, done: track.finalize() });
    closing.push({ file: TRANSCRIPT_FILES.jsonl, done: this.transcriptTrack?.finalize(transcriptOriginMs) });
    closing.push({ file: 'chat.jsonl', done: this.chatWriter?.close() });
    closing.push({ file: 'events.jsonl', done: this.eventWriter?.close() });
    return closing;
  }
}
