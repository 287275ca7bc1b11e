import { afterEach, expect, it } from 'vitest';
import { AudioLog, Harness, nextEvent, reportOf, sleep, TIME_SCALE } from './harness.js';
const harness = new Harness();
afterEach(() => harness.cleanup());
it('diag', async () => {
  for (let i = 0; i < 6; i++) {
  const sim = await harness.sim();
  const info = sim.startStream({ participants: 2, durationMs: 16_000 });
  const stream = harness.stream(sim, info);
  const log = new AudioLog(true);
  stream.on('audio', log.onFrame);
  const closed = nextEvent(stream, 'closed', 10000);
  await sleep(15_600 / TIME_SCALE);
  await stream.connect().catch(() => undefined);
  await closed;
  await sleep(300);
  const rep = reportOf(sim, info.streamId);
  console.log('sent', rep.framesSent.audio, 'got', log.count, 'status', stream.status);
  }
  expect(1).toBe(1);
});
