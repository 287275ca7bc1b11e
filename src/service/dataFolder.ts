/**
 * The service's data folder at start: made (or refused with the fix) before anything connects, and the
 * recordings a stop or a crash left unfinished repaired.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { needsEncoding } from '../media/encode/index.js';
import { probeWritable } from '../media/folders.js';
import { RECORDINGS_DIR } from '../media/paths.js';
import { repairRecordings } from '../media/Recorder.js';
import { RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';

/**
 * Makes the data folder and checks that recordings can be written into it.
 *
 * @returns The recordings folder.
 * @throws RtmsError `CONFIG_INVALID` naming the folder and the fix.
 */
export async function prepareDataFolder(dataDir: string): Promise<string> {
  await mkdir(dataDir, { recursive: true }).catch((cause: unknown) => {
    throw new RtmsError(RTMS_ERROR_CODES.CONFIG_INVALID, `data folder ${dataDir} cannot be created`, {
      cause,
      fix: 'point RTMSKIT_DATA_DIR (or --data-dir) at a writable folder',
    });
  });
  const recordingsDir = join(dataDir, RECORDINGS_DIR);
  await probeWritable(recordingsDir).catch((cause: unknown) => {
    throw new RtmsError(
      RTMS_ERROR_CODES.CONFIG_INVALID,
      `recordings cannot be written to ${recordingsDir}: ${(cause as Error).message}`,
      {
        cause,
        fix:
          `make ${recordingsDir} a folder this process can write to, or point RTMSKIT_DATA_DIR ` +
          '(or --data-dir) at one: no stream is connected without a place to record it',
      },
    );
  });
  return recordingsDir;
}

/**
 * Repairs the recordings left unfinished (logged as a warning).
 *
 * @returns The folders of finished recordings whose encoding a stop or a crash cut short, to redo.
 */
export async function repairAtStart(dataDir: string, logger: Logger): Promise<string[]> {
  const unencoded: string[] = [];
  const repaired = await repairRecordings(dataDir, {
    onFinished: (dir, manifest) => {
      if (needsEncoding(manifest)) unencoded.push(dir);
    },
  });
  if (repaired.length > 0) logger.warn({ files: repaired }, 'repaired unfinished recordings');
  return unencoded;
}
