#!/usr/bin/env node
// Regenerates the simulator's coded-audio fixtures in assets/simulator/audio/: for each participant tone
// (300 + 150 × i Hz, i = 0…19) one second of G.722 (16 kHz mono) and of Opus (mono and stereo) in
// 20 ms packets, encoded by FFmpeg from its own sine source (nothing is downloaded). Each file holds the
// 20 tones in order, 50 packets each, every packet as a 2-byte big-endian length and its bytes. The second
// of two encoded seconds is kept, so the encoder has settled when the loop starts.
//
//   node scripts/audio-fixtures.mjs            # writes into assets/simulator/audio/
//   node scripts/audio-fixtures.mjs OUT_DIR    # writes elsewhere
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2] ?? new URL('../assets/simulator/audio/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });

const TONES = 20;
const PACKETS = 50;
const toneHz = (i) => 300 + 150 * i;

function ffmpeg(args) {
  return execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-fflags', '+bitexact', ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The packets of an Ogg stream, headers included, joined across pages by their lacing. */
function oggPackets(data) {
  const packets = [];
  let current = [];
  let at = 0;
  while (at + 27 <= data.length) {
    if (data.toString('ascii', at, at + 4) !== 'OggS') throw new Error(`no Ogg page at ${at}`);
    const segments = data[at + 26];
    const lacing = data.subarray(at + 27, at + 27 + segments);
    let body = at + 27 + segments;
    for (const length of lacing) {
      current.push(data.subarray(body, body + length));
      body += length;
      if (length < 255) {
        packets.push(Buffer.concat(current));
        current = [];
      }
    }
    at = body;
  }
  return packets;
}

function sine(i, rate, channels) {
  // The simulator's tone level: about −12 dBFS.
  return [
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${toneHz(i)}:sample_rate=${rate}:duration=2`,
    '-af',
    `volume=0.25*8,pan=${channels === 2 ? 'stereo|c0=c0|c1=c0' : 'mono|c0=c0'}`,
  ];
}

function framed(packets) {
  return Buffer.concat(
    packets.flatMap((p) => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(p.length);
      return [length, p];
    }),
  );
}

const g722 = [];
const opus = { 1: [], 2: [] };
for (let i = 0; i < TONES; i++) {
  const raw = ffmpeg([...sine(i, 16000, 1), '-c:a', 'g722', '-f', 'g722', 'pipe:1']);
  // 160 bytes per 20 ms; the second second.
  for (let p = 0; p < PACKETS; p++) g722.push(raw.subarray(8000 + p * 160, 8000 + (p + 1) * 160));
  for (const channels of [1, 2]) {
    const ogg = ffmpeg([
      ...sine(i, 48000, channels),
      '-c:a',
      'libopus',
      '-b:a',
      `${32 * channels}k`,
      '-frame_duration',
      '20',
      '-application',
      'voip',
      '-f',
      'ogg',
      'pipe:1',
    ]);
    const audio = oggPackets(ogg).slice(2);
    if (audio.length < 2 * PACKETS) throw new Error(`tone ${i}: ${audio.length} Opus packets`);
    opus[channels].push(...audio.slice(PACKETS, 2 * PACKETS));
  }
}
writeFileSync(join(out, 'g722-mono.bin'), framed(g722));
writeFileSync(join(out, 'opus-mono.bin'), framed(opus[1]));
writeFileSync(join(out, 'opus-stereo.bin'), framed(opus[2]));
console.log(`wrote ${out}: ${g722.length} G.722 and ${opus[1].length + opus[2].length} Opus packets`);
