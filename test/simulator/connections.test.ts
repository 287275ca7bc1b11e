/**
 * The simulator's signaling and media servers over real loopback sockets, driven by the bare client of
 * `rawClient.ts` (never rtmskit's own client): handshakes, duplicates, keep-alive windows, every fault,
 * close and state requests, frame modes and video subscriptions (RTMS-PROTOCOL.md §3, §4, §7).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FIRST_USER_ID } from '../../src/simulator/content/scenario.js';
import {
  connectMedia,
  connectSignaling,
  mediaBytes,
  mediaHandshake,
  RawSocket,
  signalingHandshake,
} from './rawClient.js';
import {
  connectStreamMedia,
  count,
  credsFor,
  idsOf,
  KEEP_ALIVE_REAL_MS,
  LONG_STREAM_MS,
  MSG,
  mark,
  mediaUrlsOf,
  openAudio,
  openMedia,
  openStream,
  reportOf,
  SimHarness,
  signalingUrlOf,
  sleep,
  TIME_SCALE,
  urlOf,
  WINDOW_REAL_MS,
  waitUntil,
} from './simHelpers.js';

const harness = new SimHarness();

afterEach(async () => {
  await harness.cleanup();
});

/** Wire defaults Zoom confirms for an audio handshake without media_params (§4.2). */
const DEFAULT_AUDIO = { content_type: 2, sample_rate: 1, channel: 1, codec: 1, data_opt: 1, send_rate: 20 };
/** 16 kHz mono L16, 20 ms: 320 samples of 2 bytes. */
const DEFAULT_AUDIO_FRAME_BYTES = 640;

const isStreamState = (state: number) => (m: { msg_type: number; state?: unknown }) =>
  m.msg_type === MSG.STREAM_STATE_UPDATE && m.state === state;
const isSessionState = (state: number) => (m: { msg_type: number; state?: unknown }) =>
  m.msg_type === MSG.SESSION_STATE_UPDATE && m.state === state;

interface AudioContent {
  user_id: number;
  user_name?: string;
  data: string;
  length: number;
  timestamp: number;
}

function audioContents(socket: RawSocket): AudioContent[] {
  return socket.ofType(MSG.AUDIO).map((m) => m.content as AudioContent);
}

describe('happy path per product', () => {
  const cases = [
    // Zoom's own libraries read screen share from `sharescreen`.
    { product: 'meeting', urlKeys: ['audio', 'video', 'sharescreen', 'transcript', 'chat'] },
    { product: 'webinar', urlKeys: ['audio', 'video', 'sharescreen', 'transcript', 'chat'] },
    { product: 'session', urlKeys: ['audio', 'video', 'sharescreen', 'transcript'] },
    { product: 'contact_center', urlKeys: ['audio', 'transcript'] },
  ] as const;

  it.each(cases)(
    '$product: handshakes, confirms default audio, and holds media until the ack',
    async ({ product, urlKeys }) => {
      const { sim } = await harness.start({
        credentials: { videoSdkKey: 'vsdk-key-0001', videoSdkSecret: 'vsdk-secret-0001' },
      });
      const info = sim.startStream({ product, durationMs: LONG_STREAM_MS });
      expect(info.product).toBe(product);
      const creds = credsFor(sim, product);
      const ids = idsOf(info);
      const { socket: signaling, response } = await connectSignaling(signalingUrlOf(info), creds, ids);
      expect(response.status_code).toBe(0);
      const urls = mediaUrlsOf(response);
      expect(Object.keys(urls).sort()).toEqual([...urlKeys, 'all'].sort());
      const port = new URL(signalingUrlOf(info)).port;
      for (const [key, url] of Object.entries(urls)) {
        expect(url).toBe(`ws://127.0.0.1:${port}/media/${key}`);
      }

      const audio = new RawSocket(urlOf(urls, 'audio'));
      await audio.opened;
      audio.send(mediaHandshake(creds, ids, 1));
      const accepted = await audio.waitForType(MSG.DATA_RESP);
      expect(accepted.status_code).toBe(0);
      expect(accepted.media_params).toEqual({ audio: DEFAULT_AUDIO });

      // No CLIENT_READY_ACK yet: 300 ms real is 6 s simulated of speech that must not be sent.
      await sleep(300);
      expect(count(audio, MSG.AUDIO)).toBe(0);

      signaling.send({ msg_type: MSG.CLIENT_READY_ACK, rtms_stream_id: info.streamId });
      await audio.waitForCount(MSG.AUDIO, 5);
      const first = audio.ofType(MSG.AUDIO)[0];
      if (!first) throw new Error('no audio');
      expect(mediaBytes(first).length).toBe(DEFAULT_AUDIO_FRAME_BYTES);
      expect((first.content as AudioContent).length).toBe(DEFAULT_AUDIO_FRAME_BYTES);
      expect((first.content as AudioContent).user_id).toBe(0);
      // FIRST_PACKET_TIMESTAMP came by itself once signaling was up, unsubscribed.
      const firstPacket = await signaling.waitFor(
        (m) => m.msg_type === MSG.EVENT_UPDATE && (m.event as { event_type: number }).event_type === 1,
      );
      expect(typeof (firstPacket.event as { timestamp: unknown }).timestamp).toBe('number');
      const report = reportOf(sim, info.streamId);
      expect(report.handshakes.signaling).toEqual({ ok: 1, rejected: {} });
      expect(report.handshakes.media).toEqual({ ok: 1, rejected: {} });
      expect(report.state).toBe('active');
    },
  );

  it('session: signs with the Video SDK secret, not the General app secret', async () => {
    const { sim } = await harness.start({
      credentials: { videoSdkKey: 'vsdk-key-0001', videoSdkSecret: 'vsdk-secret-0001' },
    });
    const info = sim.startStream({ product: 'session', durationMs: LONG_STREAM_MS });
    expect(info.instanceKey).toBe('session_id');
    const general = { clientId: sim.credentials.clientId, clientSecret: sim.credentials.clientSecret };
    const wrong = await connectSignaling(signalingUrlOf(info), general, idsOf(info));
    expect(wrong.response.status_code).toBe(3);
    const right = await connectSignaling(signalingUrlOf(info), credsFor(sim, 'session'), idsOf(info));
    expect(right.response.status_code).toBe(0);
  });

  it('webinar: accepts the instance id under webinar_uuid and under meeting_uuid', async () => {
    const { sim } = await harness.start();
    const creds = credsFor(sim, 'webinar');
    for (const key of ['webinar_uuid', 'meeting_uuid']) {
      const info = sim.startStream({ product: 'webinar', durationMs: LONG_STREAM_MS });
      expect(info.instanceKey).toBe('webinar_uuid');
      const ids = { ...idsOf(info), instanceKey: key };
      const hello = signalingHandshake(creds, ids);
      expect(hello[key]).toBe(info.instanceId);
      const { response, socket } = await connectSignaling(signalingUrlOf(info), creds, ids);
      expect(response.status_code).toBe(0);
      const media = await connectMedia(urlOf(mediaUrlsOf(response), 'audio'), creds, ids, socket, 1);
      expect(media.response.status_code).toBe(0);
    }
  });

  it('contact_center: mixed audio carries user_id 0 and no user names', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim, { product: 'contact_center' });
    expect(stream.info.instanceKey).toBe('engagement_id');
    const audio = await openAudio(stream);
    await audio.waitForCount(MSG.AUDIO, 20);
    const contents = audioContents(audio);
    expect(contents.length).toBeGreaterThanOrEqual(20);
    for (const content of contents) {
      expect(content.user_id).toBe(0);
      expect('user_name' in content).toBe(false);
    }
  });
});

describe('handshake rejections', () => {
  it('wrong secret: msg 2 status 3, then close 1000, counted as rejected[3]', async () => {
    const { sim } = await harness.start();
    const info = sim.startStream({ durationMs: LONG_STREAM_MS });
    const creds = { clientId: sim.credentials.clientId, clientSecret: 'not-the-secret' };
    const { socket, response } = await connectSignaling(signalingUrlOf(info), creds, idsOf(info));
    expect(response.status_code).toBe(3);
    expect(response.media_server).toBeUndefined();
    expect(await socket.closed).toBe(1000);
    const report = reportOf(sim, info.streamId);
    expect(report.handshakes.signaling.rejected[3]).toBe(1);
    expect(report.handshakes.signaling.ok).toBe(0);
    expect(report.state).toBe('starting');
  });

  it('unknown stream id: status 2', async () => {
    const { sim } = await harness.start();
    const info = sim.startStream({ durationMs: LONG_STREAM_MS });
    const ids = { ...idsOf(info), streamId: '0123456789abcdef0123456789abcdef' };
    const { socket, response } = await connectSignaling(signalingUrlOf(info), credsFor(sim, 'meeting'), ids);
    expect(response.status_code).toBe(2);
    expect(await socket.closed).toBe(1000);
  });

  it('no instance id field: status 4', async () => {
    const { sim } = await harness.start();
    const info = sim.startStream({ durationMs: LONG_STREAM_MS });
    const hello = signalingHandshake(credsFor(sim, 'meeting'), idsOf(info));
    delete hello[info.instanceKey];
    const socket = new RawSocket(signalingUrlOf(info));
    await socket.opened;
    socket.send(hello);
    const response = await socket.waitForType(MSG.SIGNALING_RESP);
    expect(response.status_code).toBe(4);
    expect(await socket.closed).toBe(1000);
    expect(reportOf(sim, info.streamId).handshakes.signaling.rejected).toEqual({ 4: 1 });
  });

  it('a first message other than msg 1: status 1', async () => {
    const { sim } = await harness.start();
    const info = sim.startStream({ durationMs: LONG_STREAM_MS });
    const socket = new RawSocket(signalingUrlOf(info));
    await socket.opened;
    socket.send({ msg_type: MSG.EVENT_SUBSCRIPTION, events: [{ event_type: 3, subscribe: true }] });
    const response = await socket.waitForType(MSG.SIGNALING_RESP);
    expect(response.status_code).toBe(1);
    expect(await socket.closed).toBe(1000);
  });

  it('media handshake with a bad signature: msg 4 status 3, then close 1000', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim);
    const bad = { ...stream.creds, clientSecret: 'not-the-secret' };
    const { socket, response } = await connectMedia(
      urlOf(stream.urls, 'audio'),
      bad,
      stream.ids,
      stream.signaling,
      1,
    );
    expect(response.status_code).toBe(3);
    expect(response.media_params).toBeUndefined();
    expect(await socket.closed).toBe(1000);
    const report = reportOf(sim, stream.info.streamId);
    expect(report.handshakes.media).toEqual({ ok: 0, rejected: { 3: 1 } });
    // Signaling is not affected.
    expect(stream.signaling.closeCode).toBeUndefined();
  });

  it.each([
    { name: 'sample_rate 9', key: 'audio', type: 1, params: { audio: { sample_rate: 9 } }, status: 20 },
    { name: 'stereo L16', key: 'audio', type: 1, params: { audio: { channel: 2 } }, status: 21 },
    {
      name: 'transcript src_language 99',
      key: 'transcript',
      type: 8,
      params: { transcript: { src_language: 99 } },
      status: 43,
    },
  ])('media params error ($name): status $status', async ({ key, type, params, status }) => {
    const { sim } = await harness.start();
    const stream = await openStream(sim);
    const { socket, response } = await connectStreamMedia(stream, key, type, params);
    expect(response.status_code).toBe(status);
    expect(await socket.closed).toBe(1000);
    expect(reportOf(sim, stream.info.streamId).handshakes.media.rejected).toEqual({ [status]: 1 });
  });

  it('reject-handshake:3 fails the next valid handshake only', async () => {
    const { sim } = await harness.start();
    const info = sim.startStream({ durationMs: LONG_STREAM_MS });
    sim.fault(info.streamId, 'reject-handshake:3');
    const creds = credsFor(sim, 'meeting');
    const first = await connectSignaling(signalingUrlOf(info), creds, idsOf(info));
    expect(first.response.status_code).toBe(3);
    expect(await first.socket.closed).toBe(1000);
    const second = await connectSignaling(signalingUrlOf(info), creds, idsOf(info));
    expect(second.response.status_code).toBe(0);
    const report = reportOf(sim, info.streamId);
    expect(report.handshakes.signaling).toEqual({ ok: 1, rejected: { 3: 1 } });
    expect(report.faults).toEqual(['reject-handshake:3']);
  });
});

describe('duplicate connections', () => {
  it('second signaling connection while the first is live: status 8 "duplicate signal request"', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim);
    const { socket, response } = await connectSignaling(
      signalingUrlOf(stream.info),
      stream.creds,
      stream.ids,
    );
    expect(response.status_code).toBe(8);
    expect(String(response.reason)).toContain('duplicate signal request');
    expect(await socket.closed).toBe(1000);
    // The first connection still answers.
    stream.signaling.send({ msg_type: MSG.STREAM_STATE_REQ, rtms_stream_id: stream.info.streamId });
    const state = await stream.signaling.waitForType(MSG.STREAM_STATE_RESP);
    expect(state.state).toBe(1);
    const report = reportOf(sim, stream.info.streamId);
    expect(report.maxConcurrentSignaling).toBe(2);
    expect(report.handshakes.signaling).toEqual({ ok: 1, rejected: { 8: 1 } });
  });

  it("duplicateSignaling 'evict': the first socket is closed and the second gets status 0", async () => {
    const { sim, webhooks } = await harness.start({ duplicateSignaling: 'evict' });
    const stream = await openStream(sim);
    const second = await connectSignaling(signalingUrlOf(stream.info), stream.creds, stream.ids);
    expect(second.response.status_code).toBe(0);
    expect(await stream.signaling.closed).toBe(1000);
    expect(second.socket.closeCode).toBeUndefined();
    // The evicting connection is the live one: it gets keep-alives and answers state requests.
    await second.socket.waitForCount(MSG.KEEP_ALIVE_REQ, 2);
    second.socket.send({ msg_type: MSG.STREAM_STATE_REQ, rtms_stream_id: stream.info.streamId });
    expect((await second.socket.waitForType(MSG.STREAM_STATE_RESP)).state).toBe(1);
    const report = reportOf(sim, stream.info.streamId);
    expect(report.handshakes.signaling).toEqual({ ok: 2, rejected: {} });
    expect(report.state).toBe('active');
    expect(report.interruptions).toBe(0);
    expect(webhooks.of('interrupted')).toHaveLength(0);
  });

  it('a second audio connection: msg 4 status 16', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim);
    const audio = await openAudio(stream);
    const { socket, response } = await connectStreamMedia(stream, 'audio', 1);
    expect(response.status_code).toBe(16);
    expect(await socket.closed).toBe(1000);
    expect(audio.closeCode).toBeUndefined();
    await audio.waitForCount(MSG.AUDIO, 3);
    const report = reportOf(sim, stream.info.streamId);
    expect(report.handshakes.media).toEqual({ ok: 1, rejected: { 16: 1 } });
    expect(report.maxConcurrentMedia.audio).toBe(2);
  });

  it('a per-kind connection while an all (media_type 32) connection exists: status 15', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim);
    const all = await connectStreamMedia(stream, 'all', 32);
    expect(all.response.status_code).toBe(0);
    expect(Object.keys(all.response.media_params as object).sort()).toEqual(
      ['audio', 'chat', 'deskshare', 'transcript', 'video'].sort(),
    );
    const { socket, response } = await connectStreamMedia(stream, 'audio', 1);
    expect(response.status_code).toBe(15);
    expect(await socket.closed).toBe(1000);
    expect(reportOf(sim, stream.info.streamId).handshakes.media).toEqual({ ok: 1, rejected: { 15: 1 } });
  });
});

describe('keep-alive', () => {
  // Requests on busy sockets too, so that a client's answers on media sockets are tested.
  const ALWAYS = { keepAlive: 'always' } as const;
  it('msg 12 with a timestamp on both sockets; echoed msg 13 counted; stream stays active', async () => {
    const { sim } = await harness.start(ALWAYS);
    const stream = await openStream(sim);
    const audio = await openAudio(stream);
    await stream.signaling.waitForCount(MSG.KEEP_ALIVE_REQ, 2);
    await audio.waitForCount(MSG.KEEP_ALIVE_REQ, 2);
    for (const socket of [stream.signaling, audio]) {
      for (const req of socket.ofType(MSG.KEEP_ALIVE_REQ)) expect(Number.isInteger(req.timestamp)).toBe(true);
    }
    // The client has seen two requests per socket; the server counts each echo a moment later.
    await waitUntil(
      () => reportOf(sim, stream.info.streamId).keepAlives.answered >= 4,
      1_000,
      'four answered keep-alives',
    );
    const before = reportOf(sim, stream.info.streamId).keepAlives.answered;
    await sleep(KEEP_ALIVE_REAL_MS * 4);
    const report = reportOf(sim, stream.info.streamId);
    expect(report.keepAlives.answered).toBeGreaterThan(before);
    expect(report.keepAlives.missed).toBe(0);
    expect(report.state).toBe('active');
    expect(report.interruptions).toBe(0);
  });

  it('unanswered on signaling: both sockets close, rtms_interrupted, then rtms_stopped 24', async () => {
    const { sim, webhooks } = await harness.start(ALWAYS);
    const stream = await openStream(sim);
    const audio = await openAudio(stream);
    stream.signaling.answerKeepAlive = false;
    expect(await stream.signaling.closed).toBe(1006);
    expect(await audio.closed).toBe(1006);
    const interrupted = await webhooks.waitFor('interrupted');
    const interruptedAt = Date.now();
    expect(interrupted.event).toBe('meeting.rtms_interrupted');
    expect(interrupted.payload.rtms_stream_id).toBe(stream.info.streamId);
    expect(sim.stream(stream.info.streamId).state).toBe('interrupted');
    expect(webhooks.of('stopped')).toHaveLength(0);

    const stopped = await webhooks.waitFor('stopped', 1, WINDOW_REAL_MS * 3);
    expect(Date.now() - interruptedAt).toBeGreaterThanOrEqual(WINDOW_REAL_MS * 0.8);
    expect(stopped.event).toBe('meeting.rtms_stopped');
    expect(stopped.payload.stop_reason).toBe(24);
    const report = reportOf(sim, stream.info.streamId);
    expect(report.keepAlives.missed).toBeGreaterThanOrEqual(3);
    expect(report.endReason).toBe(24);
    expect(report.state).toBe('ended');
    expect(report.interruptions).toBe(1);
    expect(report.recoveries).toBe(0);
  });

  it('signaling back inside the window: active, recoveries 1, audio flows, no rtms_stopped', async () => {
    const { sim, webhooks } = await harness.start(ALWAYS);
    const stream = await openStream(sim);
    const audio = await openAudio(stream);
    await audio.waitForCount(MSG.AUDIO, 1);
    stream.signaling.answerKeepAlive = false;
    await webhooks.waitFor('interrupted');
    expect(await audio.closed).toBe(1006);

    const again = await connectSignaling(signalingUrlOf(stream.info), stream.creds, stream.ids);
    expect(again.response.status_code).toBe(0);
    expect(sim.stream(stream.info.streamId).state).toBe('active');
    const media = await connectMedia(
      urlOf(mediaUrlsOf(again.response), 'audio'),
      stream.creds,
      stream.ids,
      again.socket,
      1,
    );
    expect(media.response.status_code).toBe(0);
    await media.socket.waitForCount(MSG.AUDIO, 5);

    // Past the window the stream must still be live.
    await sleep(WINDOW_REAL_MS * 1.3);
    expect(webhooks.of('stopped')).toHaveLength(0);
    const report = reportOf(sim, stream.info.streamId);
    expect(report.state).toBe('active');
    expect(report.recoveries).toBe(1);
    expect(report.interruptions).toBe(1);
    expect(again.socket.closeCode).toBeUndefined();
    expect(media.socket.closeCode).toBeUndefined();
  });

  it('unanswered on audio only: audio closes, event 7 for audio, msg 8 state 2 reason 14', async () => {
    const { sim } = await harness.start(ALWAYS);
    const stream = await openStream(sim);
    const audio = await openAudio(stream);
    audio.answerKeepAlive = false;
    expect(await audio.closed).toBe(1006);
    const event = await stream.signaling.waitFor(
      (m) => m.msg_type === MSG.EVENT_UPDATE && (m.event as { event_type: number }).event_type === 7,
    );
    expect((event.event as { media_type: number }).media_type).toBe(1);
    const state = await stream.signaling.waitFor(isStreamState(2));
    expect(state.reason).toBe(14);
    expect(stream.signaling.closeCode).toBeUndefined();
    const report = reportOf(sim, stream.info.streamId);
    expect(report.keepAlives.missed).toBeGreaterThanOrEqual(3);
    expect(report.interruptions).toBe(1);
  });

  it('audio reconnected inside the media window: recoveries 1 and msg 8 state 1', async () => {
    const { sim, webhooks } = await harness.start(ALWAYS);
    const stream = await openStream(sim);
    const audio = await openAudio(stream);
    audio.answerKeepAlive = false;
    await stream.signaling.waitFor(isStreamState(2));
    const from = mark(stream.signaling);
    const again = await openAudio(stream);
    const active = await stream.signaling.waitFor(isStreamState(1), 3_000, from);
    expect(active.reason).toBe(0);
    await again.waitForCount(MSG.AUDIO, 5);
    await sleep(WINDOW_REAL_MS * 1.3);
    const report = reportOf(sim, stream.info.streamId);
    expect(report.recoveries).toBe(1);
    expect(report.state).toBe('active');
    expect(webhooks.of('stopped')).toHaveLength(0);
    expect(again.closeCode).toBeUndefined();
  });

  it('audio not reconnected: the stream ends with reason 24 after the media window', async () => {
    const { sim, webhooks } = await harness.start(ALWAYS);
    const stream = await openStream(sim);
    const audio = await openAudio(stream);
    audio.answerKeepAlive = false;
    await stream.signaling.waitFor(isStreamState(2));
    const lostAt = Date.now();
    const terminated = await stream.signaling.waitFor(isStreamState(4), WINDOW_REAL_MS * 3);
    expect(Date.now() - lostAt).toBeGreaterThanOrEqual(WINDOW_REAL_MS * 0.8);
    expect(terminated.reason).toBe(24);
    expect(await stream.signaling.closed).toBe(1000);
    const stopped = await webhooks.waitFor('stopped');
    expect(stopped.payload.stop_reason).toBe(24);
    expect(reportOf(sim, stream.info.streamId).endReason).toBe(24);
  });
});

describe('faults applied live', () => {
  it('drop-signaling: the client sees 1006 and rtms_interrupted is sent', async () => {
    const { sim, webhooks } = await harness.start();
    const stream = await openStream(sim);
    const audio = await openAudio(stream);
    sim.fault(stream.info.streamId, 'drop-signaling');
    expect(await stream.signaling.closed).toBe(1006);
    expect(await audio.closed).toBe(1006);
    const interrupted = await webhooks.waitFor('interrupted');
    expect(interrupted.payload.rtms_stream_id).toBe(stream.info.streamId);
    expect(sim.stream(stream.info.streamId).state).toBe('interrupted');
    expect(reportOf(sim, stream.info.streamId).faults).toEqual(['drop-signaling']);
  });

  it('drop-media:audio: the audio socket sees 1006 and signaling gets event 7', async () => {
    const { sim, webhooks } = await harness.start();
    const stream = await openStream(sim);
    const audio = await openAudio(stream);
    sim.fault(stream.info.streamId, 'drop-media:audio');
    expect(await audio.closed).toBe(1006);
    const event = await stream.signaling.waitFor(
      (m) => m.msg_type === MSG.EVENT_UPDATE && (m.event as { event_type: number }).event_type === 7,
    );
    expect((event.event as { media_type: number }).media_type).toBe(1);
    expect(stream.signaling.closeCode).toBeUndefined();
    expect(webhooks.of('interrupted')).toHaveLength(0);
    expect(reportOf(sim, stream.info.streamId).faults).toEqual(['drop-media:audio']);
  });

  it('reset: the signaling socket closes without a clean 1000', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim);
    sim.fault(stream.info.streamId, 'reset');
    const code = await stream.signaling.closed;
    expect(code).not.toBe(1000);
    expect(code).toBe(1006);
    const error = stream.signaling.closeError as NodeJS.ErrnoException | undefined;
    if (error) expect(error.code).toBe('ECONNRESET');
    expect(reportOf(sim, stream.info.streamId).faults).toEqual(['reset:signaling']);
  });

  it('close:4001: the client sees close code 4001', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim);
    sim.fault(stream.info.streamId, { type: 'close', code: 4001 });
    expect(await stream.signaling.closed).toBe(4001);
  });

  it('stop-keepalive: no msg 12 after it, and no timeout either', async () => {
    const { sim } = await harness.start({ keepAlive: 'always' });
    const stream = await openStream(sim);
    const audio = await openAudio(stream);
    await stream.signaling.waitForCount(MSG.KEEP_ALIVE_REQ, 1);
    await audio.waitForCount(MSG.KEEP_ALIVE_REQ, 1);
    sim.fault(stream.info.streamId, 'stop-keepalive');
    await sleep(30);
    const signalingBefore = count(stream.signaling, MSG.KEEP_ALIVE_REQ);
    const audioBefore = count(audio, MSG.KEEP_ALIVE_REQ);
    await sleep(KEEP_ALIVE_REAL_MS * 5);
    expect(count(stream.signaling, MSG.KEEP_ALIVE_REQ)).toBe(signalingBefore);
    expect(count(audio, MSG.KEEP_ALIVE_REQ)).toBe(audioBefore);
    expect(sim.stream(stream.info.streamId).state).toBe('active');
  });

  it('stop-media: no msg 14 after a short drain, keep-alives continue', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim);
    const audio = await openAudio(stream);
    await audio.waitForCount(MSG.AUDIO, 5);
    sim.fault(stream.info.streamId, 'stop-media');
    await sleep(100);
    const audioBefore = count(audio, MSG.AUDIO);
    const keepAlivesBefore = count(audio, MSG.KEEP_ALIVE_REQ);
    await sleep(KEEP_ALIVE_REAL_MS * 4);
    expect(count(audio, MSG.AUDIO)).toBe(audioBefore);
    expect(count(audio, MSG.KEEP_ALIVE_REQ)).toBeGreaterThan(keepAlivesBefore);
    expect(audio.closeCode).toBeUndefined();
  });

  it('delay-handshake:400ms: msg 2 arrives at least ~350 ms after msg 1', async () => {
    const { sim } = await harness.start();
    const info = sim.startStream({ durationMs: LONG_STREAM_MS });
    sim.fault(info.streamId, 'delay-handshake:400ms');
    const socket = new RawSocket(signalingUrlOf(info));
    await socket.opened;
    const sentAt = performance.now();
    socket.send(signalingHandshake(credsFor(sim, 'meeting'), idsOf(info)));
    const response = await socket.waitForType(MSG.SIGNALING_RESP);
    expect(performance.now() - sentAt).toBeGreaterThanOrEqual(350);
    expect(response.status_code).toBe(0);
  });

  it('malformed-frame: the client receives a frame that is not JSON', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim);
    expect(stream.signaling.undecodable).toHaveLength(0);
    sim.fault(stream.info.streamId, 'malformed-frame');
    await waitUntil(() => stream.signaling.undecodable.length > 0, 2_000, 'an undecodable frame');
    expect(stream.signaling.undecodable).toHaveLength(1);
    expect(() => JSON.parse(stream.signaling.undecodable[0] ?? '')).toThrow();
    // The stream goes on.
    stream.signaling.send({ msg_type: MSG.STREAM_STATE_REQ, rtms_stream_id: stream.info.streamId });
    expect((await stream.signaling.waitForType(MSG.STREAM_STATE_RESP)).state).toBe(1);
  });

  it('duplicate-webhook: a second rtms_started, duplicate, byte-identical', async () => {
    const { sim, webhooks } = await harness.start();
    const info = sim.startStream({ durationMs: LONG_STREAM_MS });
    const first = await webhooks.waitFor('started');
    expect(first.duplicate).toBe(false);
    sim.fault(info.streamId, 'duplicate-webhook');
    const second = await webhooks.waitFor('started', 2);
    expect(second.event).toBe('meeting.rtms_started');
    expect(second.duplicate).toBe(true);
    expect(second.body.equals(first.body)).toBe(true);
    expect(second.eventTs).toBe(first.eventTs);
    expect(webhooks.of('started')).toHaveLength(2);
  });

  it('late-retry: after the stream ends, a byte-identical started arrives after rtms_stopped', async () => {
    const { sim, webhooks } = await harness.start();
    const stream = await openStream(sim);
    const first = await webhooks.waitFor('started');
    sim.fault(stream.info.streamId, 'late-retry');
    await sleep(50);
    expect(webhooks.of('started')).toHaveLength(1);
    sim.stopStream(stream.info.streamId);
    const late = await webhooks.waitFor('started', 2);
    expect(late.duplicate).toBe(true);
    expect(late.body.equals(first.body)).toBe(true);
    const events = webhooks.notices.map((n) => `${n.event}${n.duplicate ? ' (dup)' : ''}`);
    expect(events).toEqual(['meeting.rtms_started', 'meeting.rtms_stopped', 'meeting.rtms_started (dup)']);
  });

  it('slow-webhook:300ms: the stopped webhook comes ~300 ms late; the fault is recorded', async () => {
    const { sim, webhooks } = await harness.start();
    const stream = await openStream(sim);
    sim.fault(stream.info.streamId, 'slow-webhook:300ms');
    const stoppedAt = performance.now();
    sim.fault(stream.info.streamId, 'stop:6');
    // Listeners are the app too: a slow delivery reaches them late as well.
    expect(webhooks.of('stopped')).toHaveLength(0);
    await sleep(200);
    expect(webhooks.of('stopped')).toHaveLength(0);
    while (webhooks.of('stopped').length === 0 && performance.now() - stoppedAt < 3_000) await sleep(20);
    expect(performance.now() - stoppedAt).toBeGreaterThanOrEqual(280);
    expect(webhooks.of('stopped')).toHaveLength(1);
    expect(webhooks.of('stopped')[0]?.payload.stop_reason).toBe(6);
    expect(reportOf(sim, stream.info.streamId).faults).toEqual(['slow-webhook:300', 'stop:6']);
  });

  it('pause: msg 8 state 5 and no audio; resume: msg 8 state 6 and audio again', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim);
    const audio = await openAudio(stream);
    await audio.waitForCount(MSG.AUDIO, 5);

    sim.fault(stream.info.streamId, 'pause');
    await stream.signaling.waitFor(isStreamState(5));
    await stream.signaling.waitFor(isSessionState(3));
    expect(sim.stream(stream.info.streamId).state).toBe('paused');
    await sleep(60);
    const paused = count(audio, MSG.AUDIO);
    await sleep(300);
    expect(count(audio, MSG.AUDIO)).toBe(paused);

    const lastBefore = audioContents(audio).at(-1)?.timestamp ?? 0;
    sim.fault(stream.info.streamId, 'resume');
    await stream.signaling.waitFor(isStreamState(6));
    await stream.signaling.waitFor(isSessionState(4));
    await audio.waitForCount(MSG.AUDIO, paused + 5);
    expect(sim.stream(stream.info.streamId).state).toBe('active');
    // Nothing said during the pause (over 300 ms real, 6 s simulated) is delivered afterwards.
    const firstAfter = audioContents(audio)[paused]?.timestamp ?? 0;
    expect(firstAfter - lastBefore).toBeGreaterThanOrEqual(300 * TIME_SCALE * 0.8);
  });

  // Fails as of this writing: the reconnect un-pauses the stream (see the report).
  it('a paused stream stays paused across a signaling reconnect', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim);
    const audio = await openAudio(stream);
    await audio.waitForCount(MSG.AUDIO, 3);
    sim.fault(stream.info.streamId, 'pause');
    await stream.signaling.waitFor(isStreamState(5));
    sim.fault(stream.info.streamId, 'drop-signaling');
    expect(await stream.signaling.closed).toBe(1006);
    expect(await audio.closed).toBe(1006);

    const again = await connectSignaling(signalingUrlOf(stream.info), stream.creds, stream.ids);
    expect(again.response.status_code).toBe(0);
    const media = await connectMedia(
      urlOf(mediaUrlsOf(again.response), 'audio'),
      stream.creds,
      stream.ids,
      again.socket,
      1,
    );
    expect(media.response.status_code).toBe(0);
    await sleep(200);
    expect(sim.stream(stream.info.streamId).state).toBe('paused');
    again.socket.send({ msg_type: MSG.STREAM_STATE_REQ, rtms_stream_id: stream.info.streamId });
    expect((await again.socket.waitForType(MSG.STREAM_STATE_RESP)).state).toBe(5);
    expect(count(media.socket, MSG.AUDIO)).toBe(0);

    sim.fault(stream.info.streamId, 'resume');
    await again.socket.waitFor(isStreamState(6));
    await media.socket.waitForCount(MSG.AUDIO, 5);
  });

  it('stop:6: msg 8 state 4 reason 6, msg 9 state 5, sockets close 1000, rtms_stopped 6', async () => {
    const { sim, webhooks } = await harness.start();
    const stream = await openStream(sim);
    const audio = await openAudio(stream);
    await audio.waitForCount(MSG.AUDIO, 1);
    sim.fault(stream.info.streamId, 'stop:6');
    const terminated = await stream.signaling.waitFor(isStreamState(4));
    expect(terminated.reason).toBe(6);
    const session = await stream.signaling.waitFor(isSessionState(5));
    expect(session.stop_reason).toBe(6);
    expect(await stream.signaling.closed).toBe(1000);
    expect(await audio.closed).toBe(1000);
    const stopped = webhooks.of('stopped');
    expect(stopped).toHaveLength(1);
    expect(stopped[0]?.payload.stop_reason).toBe(6);
    const report = reportOf(sim, stream.info.streamId);
    expect(report.endReason).toBe(6);
    expect(report.state).toBe('ended');
    // An ended stream is no longer a valid stream id.
    const late = await connectSignaling(signalingUrlOf(stream.info), stream.creds, stream.ids);
    expect(late.response.status_code).toBe(2);
  });

  it('revoke: the stream ends with stop reason 8', async () => {
    const { sim, webhooks } = await harness.start();
    const stream = await openStream(sim);
    sim.fault(stream.info.streamId, 'revoke');
    const terminated = await stream.signaling.waitFor(isStreamState(4));
    expect(terminated.reason).toBe(8);
    expect(await stream.signaling.closed).toBe(1000);
    expect((await webhooks.waitFor('stopped')).payload.stop_reason).toBe(8);
  });

  it('failover: newer rtms_started on another port; old sockets go; the new server serves', async () => {
    const { sim, webhooks } = await harness.start();
    const stream = await openStream(sim);
    const audio = await openAudio(stream);
    await audio.waitForCount(MSG.AUDIO, 1);
    const oldUrl = signalingUrlOf(stream.info);
    const first = await webhooks.waitFor('started');

    sim.fault(stream.info.streamId, 'failover');
    const restarted = await webhooks.waitFor('started', 2);
    expect(restarted.duplicate).toBe(false);
    expect(restarted.eventTs).toBeGreaterThan(first.eventTs);
    expect(restarted.payload.rtms_stream_id).toBe(stream.info.streamId);
    const newUrl = restarted.payload.server_urls as string;
    expect(new URL(newUrl).port).not.toBe(new URL(oldUrl).port);
    expect(sim.stream(stream.info.streamId).serverUrls).toEqual([newUrl]);
    expect(await stream.signaling.closed).toBe(1006);
    expect(await audio.closed).toBe(1006);

    const moved = await connectSignaling(newUrl, stream.creds, stream.ids);
    expect(moved.response.status_code).toBe(0);
    const urls = mediaUrlsOf(moved.response);
    expect(new URL(urlOf(urls, 'audio')).port).toBe(new URL(newUrl).port);
    const media = await connectMedia(urlOf(urls, 'audio'), stream.creds, stream.ids, moved.socket, 1);
    expect(media.response.status_code).toBe(0);
    await media.socket.waitForCount(MSG.AUDIO, 5);

    const stale = await connectSignaling(oldUrl, stream.creds, stream.ids);
    expect(stale.response.status_code).toBe(2);
    expect(sim.stream(stream.info.streamId).state).toBe('active');
  });

  it('scripted: a stop at a simulated time applies on the timeline', async () => {
    const { sim, webhooks } = await harness.start();
    const startedAt = performance.now();
    // 10 s simulated is 500 ms real at timeScale 20.
    const stream = await openStream(sim, { faults: [{ atMs: 10_000, fault: { type: 'stop', reason: 6 } }] });
    const audio = await openAudio(stream);
    const terminated = await stream.signaling.waitFor(isStreamState(4), 3_000);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(450);
    expect(terminated.reason).toBe(6);
    expect(await audio.closed).toBe(1000);
    expect((await webhooks.waitFor('stopped')).payload.stop_reason).toBe(6);
    expect(reportOf(sim, stream.info.streamId).faults).toEqual(['stop:6']);
  });

  it('scripted: a media drop on the timeline sends event 7', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim, {
      faults: [{ atMs: 10_000, fault: { type: 'drop-media', kind: 'audio' } }],
    });
    const audio = await openAudio(stream);
    expect(await audio.closed).toBe(1006);
    const event = await stream.signaling.waitFor(
      (m) => m.msg_type === MSG.EVENT_UPDATE && (m.event as { event_type: number }).event_type === 7,
    );
    expect((event.event as { media_type: number }).media_type).toBe(1);
    expect(reportOf(sim, stream.info.streamId).faults).toEqual(['drop-media:audio']);
  });
});

describe('close and state requests', () => {
  it('STREAM_CLOSE_REQ: msg 22 status 0, msg 8 state 4 reason 20, rtms_stopped 20', async () => {
    const { sim, webhooks } = await harness.start();
    const stream = await openStream(sim);
    const audio = await openAudio(stream);
    stream.signaling.send({ msg_type: MSG.STREAM_CLOSE_REQ, rtms_stream_id: stream.info.streamId });
    const closeResp = await stream.signaling.waitForType(MSG.STREAM_CLOSE_RESP);
    expect(closeResp.status_code).toBe(0);
    expect(closeResp.rtms_stream_id).toBe(stream.info.streamId);
    const terminated = await stream.signaling.waitFor(isStreamState(4));
    expect(terminated.reason).toBe(20);
    expect(stream.signaling.received.indexOf(terminated)).toBeGreaterThan(
      stream.signaling.received.indexOf(closeResp),
    );
    expect(await stream.signaling.closed).toBe(1000);
    expect(await audio.closed).toBe(1000);
    const stopped = await webhooks.waitFor('stopped');
    expect(stopped.payload.stop_reason).toBe(20);
    expect(reportOf(sim, stream.info.streamId).endReason).toBe(20);
  });

  it('STREAM_STATE_REQ and SESSION_STATE_REQ answer with the live states', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim);
    stream.signaling.send({ msg_type: MSG.STREAM_STATE_REQ, rtms_stream_id: stream.info.streamId });
    const streamState = await stream.signaling.waitForType(MSG.STREAM_STATE_RESP);
    expect(streamState.state).toBe(1);
    expect(streamState.rtms_stream_id).toBe(stream.info.streamId);

    const started = await stream.signaling.waitFor(isSessionState(2));
    const sessionId = started.rtms_session_id;
    expect(typeof sessionId).toBe('string');
    stream.signaling.send({ msg_type: MSG.SESSION_STATE_REQ, rtms_session_id: sessionId });
    const sessionState = await stream.signaling.waitForType(MSG.SESSION_STATE_RESP);
    expect(sessionState.state).toBe(2);
    expect(sessionState.rtms_session_id).toBe(sessionId);

    // A session id that is not this stream's is inactive.
    const from = mark(stream.signaling);
    stream.signaling.send({ msg_type: MSG.SESSION_STATE_REQ, rtms_session_id: 'not-a-session' });
    const other = await stream.signaling.waitFor((m) => m.msg_type === MSG.SESSION_STATE_RESP, 3_000, from);
    expect(other.state).toBe(0);
  });
});

describe('frame modes', () => {
  // Fails as of this writing: handshake answers bypass the frame mode (see the report).
  it("frames 'binary': every frame on signaling and media is binary and parses as JSON", async () => {
    const { sim } = await harness.start({ frames: 'binary' });
    const stream = await openStream(sim);
    const audio = await openAudio(stream);
    await audio.waitForCount(MSG.AUDIO, 5);
    await stream.signaling.waitForCount(MSG.KEEP_ALIVE_REQ, 1);
    // Refusals are frames too: a bad signature (answered by the stream) and an unknown stream id.
    const badCreds = { ...stream.creds, clientSecret: 'not-the-secret' };
    const refused = await connectSignaling(signalingUrlOf(stream.info), badCreds, stream.ids);
    expect(refused.response.status_code).toBe(3);
    const unknownIds = { ...stream.ids, streamId: '0123456789abcdef0123456789abcdef' };
    const unknown = await connectSignaling(signalingUrlOf(stream.info), stream.creds, unknownIds);
    expect(unknown.response.status_code).toBe(2);
    const sockets = { signaling: stream.signaling, audio, refused: refused.socket, unknown: unknown.socket };
    const textFrames: string[] = [];
    for (const [name, socket] of Object.entries(sockets)) {
      expect(socket.undecodable).toHaveLength(0);
      expect(socket.binary).toHaveLength(socket.received.length);
      socket.received.forEach((m, i) => {
        if (socket.binary[i] !== true) textFrames.push(`${name}: msg ${m.msg_type}`);
      });
    }
    expect(textFrames).toEqual([]);
  });

  it("frames 'mixed': both text and binary frames occur on each socket", async () => {
    const { sim } = await harness.start({ frames: 'mixed' });
    const stream = await openStream(sim);
    const audio = await openAudio(stream);
    await audio.waitForCount(MSG.AUDIO, 5);
    for (const socket of [stream.signaling, audio]) {
      expect(socket.undecodable).toHaveLength(0);
      expect(socket.binary).toContain(true);
      expect(socket.binary).toContain(false);
    }
  });
});

describe('video subscription', () => {
  it('data_opt 4: msg 28 for a user with video on gives status 0 and their frames', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim);
    stream.signaling.send({
      msg_type: MSG.EVENT_SUBSCRIPTION,
      events: [
        { event_type: 8, subscribe: true },
        { event_type: 9, subscribe: true },
      ],
    });
    const video = await openMedia(stream, 'video', 2, { video: { data_opt: 4 } });
    expect(video.ofType(MSG.DATA_RESP)[0]?.media_params).toMatchObject({ video: { data_opt: 4 } });
    // Individual-stream video sends nothing until someone is subscribed.
    await sleep(200);
    expect(count(video, MSG.VIDEO)).toBe(0);

    // Participant 0 turns video on at the start and keeps it on.
    const userId = FIRST_USER_ID;
    stream.signaling.send({ msg_type: MSG.VIDEO_SUBSCRIPTION_REQ, user_id: userId, subscribe: true });
    const resp = await stream.signaling.waitForType(MSG.VIDEO_SUBSCRIPTION_RESP);
    expect(resp.status_code).toBe(0);
    expect(resp.user_id).toBe(userId);
    await video.waitForCount(MSG.VIDEO, 5);
    for (const frame of video.ofType(MSG.VIDEO)) {
      expect((frame.content as { user_id: number }).user_id).toBe(userId);
      const bytes = mediaBytes(frame);
      expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]);
    }
  });

  // Fails as of this writing: the video of the gap is replayed (see the report).
  it('video is not buffered: after a media reconnect, video starts at the present', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim);
    const startedAt = reportOf(sim, stream.info.streamId).startedAt;
    const video = await openMedia(stream, 'video', 2);
    await video.waitForCount(MSG.VIDEO, 5);
    sim.fault(stream.info.streamId, 'drop-media:video');
    expect(await video.closed).toBe(1006);
    const lastBefore = Math.max(
      ...video.ofType(MSG.VIDEO).map((m) => (m.content as { timestamp: number }).timestamp),
    );
    const droppedAt = performance.now();
    await sleep(400);
    const again = await openMedia(stream, 'video', 2);
    const gapSimMs = (performance.now() - droppedAt) * TIME_SCALE;
    await again.waitForCount(MSG.VIDEO, 1);
    const first = again.ofType(MSG.VIDEO)[0]?.content as { timestamp: number };
    expect(first.timestamp).toBeGreaterThan(startedAt);
    // Video is not buffered (§4.4): nothing from the ~8 s simulated gap; one tick and frame of slack.
    expect(first.timestamp - lastBefore).toBeGreaterThanOrEqual(gapSimMs - 1_000);
    expect(reportOf(sim, stream.info.streamId).recoveries).toBe(1);
  });

  it('data_opt 3: msg 28 is refused with status 29', async () => {
    const { sim } = await harness.start();
    const stream = await openStream(sim);
    const video = await openMedia(stream, 'video', 2, { video: { data_opt: 3 } });
    expect(video.closeCode).toBeUndefined();
    stream.signaling.send({ msg_type: MSG.VIDEO_SUBSCRIPTION_REQ, user_id: FIRST_USER_ID, subscribe: true });
    const resp = await stream.signaling.waitForType(MSG.VIDEO_SUBSCRIPTION_RESP);
    expect(resp.status_code).toBe(29);
    expect(resp.user_id).toBe(FIRST_USER_ID);
  });
});
