/**
 * Video and screen-share frames at the negotiated resolution, over real loopback sockets, driven by the
 * bare client of `rawClient.ts` (never rtmskit's own client): JPEG and PNG sizes read from the bytes
 * (SOF, IHDR), the H.264 access-unit order (an IDR with SPS and PPS first on every connection and after
 * every change of who is shown, P-frames between), FFmpeg decoding what a connection received, and a
 * third-party client that drops small JPEGs (RTMS-PROTOCOL.md §4.2, §5.6, §10.1).
 */

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { ffmpegPresent } from '../helpers/ffmpeg.js';
import type { RawMessage, RawSocket } from './rawClient.js';
import { mediaBytes } from './rawClient.js';
import { MSG, type OpenStream, openMedia, openStream, SimHarness, sleep } from './simHelpers.js';

/** Spelled out here so the checks do not lean on rtmskit's enums. */
const SHARE = 16;
const VIDEO_BIT = 2;
const SHARE_BIT = 4;
const JPG = 5;
const PNG = 6;
const H264 = 7;
const FIRST_USER_ID = 16_778_240;

/** MEDIA_RESOLUTION → pixels, as docs/simulator.md states them. */
const SIZES = { 1: [854, 480], 2: [1280, 720], 3: [1920, 1080], 4: [2560, 1440] } as const;
type ResolutionId = keyof typeof SIZES;
const NAMES: Record<ResolutionId, string> = { 1: 'SD', 2: 'HD', 3: 'FHD', 4: 'QHD' };

/** A stream short enough to play through: participant 1 shares at 30–60 % and shows video at 50–80 %. */
const SHORT_STREAM_MS = 40_000;
/** The documented H.264 keyframe interval: each loop of the fixture restarts at its IDR. */
const H264_LOOP_FRAMES = 30;
/** Below this Zoom's screen-share sample drops a JPEG as junk. */
const SAMPLE_MIN_JPEG_BYTES = 1_000;

const NAL_SLICE = 1;
const NAL_IDR = 5;
const NAL_SPS = 7;
const NAL_PPS = 8;

// ---------------------------------------------------------------------------------------------------
// Reading the bytes, independently of the simulator's own helpers

/** Width and height from a JPEG's SOF0 (baseline) or SOF2 (progressive) segment. */
function jpegDimensions(jpeg: Buffer): [number, number] | undefined {
  if (jpeg.readUInt16BE(0) !== 0xffd8) return undefined;
  let at = 2;
  while (at + 9 <= jpeg.length && jpeg[at] === 0xff) {
    const marker = jpeg[at + 1]!;
    if (marker === 0xc0 || marker === 0xc2) return [jpeg.readUInt16BE(at + 7), jpeg.readUInt16BE(at + 5)];
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  return undefined;
}

/** Width and height from a PNG's IHDR chunk. */
function pngDimensions(png: Buffer): [number, number] | undefined {
  if (png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') return undefined;
  if (png.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

/** NAL unit types of an Annex-B access unit, in order. */
function nalTypesOf(unit: Buffer): number[] {
  const types: number[] = [];
  for (let i = 0; i + 3 < unit.length; i++) {
    if (unit[i] === 0 && unit[i + 1] === 0 && unit[i + 2] === 1) {
      types.push(unit[i + 3]! & 0x1f);
      i += 2;
    }
  }
  return types;
}

// ---------------------------------------------------------------------------------------------------
// FFmpeg

interface Decoded {
  errors: string;
  exitCode: number | null;
  width: number;
  height: number;
  frames: number;
}

/** Decodes an H.264 elementary stream with FFmpeg, and reads its size and frame count with ffprobe. */
function decodeH264(stream: Buffer): Decoded {
  const maxBuffer = 64 * 1024 * 1024;
  const decode = spawnSync('ffmpeg', ['-v', 'error', '-f', 'h264', '-i', 'pipe:0', '-f', 'null', '-'], {
    input: stream,
    maxBuffer,
  });
  const probe = spawnSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-f',
      'h264',
      '-count_packets',
      '-show_entries',
      'stream=width,height,nb_read_packets',
      '-of',
      'json',
      'pipe:0',
    ],
    { input: stream, maxBuffer },
  );
  const info = JSON.parse(probe.stdout.toString() || '{}') as {
    streams?: { width: number; height: number; nb_read_packets: string }[];
  };
  const first = info.streams?.[0];
  return {
    errors: decode.stderr.toString() + probe.stderr.toString(),
    exitCode: decode.status,
    width: first?.width ?? 0,
    height: first?.height ?? 0,
    frames: Number(first?.nb_read_packets ?? 0),
  };
}

// ---------------------------------------------------------------------------------------------------
// Driving the simulator

const harness = new SimHarness();
let sim: Simulator;

beforeAll(async () => {
  ({ sim } = await harness.start());
});

afterAll(() => harness.cleanup());

function contentOf(msg: RawMessage): { user_id: number; length: number; timestamp: number } {
  return msg.content as { user_id: number; length: number; timestamp: number };
}

/** Opens video (split URL) or screen share (the `all` URL, media_type 4) with the given parameters. */
function openPictures(
  stream: OpenStream,
  kind: 'video' | 'deskshare',
  params: Record<string, unknown>,
): Promise<RawSocket> {
  return kind === 'video'
    ? openMedia(stream, 'video', VIDEO_BIT, { video: params })
    : openMedia(stream, 'all', SHARE_BIT, { deskshare: params });
}

/** The confirmed parameters of one kind in the handshake response. */
function confirmed(socket: RawSocket, kind: 'video' | 'deskshare'): Record<string, number> {
  const response = socket.ofType(MSG.DATA_RESP)[0];
  const params = (response?.media_params ?? {}) as Record<string, Record<string, number>>;
  return params[kind] ?? {};
}

const STILL_CASES = [
  ...([1, 2, 3, 4] as const).map((resolution) => ({ codec: JPG, resolution })),
  ...([1, 2, 3, 4] as const).map((resolution) => ({ codec: PNG, resolution })),
];

describe('JPG and PNG frames', () => {
  it.each(
    STILL_CASES.map((c) => ({ ...c, label: `${c.codec === JPG ? 'JPG' : 'PNG'} ${NAMES[c.resolution]}` })),
  )('$label video is a real picture at the negotiated size', async ({ codec, resolution }) => {
    const stream = await openStream(sim, { participants: 2 });
    const video = await openPictures(stream, 'video', { codec, resolution, fps: 2 });
    expect(confirmed(video, 'video')).toMatchObject({ codec, resolution, fps: 2 });
    await video.waitForCount(MSG.VIDEO, 3);
    video.close();
    const [width, height] = SIZES[resolution];
    for (const frame of video.ofType(MSG.VIDEO).slice(0, 3)) {
      const bytes = mediaBytes(frame);
      expect(contentOf(frame).length).toBe(bytes.length);
      expect(contentOf(frame).user_id).toBe(FIRST_USER_ID);
      expect(bytes.length).toBeGreaterThan(SAMPLE_MIN_JPEG_BYTES);
      expect(codec === JPG ? jpegDimensions(bytes) : pngDimensions(bytes)).toEqual([width, height]);
      if (codec === JPG) expect(bytes.subarray(-2).toString('hex')).toBe('ffd9');
    }
  });

  it.each([
    { codec: JPG, resolution: 1 as const },
    { codec: JPG, resolution: 3 as const },
    { codec: PNG, resolution: 1 as const },
    { codec: PNG, resolution: 3 as const },
  ])(
    'screen share codec $codec resolution $resolution: the sharer’s picture at that size',
    async ({ codec, resolution }) => {
      const stream = await openStream(sim, { participants: 2, durationMs: SHORT_STREAM_MS });
      const share = await openPictures(stream, 'deskshare', { codec, resolution, fps: 2 });
      await share.waitForCount(SHARE, 2, 10_000);
      share.close();
      const [width, height] = SIZES[resolution];
      for (const frame of share.ofType(SHARE)) {
        const bytes = mediaBytes(frame);
        expect(contentOf(frame).user_id).toBe(FIRST_USER_ID + 1);
        expect(bytes.length).toBeGreaterThan(SAMPLE_MIN_JPEG_BYTES);
        expect(codec === JPG ? jpegDimensions(bytes) : pngDimensions(bytes)).toEqual([width, height]);
      }
    },
  );

  it('shows participants apart: another participant, another picture', async () => {
    const stream = await openStream(sim, { participants: 2, durationMs: SHORT_STREAM_MS });
    const video = await openPictures(stream, 'video', { codec: JPG, resolution: 2, fps: 5 });
    const share = await openPictures(stream, 'deskshare', { codec: JPG, resolution: 2, fps: 1 });
    await share.waitForCount(SHARE, 1, 10_000);
    video.close();
    share.close();
    const camera = mediaBytes(video.ofType(MSG.VIDEO)[0]!);
    const screen = mediaBytes(share.ofType(SHARE)[0]!);
    expect(jpegDimensions(camera)).toEqual(jpegDimensions(screen));
    expect(camera.equals(screen)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------

interface Sequence {
  units: Buffer[];
  users: number[];
}

function sequenceOf(socket: RawSocket, type: number): Sequence {
  const frames = socket.ofType(type);
  return { units: frames.map(mediaBytes), users: frames.map((f) => contentOf(f).user_id) };
}

/**
 * Checks the IDR rule frame by frame: an IDR with SPS and PPS in front on the first frame, on the first
 * frame after the shown user changes, and every {@link H264_LOOP_FRAMES} frames after that; a single
 * P slice on every other frame. Returns how many times the shown user changed.
 */
function expectIdrRule(seq: Sequence): number {
  let changes = 0;
  let run = 0;
  seq.units.forEach((unit, i) => {
    const changed = i === 0 || seq.users[i] !== seq.users[i - 1];
    if (changed) {
      if (i > 0) changes++;
      run = 0;
    }
    const types = nalTypesOf(unit);
    const where = `frame ${i} (user ${seq.users[i]}, ${run} since the last change)`;
    if (run % H264_LOOP_FRAMES === 0) {
      expect(types, where).toEqual([NAL_SPS, NAL_PPS, NAL_IDR]);
    } else {
      expect(types, where).toEqual([NAL_SLICE]);
    }
    run++;
  });
  return changes;
}

describe('H.264 frames', () => {
  it.each(([1, 2, 3, 4] as const).map((resolution) => ({ resolution, name: NAMES[resolution] })))(
    '$name video: IDR first and at every active-speaker change, P between, decodes at the size',
    async ({ resolution }) => {
      const stream = await openStream(sim, { participants: 2, durationMs: SHORT_STREAM_MS });
      const video = await openPictures(stream, 'video', { codec: H264, resolution, fps: 10 });
      expect(confirmed(video, 'video')).toMatchObject({ codec: H264, resolution, fps: 10 });
      await video.closed; // the stream plays to its end
      const seq = sequenceOf(video, MSG.VIDEO);
      expect(seq.units.length).toBeGreaterThan(100);
      // Participant 1's camera is on from 50 % to 80 %, and the two take turns speaking.
      expect(new Set(seq.users)).toEqual(new Set([FIRST_USER_ID, FIRST_USER_ID + 1]));
      expect(expectIdrRule(seq)).toBeGreaterThanOrEqual(2);

      if (!ffmpegPresent(`the FFmpeg decode of ${NAMES[resolution]} H.264 video`)) return;
      const decoded = decodeH264(Buffer.concat(seq.units));
      expect(decoded.errors).toBe('');
      expect(decoded.exitCode).toBe(0);
      expect([decoded.width, decoded.height]).toEqual(SIZES[resolution]);
      expect(decoded.frames).toBe(seq.units.length);
    },
    20_000,
  );

  it.each([1, 3] as const)(
    'screen share at resolution %i: IDR first, P between, decodes at the size',
    async (resolution) => {
      const stream = await openStream(sim, { participants: 2, durationMs: SHORT_STREAM_MS });
      const share = await openPictures(stream, 'deskshare', { codec: H264, resolution, fps: 10 });
      await share.closed;
      const seq = sequenceOf(share, SHARE);
      expect(seq.units.length).toBeGreaterThan(H264_LOOP_FRAMES);
      expect(new Set(seq.users)).toEqual(new Set([FIRST_USER_ID + 1]));
      expectIdrRule(seq);

      if (!ffmpegPresent(`the FFmpeg decode of H.264 screen share at resolution ${resolution}`)) return;
      const decoded = decodeH264(Buffer.concat(seq.units));
      expect(decoded.errors).toBe('');
      expect([decoded.width, decoded.height]).toEqual(SIZES[resolution]);
      expect(decoded.frames).toBe(seq.units.length);
    },
    20_000,
  );

  it('a new connection starts at an IDR even mid-loop, and what it receives decodes on its own', async () => {
    const stream = await openStream(sim, { participants: 1 });
    const first = await openPictures(stream, 'video', { codec: H264, resolution: 3, fps: 30 });
    await first.waitForCount(MSG.VIDEO, 5);
    sim.fault(stream.info.streamId, 'drop-media:video');
    await first.closed;
    const before = sequenceOf(first, MSG.VIDEO);
    expectIdrRule(before);
    // The old connection stopped inside a loop (frame 5 or later of 30): its sequence would go on with a
    // P-frame that a new decoder cannot use.
    expect(before.units.length % H264_LOOP_FRAMES).not.toBe(0);
    await sleep(200);
    const again = await openPictures(stream, 'video', { codec: H264, resolution: 3, fps: 30 });
    await again.waitForCount(MSG.VIDEO, 40);
    again.close();
    const after = sequenceOf(again, MSG.VIDEO);
    expectIdrRule(after);

    if (!ffmpegPresent('the FFmpeg decode of a reconnected H.264 connection')) return;
    const decoded = decodeH264(Buffer.concat(after.units));
    expect(decoded.errors).toBe('');
    expect([decoded.width, decoded.height]).toEqual([1920, 1080]);
  });
});

// ---------------------------------------------------------------------------------------------------

/**
 * A stand-in for Zoom's screen-share sample (save_screen_share_js): it tells JPEG, PNG and H.264 apart
 * by their first bytes, drops JPEGs under 1,000 bytes as junk and skips the first three JPEGs.
 */
class ShareSaverStandIn {
  readonly saved: Buffer[] = [];
  readonly droppedSmall: number[] = [];
  private jpegs = 0;

  handle(data: Buffer): void {
    const jpeg = data.readUInt16BE(0) === 0xffd8 && data.readUInt16BE(data.length - 2) === 0xffd9;
    if (!jpeg) {
      this.saved.push(data);
      return;
    }
    this.jpegs++;
    if (data.length < SAMPLE_MIN_JPEG_BYTES) {
      this.droppedSmall.push(data.length);
      return;
    }
    if (this.jpegs <= 3) return;
    this.saved.push(data);
  }
}

describe('a client that drops small JPEGs', () => {
  it('keeps the simulator’s screen-share frames with the default parameters (JPG, FHD, 1 fps)', async () => {
    // A 432-byte JPEG, the size the simulator used to send, is dropped: the stand-in does filter.
    const tiny = new ShareSaverStandIn();
    tiny.handle(Buffer.concat([Buffer.from('ffd8', 'hex'), Buffer.alloc(428), Buffer.from('ffd9', 'hex')]));
    expect(tiny.droppedSmall).toEqual([432]);
    expect(tiny.saved).toEqual([]);

    const saver = new ShareSaverStandIn();

    const stream = await openStream(sim, { participants: 2, durationMs: SHORT_STREAM_MS });
    const share = await openMedia(stream, 'all', SHARE_BIT);
    expect(confirmed(share, 'deskshare')).toMatchObject({ codec: JPG, resolution: 3, fps: 1 });
    await share.waitForCount(SHARE, 6, 10_000);
    share.close();
    const frames = share.ofType(SHARE);
    for (const frame of frames) saver.handle(mediaBytes(frame));
    expect(saver.droppedSmall).toEqual([]);
    // Every frame but the three initial ones the sample always skips.
    expect(saver.saved.length).toBe(frames.length - 3);
    for (const kept of saver.saved) expect(jpegDimensions(kept)).toEqual([1920, 1080]);
  });
});
