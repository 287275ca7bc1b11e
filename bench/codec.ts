/**
 * Decode throughput of the codec against a floor: the bare Buffer → toString → JSON.parse (+ base64
 * decode for audio) that any decoder has to do. Audio and transcripts, each as a text frame and as a
 * binary frame holding the same UTF-8 JSON (as Zoom may send; `decodeFrame(data, true)` also checks that
 * the bytes are UTF-8, which the floor does not). The goal is that validation costs at most 20 % on top of
 * the floor.
 *
 * CODEC_ROUNDS rounds (default 10), each running every case with CODEC_ROUND_MS (default 500) per side,
 * the order of decodeFrame and floor alternating round by round.
 */
import { decodeFrame } from '../src/protocol/codec.js';
import { MessageType } from '../src/protocol/enums.js';
import { audioFrame, transcriptFrame } from './codecFrames.js';
import { envInt } from './env.js';
import { goal, int, printTable } from './report.js';
import { formatSpread, roundOrder, spread } from './stats.js';

/** Unmeasured time per side before the first round, so both loops are compiled and the heap is settled. */
const WARM_UP_MS = 1_000;
/** Iterations between clock reads. */
const BATCH = 256;
/** decode / floor time ratio we aim for. */
const GOAL_RATIO = 1.2;

/** One unit of work; returns a number derived from its result so the JIT cannot drop it. */
type Work = (frame: Buffer) => number;

interface Case {
  name: string;
  frame: Buffer;
  decode: Work;
  floor: Work;
}

function decoder(type: MessageType, isBinary: boolean): Work {
  return (frame) => {
    const result = decodeFrame(frame, isBinary);
    if (!result.ok || result.message.msg_type !== type) return -1;
    return (result.message as { content: { data: { length: number } } }).content.data.length;
  };
}

const floorAudio: Work = (frame) => {
  const obj = JSON.parse(frame.toString()) as { content: { data: string } };
  return Buffer.from(obj.content.data, 'base64').length;
};

const floorTranscript: Work = (frame) => {
  const obj = JSON.parse(frame.toString()) as { content: { data: string } };
  return obj.content.data.length;
};

/** Runs `work` for about `ms`; returns operations per second and the checksum of results. */
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

interface CaseResult {
  decode: number[];
  floor: number[];
  /** Per round: floor rate / decode rate = decode time / floor time. */
  ratios: number[];
}

/**
 * Measures every case over the rounds. Each round runs every case, and in each case the two sides back
 * to back, their order alternating; so drift (other tenants, heat, the heap) is spread over all of them.
 */
async function measure(cases: readonly Case[], rounds: number, roundMs: number): Promise<CaseResult[]> {
  for (const c of cases) {
    if (c.decode(c.frame) !== c.floor(c.frame)) throw new Error(`${c.name}: decode and floor disagree`);
    run(c.decode, c.frame, WARM_UP_MS);
    run(c.floor, c.frame, WARM_UP_MS);
  }
  const results: CaseResult[] = cases.map(() => ({ decode: [], floor: [], ratios: [] }));
  let sink = 0;
  for (let round = 0; round < rounds; round++) {
    for (const [i, c] of cases.entries()) {
      const rates = { decode: 0, floor: 0 };
      for (const side of roundOrder(round, ['decode', 'floor'] as const)) {
        const r = run(c[side], c.frame, roundMs);
        rates[side] = r.opsPerSec;
        sink += r.sink;
      }
      const result = results[i]!;
      result.decode.push(rates.decode);
      result.floor.push(rates.floor);
      result.ratios.push(rates.floor / rates.decode);
    }
    // Let pending I/O run between rounds.
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (sink <= 0) throw new Error('the benchmark produced no work');
  return results;
}

/** Prints decode throughput of audio and transcripts, text and binary frames, next to the floor. */
export async function benchCodec(): Promise<void> {
  const rounds = envInt('CODEC_ROUNDS', 10);
  const roundMs = envInt('CODEC_ROUND_MS', 500);
  const audio = audioFrame();
  const transcript = transcriptFrame();
  const cases: Case[] = [
    {
      name: `audio 20 ms L16, text (${audio.length} B)`,
      frame: audio,
      decode: decoder(MessageType.MEDIA_DATA_AUDIO, false),
      floor: floorAudio,
    },
    {
      name: `audio 20 ms L16, binary (${audio.length} B)`,
      frame: audio,
      decode: decoder(MessageType.MEDIA_DATA_AUDIO, true),
      floor: floorAudio,
    },
    {
      name: `transcript, text (${transcript.length} B)`,
      frame: transcript,
      decode: decoder(MessageType.MEDIA_DATA_TRANSCRIPT, false),
      floor: floorTranscript,
    },
    {
      name: `transcript, binary (${transcript.length} B)`,
      frame: transcript,
      decode: decoder(MessageType.MEDIA_DATA_TRANSCRIPT, true),
      floor: floorTranscript,
    },
  ];
  console.log(
    `\ncodec: decodeFrame vs the floor (Buffer → toString → JSON.parse → base64 for audio); ` +
      `${rounds} rounds × ${roundMs} ms per side, order alternating`,
  );
  const summary: string[][] = [
    ['case', 'decodeFrame (median)', 'floor (median)', 'ratio min / median / max', ''],
  ];
  const results = await measure(cases, rounds, roundMs);
  for (const [i, c] of cases.entries()) {
    const r = results[i]!;
    const perRound = r.ratios.map((x, i) => `${int(r.decode[i]!)}/${int(r.floor[i]!)} ${x.toFixed(2)}×`);
    console.log(`  ${c.name}, per round decodeFrame/floor msg/s and ratio:`);
    for (let i = 0; i < perRound.length; i += 5) console.log(`    ${perRound.slice(i, i + 5).join('   ')}`);
    const s = spread(r.ratios);
    summary.push([
      c.name,
      `${int(spread(r.decode).median)} msg/s`,
      `${int(spread(r.floor).median)} msg/s`,
      formatSpread(s, 2, '×'),
      goal(`≤ ${GOAL_RATIO}× (median)`, s.median <= GOAL_RATIO),
    ]);
  }
  printTable(summary);
}
