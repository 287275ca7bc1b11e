/**
 * `rtmskit/media`: recording a manager's streams to disk, and reading, repairing and pruning what was
 * recorded.
 */

export {
  ENCODE_FORMATS,
  ENCODE_TIMEOUT_MS,
  type EncodedOutput,
  type EncodeFailure,
  type EncodeFormat,
  Encoder,
  type EncoderOptions,
  type EncodingState,
  hasEncodingWork,
  needsEncoding,
  type OutputFormat,
} from './encode/index.js';
export { listRecordingFolders, type RecordingFolder } from './folders.js';
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
export { RECORDINGS_DIR, recordingDir, sanitizePathPart } from './paths.js';
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
export { type RepairOptions, repairRecording, repairRecordings, UNFINISHED_REASON } from './repair.js';
export {
  deleteStreamRecordings,
  type PruneRecordingsOptions,
  pruneRecordings,
  type RemovedRecording,
} from './retention.js';
export { type Cue, cueOf, type TimedText, toSrt, toWebVtt } from './subtitles.js';
export { type RenderedTranscript, renderTranscript, TRANSCRIPT_FILES } from './TranscriptTrack.js';
export {
  HEADER_REWRITE_MS,
  repairWav,
  type WavCounters,
  type WavRepair,
  WavWriter,
  type WavWriterOptions,
} from './WavWriter.js';
