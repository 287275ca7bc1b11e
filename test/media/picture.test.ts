/**
 * PictureTrack: numbered JPG/PNG files, appended H.264, the frame index, drops.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { VideoFrame } from '../../src/client/events.js';
import { PictureTrack } from '../../src/media/PictureTrack.js';
import { RawTrack } from '../../src/media/RawTrack.js';
import { Codec } from '../../src/protocol/enums.js';
import { readJsonl, TempDirs } from './helpers.js';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

const JPG = (n: number) => Buffer.from([0xff, 0xd8, 0xff, 0xe0, n, n, n, 0xff, 0xd9]);
const PNG = (n: number) => Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, n]);
const NAL = (n: number) => Buffer.from([0, 0, 0, 1, 0x65, n, n, n, n]);

function frame(data: Buffer, codec: number, timestamp: number, userId = 16778240): VideoFrame {
  return { data, codec, timestamp, userId, userName: 'Alice' };
}

describe('PictureTrack', () => {
  it('writes JPG frames as numbered files with an index', async () => {
    const dir = await temp.make();
    const track = new PictureTrack(dir, 'video');
    for (let i = 1; i <= 3; i++) expect(track.write(frame(JPG(i), Codec.JPG, 1000 + i * 40))).toBe(true);
    const counters = await track.finalize();
    expect(counters).toMatchObject({ frames: 3, pictures: 3, h264Frames: 0, bytes: 27, dropped: 0 });
    expect((await readdir(join(dir, 'video'))).sort()).toEqual([
      '000001.jpg',
      '000002.jpg',
      '000003.jpg',
      'frames.jsonl',
    ]);
    expect(await readFile(join(dir, 'video', '000002.jpg'))).toEqual(JPG(2));
    expect(await readJsonl(join(dir, 'video', 'frames.jsonl'))).toEqual([
      { n: 1, timestamp: 1040, userId: 16778240, file: 'video/000001.jpg' },
      { n: 2, timestamp: 1080, userId: 16778240, file: 'video/000002.jpg' },
      { n: 3, timestamp: 1120, userId: 16778240, file: 'video/000003.jpg' },
    ]);
    expect(track.files).toEqual([{ path: 'video/', bytes: 27, files: 3 }]);
  });

  it('writes PNG screen share under its own name, and sniffs a frame whose codec says nothing', async () => {
    const dir = await temp.make();
    const track = new PictureTrack(dir, 'deskshare', { name: 'deskshare.run2' });
    track.write(frame(PNG(1), Codec.PNG, 10));
    track.write(frame(JPG(2), Codec.UNDEFINED, 20));
    expect(track.write(frame(Buffer.from('garbage!'), Codec.UNDEFINED, 30))).toBe(false);
    const counters = await track.finalize();
    expect(counters).toMatchObject({ pictures: 2, unknownCodec: 1, dropped: 1 });
    expect((await readdir(join(dir, 'deskshare.run2'))).sort()).toEqual([
      '000001.png',
      '000002.jpg',
      'frames.jsonl',
    ]);
    expect(await readFile(join(dir, 'deskshare.run2', '000001.png'))).toEqual(PNG(1));
  });

  it('appends H.264 data as received and indexes each frame by offset', async () => {
    const dir = await temp.make();
    const track = new PictureTrack(dir, 'video');
    for (let i = 1; i <= 3; i++) track.write(frame(NAL(i), Codec.H264, i * 40));
    const counters = await track.finalize();
    expect(counters).toMatchObject({ frames: 3, h264Frames: 3, pictures: 0, bytes: 27 });
    expect(await readFile(join(dir, 'video.h264'))).toEqual(Buffer.concat([NAL(1), NAL(2), NAL(3)]));
    expect(await readJsonl(join(dir, 'video', 'frames.jsonl'))).toEqual([
      { n: 1, timestamp: 40, userId: 16778240, file: 'video.h264', offset: 0, bytes: 9 },
      { n: 2, timestamp: 80, userId: 16778240, file: 'video.h264', offset: 9, bytes: 9 },
      { n: 3, timestamp: 120, userId: 16778240, file: 'video.h264', offset: 18, bytes: 9 },
    ]);
    expect(track.files).toEqual([{ path: 'video.h264', bytes: 27 }]);
  });

  it('drops and counts pictures over the queue bound, numbering only the ones kept', async () => {
    const dir = await temp.make();
    const track = new PictureTrack(dir, 'video', { maxQueueBytes: 20 });
    const accepted = [1, 2, 3, 4].map((i) => track.write(frame(JPG(i), Codec.JPG, i)));
    expect(accepted).toEqual([true, true, false, false]);
    const counters = await track.finalize();
    expect(counters).toMatchObject({ pictures: 2, dropped: 2, droppedBytes: 18, indexDropped: 0 });
    expect((await readdir(join(dir, 'video'))).sort()).toEqual(['000001.jpg', '000002.jpg', 'frames.jsonl']);
    expect(track.write(frame(JPG(5), Codec.JPG, 5))).toBe(false);
    expect(track.counters.dropped).toBe(3);
  });
});

describe('RawTrack', () => {
  it('appends frames and writes an offset index', async () => {
    const dir = await temp.make();
    const raw = new RawTrack(join(dir, 'a.opus.raw'), { indexPath: join(dir, 'a.opus.jsonl') });
    expect(raw.append(Buffer.from([1, 2, 3]), 100)).toBe(0);
    expect(raw.append(Buffer.from([4, 5]), 120)).toBe(3);
    expect(raw.append(Buffer.alloc(0), 140)).toBeUndefined();
    expect(await raw.finalize()).toMatchObject({ frames: 2, bytes: 5, dropped: 0 });
    expect(await readFile(join(dir, 'a.opus.raw'))).toEqual(Buffer.from([1, 2, 3, 4, 5]));
    expect(await readJsonl(join(dir, 'a.opus.jsonl'))).toEqual([
      { n: 1, timestamp: 100, offset: 0, bytes: 3 },
      { n: 2, timestamp: 120, offset: 3, bytes: 2 },
    ]);
  });
});
