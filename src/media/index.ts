export { type JsonlCounters, JsonlWriter, jsonReplacer } from './JsonlWriter.js';
export {
  type AudioLayout,
  MANIFEST_FILE,
  MANIFEST_VERSION,
  type ManifestFile,
  type ManifestFileKind,
  type RecordingCounters,
  type RecordingManifest,
  readManifest,
} from './manifest.js';
export {
  type PictureCounters,
  type PictureFile,
  type PictureKind,
  PictureTrack,
  type PictureTrackOptions,
} from './PictureTrack.js';
export { MAX_PATH_PART_CHARS, RECORDINGS_DIR, recordingDir, sanitizePathPart } from './paths.js';
export {
  DEFAULT_QUEUE_BYTES,
  type DropCounters,
  INDEX_QUEUE_BYTES,
  MemoryBudget,
  type QueueOptions,
} from './queue.js';
export { RawTrack, type RawTrackCounters, type RawTrackOptions } from './RawTrack.js';
export {
  attachRecorder,
  RECORDER_CLOSED_REASON,
  RECORDER_MEMORY_BYTES,
  type RecorderHandle,
  type RecorderOptions,
  type RecorderSource,
} from './Recorder.js';
export {
  type DropSink,
  type FinalizeOptions,
  Recording,
  type RecordingOptions,
  type RecordingRef,
} from './Recording.js';
export { type RepairOptions, repairRecordings, UNFINISHED_REASON } from './repair.js';
export {
  type Cue,
  cueOf,
  DEFAULT_CUE_MS,
  escapeVtt,
  formatCueTime,
  type TimedText,
  toSrt,
  toWebVtt,
} from './subtitles.js';
export {
  type RenderedTranscript,
  renderTranscript,
  TRANSCRIPT_FILES,
  type TranscriptLine,
  TranscriptTrack,
} from './TranscriptTrack.js';
export {
  HEADER_REWRITE_MS,
  repairWav,
  WAV_HEADER_BYTES,
  type WavCounters,
  type WavRepair,
  WavWriter,
  type WavWriterOptions,
  wavHeader,
} from './WavWriter.js';
