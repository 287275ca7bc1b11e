/**
 * A server that sends its first frames right behind its handshake answer, in the same TCP read: Zoom may
 * start a media socket as soon as any socket of the stream is ready, and a loaded client reads the answer
 * and those frames at once. Every one of them must reach the stream's counters, the manager, and the
 * recording. A scripted RTMS server over real sockets (the simulator waits for the client's
 * CLIENT_READY_ACK, so its answer and frames rarely share a read).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import type { AudioFrame } from '../../src/client/events.js';
import type { StreamCounters } from '../../src/client/RtmsStream.js';
import { StreamManager } from '../../src/manager/StreamManager.js';
import type { RecordingManifest } from '../../src/media/manifest.js';
import { attachRecorder } from '../../src/media/Recorder.js';
import { encodeMessage } from '../../src/protocol/codec.js';
import { MessageType, SessionState, StreamState } from '../../src/protocol/enums.js';
import type { RtmsMessage } from '../../src/protocol/messages.js';
import { MANAGED_DEFAULTS, waitUntil } from '../client/harness.js';
import { pcm, readJsonl, readWav, samplesOf } from './helpers.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** Frames sent with the media answer, in the same tick: about 18 KB, one read. */
const BURST_FRAMES = 20;
/** When the stream says it terminated, after its last frame: every WAV is padded to it. */
const END_AFTER_MS = 1_000;
/** 16 kHz mono PCM16. */
const BYTES_PER_MS = 32;
const T0 = 1_700_000_000_000;
const SESSION_ID = 'session-burst';

function send(ws: WebSocket, msg: RtmsMessage): void {
  ws.send(encodeMessage(msg));
}

/** The mixed stream: frame i holds samples of value 100 + i. */
function mixedBurst(): string[] {
  return Array.from({ length: BURST_FRAMES }, (_, i) => {
    const data = pcm(20, 100 + i);
    return encodeMessage({
      msg_type: MessageType.MEDIA_DATA_AUDIO,
      content: { user_id: 0, data, length: data.length, timestamp: T0 + i * 20 },
    });
  });
}

/**
 * Answers both handshakes and puts the first messages right behind each answer: the stream and session
 * state on signaling, `burst` (frames as JSON text) on media.
 */
async function burstServer(
  burst: string[] = mixedBurst(),
): Promise<{ url: string; signaling: () => WebSocket | undefined }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  );
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const address = wss.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const base = `ws://127.0.0.1:${address.port}`;
  let signaling: WebSocket | undefined;
  wss.on('connection', (ws, req) => {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { msg_type: number };
      if (msg.msg_type === MessageType.SIGNALING_HAND_SHAKE_REQ) {
        signaling = ws;
        send(ws, {
          msg_type: MessageType.SIGNALING_HAND_SHAKE_RESP,
          protocol_version: 1,
          sequence: 0,
          status_code: 0,
          reason: '',
          media_server: { server_urls: { audio: `${base}/media`, all: `${base}/media` } },
        });
        send(ws, {
          msg_type: MessageType.SESSION_STATE_UPDATE,
          state: SessionState.STARTED,
          stop_reason: 0,
          timestamp: T0,
          rtms_session_id: SESSION_ID,
        });
        send(ws, {
          msg_type: MessageType.STREAM_STATE_UPDATE,
          state: StreamState.ACTIVE,
          reason: 0,
          timestamp: T0,
        });
      } else if (msg.msg_type === MessageType.DATA_HAND_SHAKE_REQ && req.url === '/media') {
        send(ws, {
          msg_type: MessageType.DATA_HAND_SHAKE_RESP,
          protocol_version: 1,
          sequence: 0,
          status_code: 0,
          reason: '',
          payload_encrypted: false,
        });
        for (const text of burst) ws.send(text);
      }
    });
  });
  return { url: `${base}/signaling`, signaling: () => signaling };
}

describe('frames sent right behind the handshake answer', () => {
  it('are delivered, counted and recorded, and so are the states sent behind the signaling answer', async () => {
    const server = await burstServer();
    const dataDir = await mkdtemp(join(tmpdir(), 'rtmskit-burst-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const manager = new StreamManager({
      credentials: { clientId: 'id', clientSecret: 'secret' },
      stream: { ...MANAGED_DEFAULTS, media: ['audio'] },
    });
    cleanups.push(() => manager.close());
    const manifests: RecordingManifest[] = [];
    const recorder = attachRecorder(manager, { dataDir, onFinalized: (m) => manifests.push(m) });
    cleanups.push(() => recorder.close());
    const audio: AudioFrame[] = [];
    const sessions: (string | undefined)[] = [];
    let counters: StreamCounters | undefined;
    manager.on('audio', (_ref, frame) => audio.push(frame));
    manager.on('sessionState', (_ref, state) => sessions.push(state.sessionId));
    let folder = '';
    manager.on('streamAdded', () => {
      folder = recorder.recordings()[0]?.dir ?? '';
    });
    manager.on('closed', (ref) => {
      counters = manager.snapshot(ref.streamId)?.counters;
    });

    await manager.resume({
      streamId: 'burst-stream',
      instanceId: 'mtg-1',
      product: 'meeting',
      serverUrls: [server.url],
    });
    await waitUntil(() => manager.get('burst-stream')?.status === 'ready', 5_000, 'ready');
    // The burst has been read by now if it is going to be: it came with the answer.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const signaling = server.signaling();
    if (!signaling) throw new Error('no signaling socket');
    send(signaling, {
      msg_type: MessageType.STREAM_STATE_UPDATE,
      state: StreamState.TERMINATED,
      reason: 6,
      timestamp: T0 + END_AFTER_MS,
    });
    await waitUntil(() => manifests.length === 1, 5_000, 'the recording to be finalized');

    expect(audio.map((f) => f.timestamp)).toEqual(
      Array.from({ length: BURST_FRAMES }, (_, i) => T0 + i * 20),
    );
    expect(counters?.frames.audio).toBe(BURST_FRAMES);
    expect(counters?.duplicates).toBe(0);
    const [manifest] = manifests as [RecordingManifest];
    expect(manifest.counters).toMatchObject({
      frames: { audio: BURST_FRAMES },
      written: { audio: BURST_FRAMES },
      unwritten: { audio: 0 },
    });
    const wav = await readWav(join(folder, 'audio.wav'));
    expect(wav.dataSize).toBe(END_AFTER_MS * BYTES_PER_MS);
    const samples = samplesOf(wav.data);
    for (let i = 0; i < BURST_FRAMES; i++) {
      expect(samples.slice(i * 320, (i + 1) * 320)).toEqual(new Array(320).fill(100 + i));
    }
    // The session announced behind the signaling answer is known, and logged with the stream's state.
    expect(sessions[0]).toBe(SESSION_ID);
    const events = await readJsonl<{ kind: string; data: { state?: number } }>(join(folder, 'events.jsonl'));
    expect(events.filter((e) => e.kind === 'sessionState').map((e) => e.data.state)).toEqual([
      SessionState.STARTED,
    ]);
    expect(events.filter((e) => e.kind === 'streamState').map((e) => e.data.state)).toEqual([
      StreamState.ACTIVE,
      StreamState.TERMINATED,
    ]);
    expect(JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf8'))).toEqual(manifest);
  });

  it('Contact Center channels with the same timestamps and no user id are all kept, one file each', async () => {
    // Zoom may omit the user fields of a channel's frames: every channel is then user 0, and two
    // parties speak in the same 20 ms slots.
    const channels = ['caller', 'callee'];
    const burst = Array.from({ length: BURST_FRAMES }, (_, i) =>
      channels.map((channel, c) =>
        JSON.stringify({
          msg_type: MessageType.MEDIA_DATA_AUDIO,
          content: {
            data: pcm(20, 1000 * (c + 1) + i).toString('base64'),
            timestamp: T0 + i * 20,
            channel_id: channel,
          },
        }),
      ),
    ).flat();
    const server = await burstServer(burst);
    const dataDir = await mkdtemp(join(tmpdir(), 'rtmskit-burst-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const manager = new StreamManager({
      credentials: { clientId: 'id', clientSecret: 'secret' },
      stream: { ...MANAGED_DEFAULTS, media: ['audio'] },
    });
    cleanups.push(() => manager.close());
    const manifests: RecordingManifest[] = [];
    const recorder = attachRecorder(manager, { dataDir, onFinalized: (m) => manifests.push(m) });
    cleanups.push(() => recorder.close());
    let folder = '';
    let counters: StreamCounters | undefined;
    manager.on('streamAdded', () => {
      folder = recorder.recordings()[0]?.dir ?? '';
    });
    manager.on('closed', (ref) => {
      counters = manager.snapshot(ref.streamId)?.counters;
    });
    await manager.resume({
      streamId: 'zcc-stream',
      instanceId: 'engagement-1',
      product: 'contact_center',
      serverUrls: [server.url],
    });
    await waitUntil(() => manager.get('zcc-stream')?.status === 'ready', 5_000, 'ready');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const signaling = server.signaling();
    if (!signaling) throw new Error('no signaling socket');
    send(signaling, {
      msg_type: MessageType.STREAM_STATE_UPDATE,
      state: StreamState.TERMINATED,
      reason: 6,
      timestamp: T0 + END_AFTER_MS,
    });
    await waitUntil(() => manifests.length === 1, 5_000, 'the recording to be finalized');

    expect(counters?.frames.audio).toBe(2 * BURST_FRAMES);
    expect(counters?.duplicates).toBe(0);
    expect(manifests[0]?.counters).toMatchObject({
      frames: { audio: 2 * BURST_FRAMES },
      written: { audio: 2 * BURST_FRAMES },
      unwritten: { audio: 0 },
    });
    for (const [c, channel] of channels.entries()) {
      const wav = await readWav(join(folder, `audio-ch-${channel}.wav`));
      expect(wav.dataSize).toBe(END_AFTER_MS * BYTES_PER_MS);
      const samples = samplesOf(wav.data);
      for (let i = 0; i < BURST_FRAMES; i++) {
        expect(samples.slice(i * 320, (i + 1) * 320)).toEqual(new Array(320).fill(1000 * (c + 1) + i));
      }
    }
  });
});
