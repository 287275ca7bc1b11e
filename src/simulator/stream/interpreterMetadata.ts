/**
 * Audio metadata (META_DATA_AUDIO, msg 23) on the audio connections of a stream whose script has the AI
 * interpreter on: a connection gets the interpreter's state when it starts, then every change as it
 * happens. The payload is `content.ai_interpreter` in Zoom's snake_case (see protocol/metadata.ts).
 */
import { AudioChannel, MessageType, SampleRate, sampleRateHz } from '../../protocol/enums.js';
import type { AudioParams } from '../../protocol/messages.js';
import type { AiInterpreterInfo } from '../../protocol/metadata.js';
import type { InterpretationEvent } from '../content/scenarioPhases.js';
import type { Timeline } from '../timeline.js';
import type { MediaLink } from './state.js';

function interpreterInfo(
  e: InterpretationEvent,
  audio: AudioParams | undefined,
  timestamp: number,
): AiInterpreterInfo {
  return {
    lid: e.sourceLid,
    timestamp,
    channel_num: audio?.channel ?? AudioChannel.MONO,
    sample_rate: sampleRateHz(audio?.sample_rate ?? SampleRate.SR_16K) ?? 16_000,
    targets: e.targets.map((t) => ({ lid: t.lid, tone_id: t.toneId, voice_id: t.voiceId, engine: t.engine })),
  };
}

export class InterpreterMetadata {
  private readonly timeline: Timeline;
  private readonly tsBase: number;
  private readonly steps: readonly InterpretationEvent[];
  /** Per audio connection, the simulated ms up to which its metadata has been sent. */
  private readonly sentTo = new WeakMap<MediaLink, number>();

  constructor(timeline: Timeline, tsBase: number) {
    this.timeline = timeline;
    this.tsBase = tsBase;
    this.steps = timeline.scenario.events.filter(
      (e): e is InterpretationEvent => e.type === 'interpretation',
    );
  }

  /** Sends what each ready audio connection has not had yet, up to simulated `now`. */
  pump(media: readonly MediaLink[], now: number): void {
    if (this.steps.length === 0) return;
    for (const link of media) {
      if (!link.ready || !link.socket.isOpen || !link.kinds.includes('audio')) continue;
      const from = this.sentTo.get(link);
      this.sentTo.set(link, now);
      if (from === undefined) {
        const current = this.stateAt(now);
        if (current) this.send(link, current, now);
        continue;
      }
      for (const e of this.timeline.eventsIn(from, now)) {
        if (e.type === 'interpretation') this.send(link, e, e.atMs);
      }
    }
  }

  /** The interpreter's state at `atMs`: its latest change at or before then. */
  private stateAt(atMs: number): InterpretationEvent | undefined {
    let current: InterpretationEvent | undefined;
    for (const e of this.steps) {
      if (e.atMs > atMs) break;
      current = e;
    }
    return current;
  }

  private send(link: MediaLink, e: InterpretationEvent, atMs: number): void {
    link.socket.send({
      msg_type: MessageType.META_DATA_AUDIO,
      content: { ai_interpreter: interpreterInfo(e, link.params.audio, Math.round(this.tsBase + atMs)) },
    });
  }
}
