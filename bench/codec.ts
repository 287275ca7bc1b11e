/**
 * Decode throughput of the codec against a floor: the bare `JSON.parse` (+ base64 decode for media) that
 * any decoder has to do. The goal is that validation costs at most 20% on top of that floor.
 */
import { decodeFrame } from '../src/protocol/codec.js';
import { DataMessageAttribute, MessageType, TranscriptLanguage } from '../src/protocol/enums.js';

/** Time spent in each measured round. */
const ROUND_MS = 1_000;
/** Measured rounds per case; the median is reported. */
const ROUNDS = 5;
/** Unmeasured time per case before the first round, so both loops are compiled and the heap is settled. */
const WARM_UP_MS = 300;
/** Iterations between clock reads. */
const BATCH = 256;
/** decode / floor time ratio we aim for. */
const GOAL_RATIO = 1.2;

/** 20 ms of 16 kHz mono L16 (320 samples, 640 bytes): a 440 Hz tone with a quieter 1 kHz overtone. */
function l16Frame(): Buffer {
  const samples = 320;
  const buf = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    const t = i / 16_000;
    const v = 9_000 * Math.sin(2 * Math.PI * 440 * t) + 3_000 * Math.sin(2 * Math.PI * 1_000 * t);
    buf.writeInt16LE(Math.round(v), i * 2);
  }
  return buf;
}

function audioFrame(): Buffer {
  const pcm = l16Frame();
  return Buffer.from(
    JSON.stringify({
      msg_type: MessageType.MEDIA_DATA_AUDIO,
      content: {
        user_id: 16_778_240,
        user_name: 'Ada Lovelace',
        data: pcm.toString('base64'),
        length: pcm.length,
        timestamp: 1_727_384_349_000,
      },
    }),
  );
}

function transcriptFrame(): Buffer {
  return Buffer.from(
    JSON.stringify({
      msg_type: MessageType.MEDIA_DATA_TRANSCRIPT,
      content: {
        user_id: 16_778_240,
        user_name: 'Ada Lovelace',
        data:
          'Let us move the quarterly review to Thursday so that ' +
          'the whole team can look at the final numbers.',
        start_time: 1_727_384_349_000,
        end_time: 1_727_384_352_480,
        timestamp: 1_727_384_349_000,
        language: TranscriptLanguage.ENGLISH,
        attribute: DataMessageAttribute.ATTR_NEW,
      },
    }),
  );
}

/** One unit of work; returns a number derived from its result so the JIT cannot drop it. */
type Work = (frame: Buffer) => number;

interface Case {
  name: string;
  frame: Buffer;
  decode: Work;
  floor: Work;
}

const decodeMedia: Work = (frame) => {
  const result = decodeFrame(frame, false);
  if (!result.ok || result.message.msg_type !== MessageType.MEDIA_DATA_AUDIO) return -1;
  return result.message.content.data.length;
};

const floorMedia: Work = (frame) => {
  const obj = JSON.parse(frame.toString()) as { content: { data: string } };
  return Buffer.from(obj.content.data, 'base64').length;
};

const decodeText: Work = (frame) => {
  const result = decodeFrame(frame, false);
  if (!result.ok || result.message.msg_type !== MessageType.MEDIA_DATA_TRANSCRIPT) return -1;
  return result.message.content.data.length;
};

const floorText: Work = (frame) => {
  const obj = JSON.parse(frame.toString()) as { content: { data: string } };
  return obj.content.data.length;
};

/** Runs `work` for about `ms`, returning operations per second and the checksum of results. */
function run(work: Work, frame: Buffer, ms: number): { opsPerSec: number; sink: number } {
  const budget = BigInt(ms) * 1_000_000n;
  let sink = 0;
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  do {
    for (let i = 0; i < BATCH; i++) sink += work(frame);
    ops += BATCH;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budget);
  return { opsPerSec: (ops * 1e9) / Number(elapsed), sink };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function formatRate(opsPerSec: number): string {
  return `${Math.round(opsPerSec).toLocaleString('en-US')} msg/s`;
}

/** Measures one case: decode and floor rounds interleaved, so drift (thermal, GC) hits both alike. */
function measure(c: Case): { decode: number; floor: number; sink: number } {
  const expected = c.floor(c.frame);
  if (c.decode(c.frame) !== expected) throw new Error(`${c.name}: decode and floor disagree on the frame`);
  run(c.decode, c.frame, WARM_UP_MS);
  run(c.floor, c.frame, WARM_UP_MS);
  const decodeRates: number[] = [];
  const floorRates: number[] = [];
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const d = run(c.decode, c.frame, ROUND_MS);
    const f = run(c.floor, c.frame, ROUND_MS);
    decodeRates.push(d.opsPerSec);
    floorRates.push(f.opsPerSec);
    sink += d.sink + f.sink;
  }
  return { decode: median(decodeRates), floor: median(floorRates), sink };
}

/** Prints decode throughput of a 20 ms audio frame and a transcript next to the JSON.parse floor. */
export async function benchCodec(): Promise<void> {
  const cases: Case[] = [
    { name: 'audio 20 ms L16 (640 B)', frame: audioFrame(), decode: decodeMedia, floor: floorMedia },
    { name: 'transcript', frame: transcriptFrame(), decode: decodeText, floor: floorText },
  ];
  const rows: string[][] = [['case', 'frame', 'decodeFrame', 'floor', 'ratio', `goal ≤ ${GOAL_RATIO}×`]];
  let sink = 0;
  for (const c of cases) {
    const r = measure(c);
    sink += r.sink;
    const ratio = r.floor / r.decode;
    rows.push([
      c.name,
      `${c.frame.length} B`,
      formatRate(r.decode),
      formatRate(r.floor),
      `${ratio.toFixed(2)}×`,
      ratio <= GOAL_RATIO ? 'met' : 'NOT met',
    ]);
    // Let pending I/O (the console) drain between cases.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  console.log(`codec decode throughput (median of ${ROUNDS} × ${ROUND_MS} ms, Node ${process.version})`);
  for (const [i, row] of rows.entries()) {
    console.log(
      row.map((cell, col) => (col < 2 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('  '),
    );
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  if (sink <= 0) throw new Error('benchmark produced no work');
}
