/**
 * Third-party clients written the way Zoom's own samples and RTMSManager are, run against the simulator
 * with bare `ws` sockets (never rtmskit's client): the screen-share URL key they look for, keep-alives
 * they never answer on busy media sockets, the handshake without `protocol_version`, the events they
 * expect right after connecting, and the report after an app is killed and comes back
 * (RTMS-PROTOCOL.md §10.1). Also: a simulator that fails to start or closes mid-failover leaves no server.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Simulator } from '../../src/simulator/index.js';
import { freePort } from '../service/helpers.js';
import {
  connectMedia,
  connectSignaling,
  mediaHandshake,
  RawSocket,
  signalingHandshake,
} from './rawClient.js';
import {
  count,
  credsFor,
  FAST_OPTIONS,
  idsOf,
  KEEP_ALIVE_REAL_MS,
  LONG_STREAM_MS,
  MSG,
  mediaUrlsOf,
  openMedia,
  openStream,
  reportOf,
  SimHarness,
  signalingUrlOf,
  sleep,
  WINDOW_REAL_MS,
  waitUntil,
} from './simHelpers.js';

const harness = new SimHarness();
afterEach(async () => {
  await harness.cleanup();
});

/** The `server_urls` keys Zoom's RTMSManager libraries read, with the media_type bit each asks for. */
const ZOOM_LIBRARY_KEYS = [
  ['audio', 1],
  ['video', 2],
  ['sharescreen', 4],
  ['transcript', 8],
  ['chat', 16],
] as const;

const SHARE_FRAME = 16;
const FIRST_PACKET_TIMESTAMP = 1;
const MEDIA_CONNECTION_INTERRUPTED = 7;

function isEvent(type: number) {
  return (m: { msg_type: number; event?: unknown }) =>
    m.msg_type === MSG.EVENT_UPDATE && (m.event as { event_type?: number } | undefined)?.event_type === type;
}

describe('a client that opens only the URLs under Zoom’s keys', () => {
  it('finds screen share under sharescreen and receives share frames', async () => {
    const { sim } = await harness.start();
    // Participant 1 shares from 30 % to 60 % of the meeting: 6 s to 12 s simulated, 0.3 s to 0.6 s real.
    const stream = await openStream(sim, { participants: 2, durationMs: 20_000 });
    const opened = new Map<string, RawSocket>();
    for (const [key, bit] of ZOOM_LIBRARY_KEYS) {
      const url = stream.urls[key];
      if (url === undefined) continue;
      const { socket, response } = await connectMedia(url, stream.creds, stream.ids, stream.signaling, bit);
      expect(response.status_code, key).toBe(0);
      opened.set(key, socket);
    }
    expect([...opened.keys()]).toEqual(['audio', 'video', 'sharescreen', 'transcript', 'chat']);
    const share = opened.get('sharescreen');
    if (!share) throw new Error('no sharescreen socket');
    await share.waitForCount(SHARE_FRAME, 1, 5_000);
    expect(share.ofType(SHARE_FRAME).length).toBeGreaterThan(0);
    expect(stream.urls.deskshare).toBeUndefined();
  });
});

describe('a client that never answers keep-alives on its media sockets', () => {
  it('is not pinged while audio flows, so it keeps its socket; signaling is pinged and answered', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim, { participants: 2 });
    const audio = await openMedia(stream, 'audio', 1);
    audio.answerKeepAlive = false;
    await audio.waitForCount(MSG.AUDIO, 10);
    await sleep(KEEP_ALIVE_REAL_MS * 8);
    expect(count(audio, MSG.KEEP_ALIVE_REQ)).toBe(0);
    expect(audio.closeCode).toBeUndefined();
    expect(count(stream.signaling, MSG.KEEP_ALIVE_REQ)).toBeGreaterThanOrEqual(4);
    const report = reportOf(sim, stream.info.streamId);
    expect(report.keepAlives.missed).toBe(0);
    expect(report.interruptions).toBe(0);
    expect(report.state).toBe('active');
  });

  it('is pinged once its socket goes silent, and dropped after three missed answers', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim, { participants: 2 });
    const audio = await openMedia(stream, 'audio', 1);
    audio.answerKeepAlive = false;
    await audio.waitForCount(MSG.AUDIO, 5);
    sim.fault(stream.info.streamId, 'stop-media');
    await audio.closed;
    expect(count(audio, MSG.KEEP_ALIVE_REQ)).toBe(3);
    const interrupted = await stream.signaling.waitFor(isEvent(MEDIA_CONNECTION_INTERRUPTED));
    expect((interrupted.event as { media_type?: number }).media_type).toBe(1);
    expect(reportOf(sim, stream.info.streamId).keepAlives.missed).toBeGreaterThan(0);
  });

  it('with keepAlive "always", is pinged while audio flows and cut off', async () => {
    const { sim } = await harness.start({ keepAlive: 'always' });
    const stream = await openStream(sim, { participants: 2 });
    const audio = await openMedia(stream, 'audio', 1);
    audio.answerKeepAlive = false;
    await audio.closed;
    expect(count(audio, MSG.KEEP_ALIVE_REQ)).toBe(3);
    expect(count(audio, MSG.AUDIO)).toBeGreaterThan(0);
  });
});

describe('a client that leaves protocol_version out', () => {
  it('is accepted on signaling and media, as version 1', async () => {
    const { sim } = await harness.start();
    const info = sim.startStream({ durationMs: LONG_STREAM_MS });
    const creds = credsFor(sim, info.product);
    const ids = idsOf(info);
    const signaling = new RawSocket(signalingUrlOf(info));
    await signaling.opened;
    const { protocol_version: _omitted, ...handshake } = signalingHandshake(creds, ids);
    signaling.send(handshake);
    const response = await signaling.waitForType(MSG.SIGNALING_RESP);
    expect(response.status_code).toBe(0);

    const audio = new RawSocket(mediaUrlsOf(response).audio ?? '');
    await audio.opened;
    const { protocol_version: _alsoOmitted, ...media } = mediaHandshake(creds, ids, 1);
    audio.send(media);
    expect((await audio.waitForType(MSG.DATA_RESP)).status_code).toBe(0);
    signaling.send({ msg_type: MSG.CLIENT_READY_ACK, rtms_stream_id: ids.streamId });
    await audio.waitForCount(MSG.AUDIO, 3);
  });

  it.each([
    ['a string', '1'],
    ['zero', 0],
    ['a fraction', 1.5],
  ])('is refused with status 4 when protocol_version is present but %s', async (_what, version) => {
    const { sim } = await harness.start();
    const info = sim.startStream({ durationMs: LONG_STREAM_MS });
    const signaling = new RawSocket(signalingUrlOf(info));
    await signaling.opened;
    signaling.send({
      ...signalingHandshake(credsFor(sim, info.product), idsOf(info)),
      protocol_version: version,
    });
    const response = await signaling.waitForType(MSG.SIGNALING_RESP);
    expect(response.status_code).toBe(4);
    expect(String(response.reason)).toContain('protocol_version');
  });
});

describe('events right after connecting', () => {
  it('FIRST_PACKET_TIMESTAMP comes once signaling is up, before any media or CLIENT_READY_ACK', async () => {
    const { sim } = await harness.start();
    const before = Date.now();
    const stream = await openStream(sim);
    const first = await stream.signaling.waitFor(isEvent(FIRST_PACKET_TIMESTAMP), 1_000);
    const timestamp = (first.event as { timestamp: number }).timestamp;
    expect(Number.isInteger(timestamp)).toBe(true);
    // A fresh stream buffers audio from its start: the first packet is at most a moment old.
    expect(timestamp).toBeLessThanOrEqual(Date.now());
    expect(timestamp).toBeGreaterThan(before - 60_000);
    expect(reportOf(sim, stream.info.streamId).handshakes.media.ok).toBe(0);
  });
});

describe('the report after an app is killed and comes back', () => {
  it('counts a recovery for every interruption once every socket is back', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim, { participants: 2 });
    const audio = await openMedia(stream, 'audio', 1);
    const transcript = await openMedia(stream, 'transcript', 8);
    // A killed process: the kernel closes its sockets, and the media ones may be noticed first.
    audio.terminate();
    transcript.terminate();
    await waitUntil(() => reportOf(sim, stream.info.streamId).interruptions === 2, 2_000, 'media losses');
    stream.signaling.terminate();
    await waitUntil(() => sim.stream(stream.info.streamId).state === 'interrupted', 2_000, 'signaling lost');

    const { socket: signaling, response } = await connectSignaling(
      signalingUrlOf(stream.info),
      stream.creds,
      stream.ids,
    );
    expect(response.status_code).toBe(0);
    const urls = mediaUrlsOf(response);
    for (const [key, bit] of [
      ['audio', 1],
      ['transcript', 8],
    ] as const) {
      const { response: media } = await connectMedia(
        urls[key] ?? '',
        stream.creds,
        stream.ids,
        signaling,
        bit,
      );
      expect(media.status_code).toBe(0);
    }
    await waitUntil(
      () => {
        const report = reportOf(sim, stream.info.streamId);
        return report.recoveries === report.interruptions;
      },
      2_000,
      'a recovery per interruption',
    );
    const report = reportOf(sim, stream.info.streamId);
    expect(report.interruptions).toBe(3);
    expect(report.recoveries).toBe(3);
    await sleep(WINDOW_REAL_MS * 1.5);
    expect(sim.stream(stream.info.streamId).state).toBe('active');
  });

  it('does not wait again for media that came back before signaling did', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim, { participants: 2 });
    await openMedia(stream, 'audio', 1);
    stream.signaling.terminate();
    await waitUntil(() => sim.stream(stream.info.streamId).state === 'interrupted', 2_000, 'signaling lost');
    // Media first, then signaling: the audio is back before the signaling window closes.
    const audio = new RawSocket(stream.urls.audio ?? '');
    await audio.opened;
    audio.send(mediaHandshake(stream.creds, stream.ids, 1));
    expect((await audio.waitForType(MSG.DATA_RESP)).status_code).toBe(0);
    const { socket: signaling, response } = await connectSignaling(
      signalingUrlOf(stream.info),
      stream.creds,
      stream.ids,
    );
    expect(response.status_code).toBe(0);
    signaling.send({ msg_type: MSG.CLIENT_READY_ACK, rtms_stream_id: stream.ids.streamId });
    // Past the media window: a stream that waited for the audio again would have ended by now.
    await sleep(WINDOW_REAL_MS * 1.5);
    expect(sim.stream(stream.info.streamId).state).toBe('active');
    expect(audio.closeCode).toBeUndefined();
  });

  it('a media socket lost before signaling ever connected is no interruption', async () => {
    const { sim } = await harness.start();
    const info = sim.startStream({ durationMs: LONG_STREAM_MS });
    const creds = credsFor(sim, info.product);
    const ids = idsOf(info);
    const port = new URL(signalingUrlOf(info)).port;
    const early = new RawSocket(`ws://127.0.0.1:${port}/media/audio`);
    await early.opened;
    early.send(mediaHandshake(creds, ids, 1));
    expect((await early.waitForType(MSG.DATA_RESP)).status_code).toBe(0);
    early.terminate();
    await sleep(WINDOW_REAL_MS * 1.5);
    expect(sim.stream(info.streamId).state).toBe('starting');
    const { response } = await connectSignaling(signalingUrlOf(info), creds, ids);
    expect(response.status_code).toBe(0);
    const report = reportOf(sim, info.streamId);
    expect(report.interruptions).toBe(0);
    expect(report.state).toBe('active');
  });
});

describe('the simulator leaves nothing behind', () => {
  const servers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

  it('a start that fails half way closes the server it opened', async () => {
    const port = await freePort();
    await expect(
      Simulator.start({
        ...FAST_OPTIONS,
        port,
        streams: 1,
        // 1006 cannot be sent in a close frame: the first stream's start fails, after the server is up.
        faults: [{ atMs: 0, fault: { type: 'close', code: 1006 } }],
      }),
    ).rejects.toThrow();
    // The port is free again: nothing listens on it.
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  it('a failover under way when the simulator closes opens no server after it', async () => {
    const before = servers();
    const sim = await Simulator.start(FAST_OPTIONS);
    const stream = await openStream(sim, { participants: 2 });
    sim.fault(stream.info.streamId, 'failover');
    await sim.close();
    await sleep(100);
    expect(servers()).toBeLessThanOrEqual(before);
  });
});
