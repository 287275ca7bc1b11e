/**
 * The live outputs of `rtmskit serve`, over real HTTP and real WebSockets against the simulator: an SSE
 * client gets every transcript segment in order with ids and resumes with Last-Event-ID; a WebSocket
 * subscriber gets the stream's transcripts and exactly the audio bytes the recording holds; a stuck
 * subscriber loses frames (counted) without delaying the stream's keep-alive answers.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LIVE_HEADER_BYTES } from '../../src/service/live.js';
import { Simulator } from '../../src/simulator/index.js';
import { Cleanups } from '../cleanups.js';
import { metricValue, startInProcessService, waitFor } from '../service/helpers.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

const WAV_HEADER_BYTES = 44;
/** 16 kHz, 16-bit, mono: the simulator's default audio. */
const BYTES_PER_MS_16K_MONO = 32;

/** Frames laid out at their timestamps from `origin`, gaps filled with zeros. */
function placed(
  frames: readonly { timestamp: number; data: Buffer }[],
  bytesPerMs: number,
  origin: number,
): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  for (const frame of frames) {
    const at = Math.round((frame.timestamp - origin) * bytesPerMs) & ~1;
    if (at > length) {
      parts.push(Buffer.alloc(at - length));
      length = at;
    }
    parts.push(frame.data);
    length += frame.data.length;
  }
  return Buffer.concat(parts);
}

interface SseEvent {
  id: string;
  event: string;
  data: { id: string; type: string; streamId: string; data: Record<string, unknown> };
}

/** An SSE client on `path`: parsed events as they come, and a close. */
function sse(base: string, path: string, headers: Record<string, string> = {}) {
  const events: SseEvent[] = [];
  let buffer = '';
  const req = request(`${base}${path}`, { headers: { accept: 'text/event-stream', ...headers } });
  const opened = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = new Map<string, string>();
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const at = line.indexOf(': ');
            if (at > 0) fields.set(line.slice(0, at), line.slice(at + 2));
          }
          const data = fields.get('data');
          if (data !== undefined && fields.has('id')) {
            events.push({
              id: fields.get('id') as string,
              event: fields.get('event') as string,
              data: JSON.parse(data),
            });
          }
        }
      });
      resolve(res.statusCode ?? 0);
    });
  });
  req.on('error', () => undefined);
  req.end();
  return { events, opened, close: () => req.destroy() };
}

async function fleetOfOne(timeScale = 4) {
  const svc = await startInProcessService(cleanups);
  const sim = await Simulator.start({
    webhookUrl: `${svc.base}/webhook`,
    credentials: svc.app,
    timeScale,
  });
  cleanups.add(() => sim.close());
  return { svc, sim };
}

describe('live outputs', () => {
  it('SSE: every transcript segment in order with ids, and a resume with Last-Event-ID', async () => {
    const { svc, sim } = await fleetOfOne();
    const all = sse(svc.base, '/api/events?types=transcript,streamStarted,streamEnded');
    expect(await all.opened).toBe(200);
    const sent: string[] = [];
    const info = sim.startStream({ participants: 2, durationMs: 20_000 });
    await sim.whenIdle();
    await waitFor(() => all.events.some((e) => e.event === 'streamEnded'), 'the stream to end', 10_000);
    const transcripts = all.events.filter((e) => e.event === 'transcript');
    for (const u of sim.stats().streams) expect(u.streamId).toBe(info.streamId);
    sent.push(...transcripts.map((e) => String(e.data.data.text)));
    const simulated = sim.stats().streams[0]?.framesSent.transcript ?? 0;
    expect(transcripts.length).toBe(simulated);
    expect(transcripts.every((e) => e.data.streamId === info.streamId && e.id === e.data.id)).toBe(true);
    // Ids are unique and in publication order.
    expect(new Set(all.events.map((e) => e.id)).size).toBe(all.events.length);
    all.close();

    // Resume after the third transcript: the rest is replayed, in order, nothing twice.
    const third = transcripts[2] as SseEvent;
    const again = sse(svc.base, `/api/streams/${info.streamId}/events?types=transcript`, {
      'last-event-id': third.id,
    });
    expect(await again.opened).toBe(200);
    await waitFor(() => again.events.length === transcripts.length - 3, 'the replay', 5_000);
    expect(again.events.map((e) => e.id)).toEqual(transcripts.slice(3).map((e) => e.id));
    again.close();
    expect(sent.length).toBe(simulated);
  }, 60_000);

  it('WebSocket: the stream’s transcripts as text and exactly the recorded audio as binary frames', async () => {
    const { svc, sim } = await fleetOfOne(1);
    // The handshake answer waits, so the subscriber is in place before the first frame.
    const info = sim.startStream({
      participants: 2,
      durationMs: 6_000,
      faults: [{ atMs: 0, fault: { type: 'delay-handshake', ms: 1_000 } }],
    });
    await waitFor(
      () => svc.service.manager.get(info.streamId) !== undefined,
      'the stream to be opened',
      5_000,
    );
    const ws = new WebSocket(
      `${svc.base.replace('http', 'ws')}/api/streams/${info.streamId}/live?kinds=audio,transcript`,
    );
    const texts: { type: string; data: Record<string, unknown> }[] = [];
    const audio: { timestamp: number; data: Buffer }[] = [];
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) texts.push(JSON.parse(data.toString('utf8')));
      else {
        expect(data.readUInt8(0)).toBe(1);
        expect(data.readUInt8(1)).toBe(1);
        expect(data.readUInt32BE(4)).toBe(16_000);
        audio.push({ timestamp: data.readDoubleBE(12), data: Buffer.from(data.subarray(LIVE_HEADER_BYTES)) });
      }
    });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await sim.whenIdle();
    expect(await closed).toBe(1000);
    const transcripts = texts.filter((t) => t.type === 'transcript');
    expect(transcripts.length).toBe(sim.stats().streams[0]?.framesSent.transcript);
    expect(texts.at(-1)?.type).toBe('streamEnded');
    await waitFor(() => svc.finalized.length === 1, 'the recording to finish', 10_000);
    const finished = await waitFor(
      () => svc.logs().find((l) => l.msg === 'recording finished' && l.stream === info.streamId),
      'the recording finished line',
      5_000,
    );
    const audioFile = svc.finalized[0]?.manifest.files.find((f) => f.kind === 'audio');
    if (!audioFile) throw new Error(`no audio file in ${JSON.stringify(svc.finalized[0]?.manifest.files)}`);
    const wavPath = join(String(finished.dir), audioFile.path);
    const wav = await readFile(wavPath);
    // The recording places each frame at its timestamp from the stream's start and fills gaps with
    // silence: so does this.
    const origin = svc.finalized[0]?.manifest.timelineOriginMs ?? Number.NaN;
    expect(origin).toBeLessThanOrEqual(audio[0]?.timestamp ?? 0);
    const placedAudio = placed(audio, BYTES_PER_MS_16K_MONO, origin);
    // …and pads it with silence to the end of the stream Zoom announced.
    const endMs = svc.finalized[0]?.manifest.timelineEndMs;
    const paddedBytes = endMs === undefined ? 0 : Math.round((endMs - origin) * 16) * 2;
    const got = Buffer.concat([placedAudio, Buffer.alloc(Math.max(0, paddedBytes - placedAudio.length))]);
    const recorded = wav.subarray(WAV_HEADER_BYTES);
    expect(audio.length).toBe(svc.finalized[0]?.manifest.counters.frames.audio);
    expect(got.length).toBe(recorded.length);
    expect(got.equals(recorded)).toBe(true);
  }, 60_000);

  it('a subscriber that never reads does not delay the stream: keep-alives answered at once, media on', async () => {
    // Video (1080p JPEG frames) keeps the stuck subscriber's buffers filling.
    const svc = await startInProcessService(cleanups, { RTMSKIT_MEDIA: 'audio,video' });
    const sim = await Simulator.start({
      webhookUrl: `${svc.base}/webhook`,
      credentials: svc.app,
      keepAlive: 'always',
      keepAliveIntervalMs: 500,
    });
    cleanups.add(() => sim.close());
    const info = sim.startStream({ participants: 2, durationMs: 60_000 });
    await waitFor(
      () => svc.service.manager.get(info.streamId)?.status === 'ready',
      'the stream to be ready',
      10_000,
    );
    const stuck = new WebSocket(
      `${svc.base.replace('http', 'ws')}/api/streams/${info.streamId}/live?kinds=audio,video`,
    );
    await new Promise<void>((resolve) => stuck.once('open', () => resolve()));
    // It reads nothing from now on.
    (stuck as unknown as { _socket: { pause(): void } })._socket.pause();
    const framesAt = () => svc.service.manager.snapshot(info.streamId)?.counters.frames.audio ?? 0;
    const before = framesAt();
    const answeredBefore = sim.stats().streams[0]?.keepAlives.answered ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const report = sim.stats().streams.find((s) => s.streamId === info.streamId);
    // Twelve keep-alive intervals on each socket: all answered, none late, media went on at its pace.
    expect(report?.keepAlives.missed).toBe(0);
    expect((report?.keepAlives.answered ?? 0) - answeredBefore).toBeGreaterThanOrEqual(20);
    expect(svc.service.manager.snapshot(info.streamId)?.counters.keepAliveDelayMs ?? 0).toBeLessThan(250);
    // The simulated speakers pause, so audio is not a constant 50 frames a second; it did not stop.
    expect(framesAt() - before).toBeGreaterThan(100);
    expect(report?.state).toBe('active');
    const sent = metricValue(
      await (await fetch(`${svc.base}/metrics`)).text(),
      'rtmskit_output_bytes_total',
      {
        output: 'websocket',
      },
    );
    expect(sent ?? 0).toBeGreaterThan(1_000_000);
    stuck.terminate();
  }, 60_000);
});
