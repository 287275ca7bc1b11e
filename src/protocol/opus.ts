/**
 * What an Opus packet's TOC byte says (RFC 6716 §3.1): how many samples it decodes to. Recordings place
 * decoded Opus on their timeline with it; the simulator checks its Opus fixtures with it.
 */

/** Opus always counts time at 48 kHz. */
export const OPUS_RATE = 48_000;

/** Samples (per channel, at 48 kHz) in each frame, by the TOC byte's configuration. */
function frameSamples(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config & 3] ?? 960;
  if (config < 16) return [480, 960][config & 1] ?? 960;
  return [120, 240, 480, 960][config & 3] ?? 960;
}

/** Frames in `packet`: 1 (code 0), 2 (codes 1 and 2), or the count byte's (code 3). */
export function opusPacketFrames(packet: Buffer): number {
  const toc = packet[0];
  if (toc === undefined) return 0;
  const code = toc & 3;
  return code === 0 ? 1 : code === 3 ? (packet[1] ?? 0) & 0x3f : 2;
}

/** Samples per channel at 48 kHz that `packet` decodes to; 0 for an empty packet. */
export function opusPacketSamples(packet: Buffer): number {
  const toc = packet[0];
  return toc === undefined ? 0 : frameSamples(toc >> 3) * opusPacketFrames(packet);
}
