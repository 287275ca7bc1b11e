/**
 * Records every stream of a `StreamManager`: a {@link Recording} per stream, opened on `streamAdded`,
 * fed from the manager's events, finalized on `streamRemoved`.
 */

import type { EventEmitter } from 'node:events';
import { MEETING_EVENT_NAMES } from '../client/eventNames.js';
import type { RawEvent } from '../client/events.js';
import type { ManagerEvents, StreamRef } from '../manager/StreamManager.js';
import type { MediaParams } from '../protocol/messages.js';
import type { AudioLayout, RecordingManifest } from './manifest.js';
import { recordingDir } from './paths.js';
import { MemoryBudget } from './queue.js';
import { type DropSink, noDrops, Recording } from './Recording.js';

export { repairRecordings } from './repair.js';

/**
 * Most bytes all recordings of one recorder hold in memory waiting for the disk (each writer also has
 * its own bound). Past it, frames are dropped and counted.
 */
export const RECORDER_MEMORY_BYTES = 256 * 1024 * 1024;

/** `endReason` of recordings finalized by {@link RecorderHandle.close} while their stream was still live. */
export const RECORDER_CLOSED_REASON = 'recorder-closed';

/**
 * What a recorder listens to: a `StreamManager`, or any emitter of its events. `get` (optional)
 * gives the confirmed media parameters for the manifest.
 */
export interface RecorderSource extends EventEmitter<ManagerEvents> {
  get?(streamId: string): { readonly mediaParams: MediaParams } | undefined;
}

export interface RecorderOptions {
  /** Recordings go under `<dataDir>/recordings/`. */
  dataDir: string;
  /** Default `auto`. */
  audioLayout?: AudioLayout;
  /** Bound of each writer's queue, bytes. */
  maxQueueBytes?: number;
  /** Bound of all queues together, bytes; default {@link RECORDER_MEMORY_BYTES}. */
  memoryBudgetBytes?: number;
  /** WAV header rewrite interval, ms. */
  headerRewriteMs?: number;
  /** I/O errors (once per file), with the stream they belong to. */
  onError?: (error: Error, ref: StreamRef) => void;
  /**
   * The recording's `recording.completed`: called once its files are complete on disk, with the final
   * manifest (file paths in it are relative to `dir`) and the recording's folder.
   */
  onFinalized?: (manifest: RecordingManifest, ref: StreamRef, dir: string) => void;
  /** Clock; default `Date.now`. */
  now?: () => number;
  /** The rtmskit instance recording, written into every manifest (`writer`). */
  writer?: string;
}

/** A recorder attached to a manager. */
export interface RecorderHandle extends AsyncDisposable {
  /** Recordings in progress. */
  recordings(): Recording[];
  /**
   * Items dropped by every recording of this recorder (finished ones included), by sink. Counts only
   * grow, so they can feed Prometheus counters.
   */
  drops(): Record<DropSink, number>;
  /**
   * Resolves once the recording of `streamId` that is being finalized, if any, is done (at once when
   * there is none): what to wait for before touching the stream's folder.
   */
  settled(streamId: string): Promise<void>;
  /**
   * Detaches from the manager, finalizes every recording in progress (`endReason` `recorder-closed`)
   * and waits for every finalization, including ones already under way. Idempotent.
   */
  close(): Promise<void>;
}

/** Manager events written to `events.jsonl` as they are. */
const LOGGED_EVENTS = [
  ...MEETING_EVENT_NAMES,
  'sessionState',
  'streamState',
  'stateChange',
  'reconnecting',
  'reconnected',
  'closed',
  'error',
] as const satisfies readonly (keyof ManagerEvents)[];

type Listener = (...args: unknown[]) => void;

function addDrops(into: Record<DropSink, number>, from: Record<DropSink, number>): void {
  for (const sink of Object.keys(into) as DropSink[]) into[sink] += from[sink];
}

/**
 * Records every stream of `manager` under `<dataDir>/recordings/`. Frames are routed by
 * `ref.streamId`; the raw `event` is logged only for EVENT_UPDATEs that have no typed event of their own
 * (`typed` false: Contact Center voice events outside IVR, media interruptions, unknown numbers), so
 * nothing is logged twice.
 *
 * @remarks Listeners only hand data to bounded queues: the manager's event loop never waits for disk.
 */
export function attachRecorder(manager: RecorderSource, options: RecorderOptions): RecorderHandle {
  const live = new Map<string, { ref: StreamRef; recording: Recording }>();
  /** Recordings not yet finalized (live or finishing), and the drops of the finalized ones. */
  const unsettled = new Set<Recording>();
  const retiredDrops = noDrops();
  const finishing = new Map<string, Promise<unknown>>();
  /**
   * Recordings being finalized, by stream: an item for a stream that has just been removed is handed to
   * its recording, which counts it (`afterEnd`) instead of it vanishing here.
   */
  const ending = new Map<string, Recording>();
  const budget = new MemoryBudget(options.memoryBudgetBytes ?? RECORDER_MEMORY_BYTES);
  const now = options.now ?? Date.now;
  const detachers: (() => void)[] = [];
  let closing: Promise<void> | undefined;

  const on = <K extends keyof ManagerEvents>(name: K, listener: (...args: ManagerEvents[K]) => void) => {
    const emitter = manager as unknown as EventEmitter;
    emitter.on(name, listener as unknown as Listener);
    detachers.push(() => emitter.off(name, listener as unknown as Listener));
  };

  const report = (error: unknown, ref: StreamRef) => {
    try {
      options.onError?.(error instanceof Error ? error : new Error(String(error)), ref);
    } catch {
      // A throwing listener must not break the manager's event loop.
    }
  };

  const mediaParamsOf = (ref: StreamRef): MediaParams | undefined => {
    try {
      return manager.get?.(ref.streamId)?.mediaParams;
    } catch {
      return undefined;
    }
  };

  const finalize = (ref: StreamRef, recording: Recording, reason: string, stopReason?: number) => {
    if (live.get(ref.streamId)?.recording === recording) live.delete(ref.streamId);
    const params = mediaParamsOf(ref);
    if (params !== undefined) recording.setMediaParams(params);
    ending.set(ref.streamId, recording);
    const done = recording.finalize({ reason, stopReason }).then((manifest) => {
      if (finishing.get(ref.streamId) === done) finishing.delete(ref.streamId);
      if (ending.get(ref.streamId) === recording) ending.delete(ref.streamId);
      if (unsettled.delete(recording)) addDrops(retiredDrops, recording.drops());
      try {
        options.onFinalized?.(manifest, ref, recording.dir);
      } catch {
        // A throwing listener must not become an unhandled rejection.
      }
    });
    finishing.set(ref.streamId, done);
    return done;
  };

  on('streamAdded', (ref) => {
    if (closing !== undefined || live.has(ref.streamId)) return;
    let dir: string;
    try {
      dir = recordingDir(options.dataDir, new Date(now()), ref.instanceId, ref.streamId);
    } catch (error) {
      report(error, ref);
      return;
    }
    const previous = finishing.get(ref.streamId);
    const recording = new Recording({
      dir,
      ref,
      startedAt: now(),
      now,
      budget,
      ...(options.writer === undefined ? {} : { writer: options.writer }),
      ...(options.audioLayout === undefined ? {} : { audioLayout: options.audioLayout }),
      ...(options.maxQueueBytes === undefined ? {} : { maxQueueBytes: options.maxQueueBytes }),
      ...(options.headerRewriteMs === undefined ? {} : { headerRewriteMs: options.headerRewriteMs }),
      ...(previous === undefined ? {} : { after: previous }),
      onError: (error) => report(error, ref),
    });
    live.set(ref.streamId, { ref, recording });
    unsettled.add(recording);
  });

  on('streamRemoved', (ref, closed) => {
    const entry = live.get(ref.streamId);
    if (entry !== undefined) void finalize(ref, entry.recording, closed.reason, closed.stopReason);
  });

  /** The recording of a stream: its live one, else the one still finalizing. */
  const target = (ref: StreamRef): Recording | undefined =>
    live.get(ref.streamId)?.recording ?? ending.get(ref.streamId);

  on('audio', (ref, frame) => target(ref)?.audio(frame));
  on('video', (ref, frame) => target(ref)?.video(frame));
  on('deskshare', (ref, frame) => target(ref)?.deskshare(frame));
  on('transcript', (ref, segment) => target(ref)?.transcript(segment));
  on('chat', (ref, line) => target(ref)?.chat(line));

  for (const name of LOGGED_EVENTS) {
    on(name, (ref: StreamRef, payload: unknown) => {
      const recording = target(ref);
      if (recording === undefined) return;
      recording.event(name, payload);
      if (name === 'stateChange' && (payload as { to?: string }).to === 'ready') {
        const params = mediaParamsOf(ref);
        if (params !== undefined) recording.setMediaParams(params);
      }
    });
  }

  on('event', (ref, raw: RawEvent) => {
    if (raw.typed) return;
    target(ref)?.event('event', raw);
  });

  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const detach of detachers.splice(0)) detach();
      const ending = [...live.values()].map(({ ref, recording }) =>
        finalize(ref, recording, RECORDER_CLOSED_REASON),
      );
      await Promise.all([...ending, ...finishing.values()]);
    })();
    return closing;
  };

  const drops = (): Record<DropSink, number> => {
    const out = { ...retiredDrops };
    for (const recording of unsettled) addDrops(out, recording.drops());
    return out;
  };

  return {
    recordings: () => [...live.values()].map(({ recording }) => recording),
    drops,
    settled: (streamId) => (finishing.get(streamId) ?? Promise.resolve()).then(noop, noop),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function noop(): void {}
