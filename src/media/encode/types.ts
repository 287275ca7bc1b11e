/** What the manifest records of a recording's encoded copies (`RTMSKIT_ENCODE`) and decoded audio. */

/** Formats a recording can be encoded to: audio copies of every WAV, and MP4 of video and screen share. */
export const ENCODE_FORMATS = ['opus', 'mp3', 'mp4'] as const;
export type EncodeFormat = (typeof ENCODE_FORMATS)[number];

/** What an output is: an encoded copy, or a WAV decoded from audio Zoom sent as G.722 or Opus. */
export type OutputFormat = EncodeFormat | 'wav';

/** A file made after the stream ended, as the manifest lists it. */
export interface EncodedOutput {
  path: string;
  format: OutputFormat;
  /** The file it was made from: a WAV, a raw audio track, or a video or screen-share track. */
  source: string;
  /** An MP4's audio: the mixed WAV, or the per-speaker WAVs mixed into it. */
  audioSources?: string[];
  bytes: number;
  durationMs: number;
  /** An MP4: where its picture starts on the audio's timeline (ms), and its frames. */
  video?: { codec: string; startMs: number; frames: number; reencoded: boolean };
}

/** An output that could not be made, as the manifest lists it. */
export interface EncodeFailure {
  path: string;
  format: OutputFormat;
  source: string;
  error: string;
  fix: string;
  /** FFmpeg's last lines on stderr. */
  stderr?: string[];
}

/** What the manifest says of post-processing: asked for, in progress (a restart redoes it), or done. */
export interface EncodingState {
  formats: EncodeFormat[];
  state: 'pending' | 'done';
  outputs: EncodedOutput[];
  failures: EncodeFailure[];
  /** Outputs not made because the recording has nothing to make them from (an MP4 without video). */
  skipped?: { path: string; reason: string }[];
}
