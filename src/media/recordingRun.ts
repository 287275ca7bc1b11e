/**
 * Which run of a stream's recording a folder is about to hold: the first, or the next one after a
 * resumed stream (its earlier runs repaired if their process died, their manifests kept), and where this
 * run's lines begin in the JSON lines files every run appends to.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { messageOf } from '../protocol/errorText.js';
import { type RecordingManifest, readManifest } from './manifest.js';
import { repairRecording } from './repair.js';
import { TRANSCRIPT_FILES } from './TranscriptTrack.js';

/** The JSON lines files every run appends to. */
const APPENDED_FILES = [TRANSCRIPT_FILES.jsonl, 'chat.jsonl', 'events.jsonl'] as const;

export interface RunSetup {
  /** 1 for a new folder, then 2, 3 … */
  run: number;
  /** Of this run's binary files: `''` for run 1, `.run2` … */
  suffix: string;
  /** The earlier runs' manifests, oldest first. */
  previousRuns: Partial<RecordingManifest>[];
  /** The transcript origin of the earlier runs, which this run's cues keep counting from. */
  inheritedTranscriptOrigin: number | undefined;
  /** Per appended file, its size before this run writes to it. */
  offsets: Map<string, number>;
}

/** Run 1 of a new folder, until {@link prepareRun} reads otherwise. */
export function newRunSetup(): RunSetup {
  return { run: 1, suffix: '', previousRuns: [], inheritedTranscriptOrigin: undefined, offsets: new Map() };
}

export interface RunSetupOptions {
  now: () => number;
  /** A file an earlier run left that could not be repaired. */
  onRepairError: (path: string, error: unknown) => void;
  /** Something the manifest should say about the folder. */
  note: (text: string) => void;
}

/**
 * Reads what the folder holds already into `setup`, step by step: when a step throws (what a folder
 * that cannot be read throws), what was read before it stays, so the manifest still names the run.
 */
export async function prepareRun(dir: string, setup: RunSetup, options: RunSetupOptions): Promise<void> {
  let previous = await readManifest(dir);
  if (previous.status === 'ok' && typeof previous.manifest.endedAt !== 'string') {
    // A run whose process died (another instance taking the stream over, or no repair at start):
    // repaired first, so that `previousRuns` describes its files, not its last manifest.
    await repairRecording(dir, { now: options.now, onError: options.onRepairError });
    previous = await readManifest(dir);
  }
  if (previous.status !== 'missing') continueFrom(setup, previous.status === 'ok' ? previous.manifest : {});
  if (previous.status === 'corrupt') {
    options.note(`an unreadable manifest.json (${messageOf(previous.error)}) was replaced`);
  }
  await Promise.all(
    APPENDED_FILES.map(async (file) => {
      try {
        setup.offsets.set(file, (await stat(join(dir, file))).size);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        setup.offsets.set(file, 0);
      }
    }),
  );
}

/** A stream resumed into a folder that holds a recording already: this is the next run. */
function continueFrom(setup: RunSetup, previous: Partial<RecordingManifest>): void {
  const run = typeof previous.run === 'number' && previous.run >= 1 ? previous.run : 1;
  setup.run = run + 1;
  setup.suffix = `.run${setup.run}`;
  const { previousRuns, ...rest } = previous;
  setup.previousRuns = [...(Array.isArray(previousRuns) ? previousRuns : []), rest];
  const origin = previous.transcriptOriginMs ?? previous.timelineOriginMs;
  if (typeof origin === 'number') setup.inheritedTranscriptOrigin = origin;
}
