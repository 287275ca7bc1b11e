/**
 * Whether the service can do its job right now: reach its store and write recordings. `/readyz` answers
 * from here with a reason code only; the details go to the log when readiness changes.
 */

import { probeWritable } from '../media/folders.js';
import { messageOf } from '../protocol/errorText.js';
import type { Store } from '../store/Store.js';

/** Why the service is not ready. */
export type NotReadyReason = 'STORE_UNREACHABLE' | 'RECORDINGS_UNWRITABLE' | 'RECORDING_WRITES_FAILING';

export type Readiness = { ok: true } | { ok: false; reason: NotReadyReason; detail: string };

/** A recording write error or drop keeps the service not ready this long after it was seen. */
export const SINK_FAILURE_WINDOW_MS = 30_000;

/** The write probe of the recordings folder is reused for this long, so probes cannot flood the disk. */
export const RECORDINGS_PROBE_CACHE_MS = 2_000;

export interface ReadinessOptions {
  store: Store;
  /** `<dataDir>/recordings`. */
  recordingsDir: string;
  /** Items the recording sinks dropped so far, in all (only grows). */
  sinkDrops: () => number;
  now?: () => number;
  /** Readiness changed: from ready to not, between reasons, or back. */
  onChange?: (now: Readiness, before: Readiness) => void;
}

export class ReadinessCheck {
  private readonly options: ReadinessOptions;
  private readonly now: () => number;
  private lastSinkFailureMs = Number.NEGATIVE_INFINITY;
  private lastSinkFailure = '';
  private seenDrops = 0;
  private probe: { at: number; result: Promise<string | undefined> } | undefined;
  private last: Readiness = { ok: true };

  constructor(options: ReadinessOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.seenDrops = options.sinkDrops();
  }

  /** A recording sink failed to write (an I/O error): not ready for {@link SINK_FAILURE_WINDOW_MS}. */
  sinkFailed(detail: string): void {
    this.lastSinkFailureMs = this.now();
    this.lastSinkFailure = detail;
    // A failure is a reason to look at the folder again now rather than trust the cached probe.
    this.probe = undefined;
  }

  /** Runs every check and returns the first failure, or ready. */
  async check(): Promise<Readiness> {
    const result = await this.evaluate();
    const before = this.last;
    this.last = result;
    if (result.ok !== before.ok || (!result.ok && !before.ok && result.reason !== before.reason)) {
      this.options.onChange?.(result, before);
    }
    return result;
  }

  private async evaluate(): Promise<Readiness> {
    try {
      await this.options.store.ping();
    } catch (error) {
      return notReady('STORE_UNREACHABLE', `the ${this.options.store.kind} store: ${messageOf(error)}`);
    }
    const unwritable = await this.probeRecordings();
    if (unwritable !== undefined) {
      return notReady('RECORDINGS_UNWRITABLE', `${this.options.recordingsDir}: ${unwritable}`);
    }
    const drops = this.options.sinkDrops();
    if (drops > this.seenDrops) {
      this.sinkFailed(`${drops - this.seenDrops} items dropped by recording sinks`);
      this.seenDrops = drops;
    }
    if (this.now() - this.lastSinkFailureMs < SINK_FAILURE_WINDOW_MS) {
      return notReady('RECORDING_WRITES_FAILING', this.lastSinkFailure);
    }
    return { ok: true };
  }

  private probeRecordings(): Promise<string | undefined> {
    const now = this.now();
    if (this.probe === undefined || now - this.probe.at >= RECORDINGS_PROBE_CACHE_MS) {
      const result = probeWritable(this.options.recordingsDir).then(
        () => undefined,
        (error: unknown) => messageOf(error),
      );
      this.probe = { at: now, result };
    }
    return this.probe.result;
  }
}

function notReady(reason: NotReadyReason, detail: string): Readiness {
  return { ok: false, reason, detail };
}
