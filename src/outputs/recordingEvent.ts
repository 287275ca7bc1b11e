/**
 * What outputs say of a finished recording: where it is, how it ended, and its files, from the manifest.
 */
import { relative } from 'node:path';
import type { RecordingManifest } from '../media/manifest.js';

export function recordingFinishedData(
  manifest: Partial<RecordingManifest>,
  dir: string | undefined,
  dataDir: string,
): Record<string, unknown> {
  return {
    dir: dir === undefined ? null : relative(dataDir, dir),
    run: manifest.run ?? null,
    writer: manifest.writer ?? null,
    startedAt: manifest.startedAt ?? null,
    endedAt: manifest.endedAt ?? null,
    endReason: manifest.endReason ?? null,
    stopReason: manifest.stopReason ?? null,
    stopReasonName: manifest.stopReasonName ?? null,
    files: manifest.files ?? [],
    counters: manifest.counters ?? null,
    encoding: manifest.encoding ?? null,
  };
}
