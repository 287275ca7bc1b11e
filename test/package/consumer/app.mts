// The same app as an ES module (.mts).
import { createNodeWebhookHandler, RtmsError, StopReason, StreamManager, WebhookReceiver } from 'rtmskit';
import { attachRecorder, type RecordingManifest } from 'rtmskit/media';
import { loadConfig, RtmsService } from 'rtmskit/service';
import { Simulator } from 'rtmskit/simulator';
import { openStore, type StreamRecord } from 'rtmskit/store';

const manager = new StreamManager({ credentials: { clientId: 'id', clientSecret: 'secret' } });
manager.on('audio', (stream, frame) => {
  const id: string = stream.streamId;
  const bytes: Buffer = frame.data;
  const rate: number = frame.sampleRate;
  console.log(id, bytes.length, rate);
});
manager.on('transcript', (_stream, segment) => console.log(segment.text.toUpperCase()));
// @ts-expect-error: there is no 'audoi' event
manager.on('audoi', () => undefined);
// @ts-expect-error: a transcript listener gets a segment, not a number
manager.on('transcript', (_stream, segment: number) => segment);

async function main(): Promise<void> {
  const store = await openStore('memory:');
  const record: StreamRecord | undefined = await store.getStream('none');
  await store.close();
  const sim = await Simulator.start({});
  const manifest: RecordingManifest | undefined = undefined;
  await sim.close();
  await manager.close();
  const receiver = new WebhookReceiver({ secretToken: 'token' });
  const handler = createNodeWebhookHandler({ receiver, onEvent: (event) => manager.handleWebhook(event) });
  console.log(
    'ok',
    StopReason.MEETING_ENDED,
    record === undefined,
    manifest === undefined,
    typeof attachRecorder,
    typeof loadConfig,
    typeof RtmsService,
    typeof handler,
    new RtmsError('INVALID_OPTIONS', 'x').code,
  );
}
void main();
