/**
 * The pictures the simulator sends as video and screen share, at the negotiated resolution: for each
 * RTMS resolution and each of four looks, a JPEG still, a PNG still and an H.264 loop. FFmpeg made them
 * from its own test sources (`scripts/video-fixtures.sh`); they ship in `assets/simulator/pictures/`.
 *
 * A simulator loads them once and every stream shares them: a frame is a view into one Buffer per file,
 * never a copy, a decode or a re-encode.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { Codec, Resolution } from '../../protocol/enums.js';
import { RTMS_ERROR_CODES, RtmsError } from '../../protocol/errors.js';
import { RESOLUTIONS } from '../../protocol/mediaRules.js';
import {
  jpegSize,
  NalType,
  nalTypes,
  type PictureSize,
  pngSize,
  splitAccessUnits,
} from '../../protocol/pictureFormats.js';

/**
 * The pixel size sent for each MEDIA_RESOLUTION (reference §5.6, §10.1). The enum gives SD as 854×480 or
 * 640×360; the simulator sends 854×480, the 16:9 480p.
 */
export const PICTURE_SIZES: Readonly<Record<Resolution, PictureSize>> = {
  [Resolution.SD]: [854, 480],
  [Resolution.HD]: [1280, 720],
  [Resolution.FHD]: [1920, 1080],
  [Resolution.QHD]: [2560, 1440],
};

/**
 * The looks, named after the FFmpeg source they are drawn from. Participant *i* is shown with look
 * `i mod 4`, so the camera of participant 0 and the shared screen of participant 1 differ at a glance.
 */
export const PICTURE_LOOKS = ['testsrc2', 'bars', 'testsrc', 'gradients'] as const;
export type PictureLook = (typeof PICTURE_LOOKS)[number];

/** Frames in each H.264 loop: an IDR with SPS and PPS in front, then P-frames. */
export const H264_LOOP_FRAMES = 30;

/**
 * Where the fixtures live: the package's `assets/simulator/pictures/`. This module sits three folders
 * below the package root both as source (`src/simulator/content/`) and built (`dist/simulator/content/`).
 */
export const PICTURE_DIR: URL = new URL('../../../assets/simulator/pictures/', import.meta.url);

/** The fixtures of one look at one resolution. */
interface PictureSet {
  jpeg: Buffer;
  png: Buffer;
  /** Access units; the first is the IDR. */
  h264: readonly Buffer[];
}

/** Index into {@link PICTURE_LOOKS} of the look a participant is shown with. */
function lookIndexOf(participantIndex: number): number {
  const count = PICTURE_LOOKS.length;
  return ((participantIndex % count) + count) % count;
}

/** The look a participant is shown with. */
export function lookOf(participantIndex: number): PictureLook {
  return PICTURE_LOOKS[lookIndexOf(participantIndex)] ?? PICTURE_LOOKS[0];
}

/** The pixel size of a resolution the handshake confirmed. */
export function pictureSize(resolution: number): PictureSize {
  const size = PICTURE_SIZES[resolution as Resolution] as PictureSize | undefined;
  if (!size) {
    throw RtmsError.invalidOptions(
      `resolution ${resolution} has no picture size`,
      'use 1 (SD), 2 (HD), 3 (FHD) or 4 (QHD)',
    );
  }
  return size;
}

/** File name of one fixture, e.g. `bars-1920x1080.h264`. */
export function fixtureName(look: PictureLook, size: PictureSize, extension: 'jpg' | 'png' | 'h264'): string {
  return `${look}-${size[0]}x${size[1]}.${extension}`;
}

function broken(file: string, problem: string, cause?: unknown): RtmsError {
  return new RtmsError(RTMS_ERROR_CODES.CONFIG_INVALID, `simulator picture ${file} ${problem}`, {
    fix: 'reinstall rtmskit (the package ships assets/simulator/pictures/), or run scripts/video-fixtures.sh in a checkout',
    cause,
  });
}

async function readFixture(dir: URL, name: string): Promise<Buffer> {
  try {
    return await readFile(new URL(name, dir));
  } catch (err) {
    throw broken(name, 'cannot be read', err);
  }
}

function checkStill(name: string, found: PictureSize | undefined, size: PictureSize): void {
  if (!found) throw broken(name, 'is not a picture of its format');
  if (found[0] !== size[0] || found[1] !== size[1]) {
    throw broken(name, `is ${found[0]}×${found[1]}, not ${size[0]}×${size[1]}`);
  }
}

/** The loop must open with SPS, PPS and an IDR, and hold only P-frames after it. */
function checkLoop(name: string, units: readonly Buffer[]): void {
  const [first, ...rest] = units;
  const types = first ? nalTypes(first) : [];
  const idr = types.indexOf(NalType.IDR);
  const sps = types.indexOf(NalType.SPS);
  const pps = types.indexOf(NalType.PPS);
  if (idr < 0 || sps < 0 || pps < 0 || sps > idr || pps > idr) {
    throw broken(name, 'does not start with SPS, PPS and an IDR picture');
  }
  if (units.length !== H264_LOOP_FRAMES) {
    throw broken(name, `has ${units.length} frames, not ${H264_LOOP_FRAMES}`);
  }
  for (const unit of rest) {
    const later = nalTypes(unit);
    if (!later.includes(NalType.SLICE) || later.includes(NalType.IDR)) {
      throw broken(name, 'has a frame after the first that is not a P-frame');
    }
  }
}

/** Every picture fixture, loaded and checked. Build one with {@link PictureLibrary.load}. */
export class PictureLibrary {
  /** By resolution, then by look index: no key is built per frame. */
  readonly #sets: ReadonlyMap<number, readonly PictureSet[]>;

  private constructor(sets: ReadonlyMap<number, readonly PictureSet[]>) {
    this.#sets = sets;
  }

  /**
   * Reads and checks every fixture (about 2.7 MB in all).
   *
   * @throws RtmsError `CONFIG_INVALID` when a file is missing, is not of its format, has the wrong size,
   * or an H.264 loop does not open with SPS, PPS and an IDR.
   */
  static async load(dir: URL = PICTURE_DIR): Promise<PictureLibrary> {
    const sets = new Map<number, PictureSet[]>();
    const jobs: Promise<void>[] = [];
    for (const resolution of RESOLUTIONS) {
      const size = pictureSize(resolution);
      const byLook: PictureSet[] = [];
      sets.set(resolution, byLook);
      PICTURE_LOOKS.forEach((look, lookIndex) => {
        jobs.push(
          (async () => {
            const names = {
              jpeg: fixtureName(look, size, 'jpg'),
              png: fixtureName(look, size, 'png'),
              h264: fixtureName(look, size, 'h264'),
            };
            const [jpeg, png, stream] = await Promise.all([
              readFixture(dir, names.jpeg),
              readFixture(dir, names.png),
              readFixture(dir, names.h264),
            ]);
            checkStill(names.jpeg, jpegSize(jpeg), size);
            checkStill(names.png, pngSize(png), size);
            const h264 = splitAccessUnits(stream);
            checkLoop(names.h264, h264);
            byLook[lookIndex] = { jpeg, png, h264 };
          })(),
        );
      });
    }
    await Promise.all(jobs);
    return new PictureLibrary(sets);
  }

  #set(resolution: number, participantIndex: number): PictureSet {
    const set = this.#sets.get(resolution)?.[lookIndexOf(participantIndex)];
    if (set) return set;
    const size = pictureSize(resolution); // throws for a resolution outside 1–4
    throw broken(fixtureName(lookOf(participantIndex), size, 'jpg'), 'was not loaded');
  }

  /**
   * The frame to send: the participant's JPEG or PNG still, or access unit `frameNo` (counted from the
   * participant's IDR, looping) of their H.264 loop. The Buffer is shared: do not change it.
   */
  frame(codec: number, resolution: number, participantIndex: number, frameNo: number): Buffer {
    const set = this.#set(resolution, participantIndex);
    switch (codec) {
      case Codec.PNG:
        return set.png;
      case Codec.H264:
        return set.h264[frameNo % set.h264.length] as Buffer;
      default:
        return set.jpeg;
    }
  }

  /** The H.264 loop of a participant at a resolution: access units, the first an IDR with SPS and PPS. */
  h264Loop(resolution: number, participantIndex: number): readonly Buffer[] {
    return this.#set(resolution, participantIndex).h264;
  }
}
