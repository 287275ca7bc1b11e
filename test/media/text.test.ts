/**
 * Transcripts (JSONL, WebVTT, SubRip: exact bytes) and the JSON lines writer.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TranscriptSegment } from '../../src/client/events.js';
import { JsonlWriter } from '../../src/media/JsonlWriter.js';
import { cueOf, formatCueTime, toSrt, toWebVtt } from '../../src/media/subtitles.js';
import { TranscriptTrack } from '../../src/media/TranscriptTrack.js';
import { RtmsError } from '../../src/protocol/errors.js';
import { readJsonl, TempDirs } from './helpers.js';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

const ORIGIN = 1_700_000_000_000;

function segment(fields: Partial<TranscriptSegment> & { text: string }): TranscriptSegment {
  return {
    userId: 1,
    userName: undefined,
    startTime: undefined,
    endTime: undefined,
    timestamp: undefined,
    language: 9,
    attribute: undefined,
    channelId: undefined,
    ...fields,
  };
}

/** Arrival order differs from start order on purpose (the third starts first). */
const SEGMENTS: TranscriptSegment[] = [
  segment({
    text: 'Hello & welcome <all>',
    userName: 'Alice',
    startTime: ORIGIN + 1_000,
    endTime: ORIGIN + 3_500,
  }),
  segment({ text: 'Hi\n\nthere', userName: 'Bob <host>', startTime: ORIGIN + 4_000 }),
  segment({ text: 'early', userId: 7, timestamp: ORIGIN - 1_000, endTime: ORIGIN + 500 }),
  segment({ text: 'anon', userId: 0, startTime: ORIGIN + 10_000, endTime: ORIGIN + 11_000 }),
  segment({
    text: 'backwards',
    userName: 'Carol',
    startTime: ORIGIN + 3_723_456,
    endTime: ORIGIN + 3_723_446,
  }),
  segment({ text: '   ', userName: 'Nobody', startTime: ORIGIN + 20_000 }),
];

const EXPECTED_VTT = `WEBVTT

00:00:00.000 --> 00:00:00.500
<v User 7>early

00:00:01.000 --> 00:00:03.500
<v Alice>Hello &amp; welcome &lt;all&gt;

00:00:04.000 --> 00:00:06.000
<v Bob &lt;host&gt;>Hi
there

00:00:10.000 --> 00:00:11.000
anon

01:02:03.456 --> 01:02:05.456
<v Carol>backwards
`;

const EXPECTED_SRT = `1
00:00:00,000 --> 00:00:00,500
User 7: early

2
00:00:01,000 --> 00:00:03,500
Alice: Hello & welcome <all>

3
00:00:04,000 --> 00:00:06,000
Bob <host>: Hi
there

4
00:00:10,000 --> 00:00:11,000
anon

5
01:02:03,456 --> 01:02:05,456
Carol: backwards
`;

describe('subtitles', () => {
  it('formats cue times for both formats, hours past 99 included', () => {
    expect(formatCueTime(0, '.')).toBe('00:00:00.000');
    expect(formatCueTime(3_723_456, ',')).toBe('01:02:03,456');
    expect(formatCueTime(100 * 3_600_000 + 7, '.')).toBe('100:00:00.007');
  });

  it('clamps negative times and keeps the end after the start', () => {
    expect(cueOf({ text: 'x', startTime: ORIGIN - 5_000, endTime: ORIGIN - 4_000 }, ORIGIN)).toEqual({
      startMs: 0,
      endMs: 2_000,
      speaker: undefined,
      lines: ['x'],
    });
    expect(cueOf({ text: ' \n ', startTime: ORIGIN }, ORIGIN)).toBeUndefined();
  });

  it('renders an empty file for no cues', () => {
    expect(toWebVtt([])).toBe('WEBVTT\n');
    expect(toSrt([])).toBe('');
  });
});

describe('TranscriptTrack', () => {
  it('appends transcript.jsonl and renders the exact VTT and SRT', async () => {
    const dir = await temp.make();
    const track = new TranscriptTrack(dir);
    for (const s of SEGMENTS) expect(track.write(s)).toBe(true);
    const first = track.finalize(ORIGIN);
    expect(track.finalize(ORIGIN + 99)).toBe(first);
    expect(await first).toEqual({ cues: 5, skippedLines: 0 });
    expect(await readFile(join(dir, 'transcript.vtt'), 'utf8')).toBe(EXPECTED_VTT);
    expect(await readFile(join(dir, 'transcript.srt'), 'utf8')).toBe(EXPECTED_SRT);
    const lines = await readJsonl(join(dir, 'transcript.jsonl'));
    expect(lines).toHaveLength(6);
    expect(lines[0]).toEqual({
      text: 'Hello & welcome <all>',
      userId: 1,
      userName: 'Alice',
      startTime: ORIGIN + 1_000,
      endTime: ORIGIN + 3_500,
      language: 9,
    });
    expect(lines[2]).toEqual({
      text: 'early',
      userId: 7,
      endTime: ORIGIN + 500,
      language: 9,
      timestamp: ORIGIN - 1_000,
    });
    expect(track.counters.lines).toBe(6);
    expect(track.write(SEGMENTS[0]!)).toBe(false);
  });
});

describe('JsonlWriter', () => {
  it('writes one parseable line per value, errors and buffers made readable', async () => {
    const path = join(await temp.make(), 'events.jsonl');
    const writer = new JsonlWriter(path);
    expect(writer.write({ kind: 'a', n: 1 })).toBe(true);
    expect(writer.write({ error: RtmsError.timeout('connect', 5) })).toBe(true);
    expect(writer.write({ data: Buffer.alloc(1234), big: 10n })).toBe(true);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(writer.write(circular)).toBe(false);
    const counters = await writer.close();
    expect(counters).toMatchObject({ lines: 3, dropped: 1 });
    const lines = await readJsonl(path);
    expect(lines).toEqual([
      { kind: 'a', n: 1 },
      { error: { name: 'RtmsError', message: 'connect did not happen within 5 ms', code: 'TIMEOUT' } },
      { data: { bytes: 1234 }, big: '10' },
    ]);
    expect(counters.bytes).toBe((await readFile(path)).length);
  });

  it('appends to an existing file', async () => {
    const path = join(await temp.make(), 'chat.jsonl');
    const a = new JsonlWriter(path);
    a.write({ n: 1 });
    await a.close();
    const b = new JsonlWriter(path);
    b.write({ n: 2 });
    await b.close();
    expect(await readJsonl(path)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('drops and counts lines over the queue bound', async () => {
    const path = join(await temp.make(), 'x.jsonl');
    // Each line is 52 bytes: two fit in 120.
    const writer = new JsonlWriter(path, { maxQueueBytes: 120 });
    const line = { text: 'x'.repeat(40) };
    const accepted = [writer.write(line), writer.write(line), writer.write(line), writer.write(line)];
    expect(accepted).toEqual([true, true, false, false]);
    const counters = await writer.close();
    expect(counters).toMatchObject({ lines: 2, dropped: 2 });
    expect(await readJsonl(path)).toHaveLength(2);
    expect(writer.write(line)).toBe(false);
    expect(writer.counters.dropped).toBe(3);
  });
});
