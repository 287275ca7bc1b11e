/**
 * Shared pieces of the client and manager tests: a simulator with compressed time, streams with client
 * timeouts scaled the same way, a short reconnect policy, webhook parsing, and a log of delivered audio
 * that checks order and counts against the simulator's report.
 */
import type { AudioFrame } from '../../src/client/events.js';
import type { RtmsStreamOptions, StreamTimeouts } from '../../src/client/options.js';
import { RtmsStream } from '../../src/client/RtmsStream.js';
import type { ReconnectPolicy } from '../../src/client/reconnectPolicy.js';
import {
  type ManagerOutcome,
  type StreamDefaults,
  StreamManager,
  type StreamManagerOptions,
} from '../../src/manager/StreamManager.js';
import {
  type SimStreamInfo,
  Simulator,
  type SimulatorOptions,
  type StreamReport,
  type WebhookNotice,
} from '../../src/simulator/index.js';
import { parseWebhookEvent, type WebhookEvent } from '../../src/webhook/events.js';

/** Simulated time runs this much faster than real time. */
export const TIME_SCALE = 20;
/** Nominal keep-alive interval: 100 ms real. */
export const KEEP_ALIVE_NOMINAL_MS = 2_000;
export const KEEP_ALIVE_REAL_MS = KEEP_ALIVE_NOMINAL_MS / TIME_SCALE;
/** Nominal reconnect windows of the simulator: 1.5 s real. */
export const WINDOW_NOMINAL_MS = 30_000;
export const WINDOW_REAL_MS = WINDOW_NOMINAL_MS / TIME_SCALE;
/** Client watchdog: five silent keep-alive intervals. */
export const DEAD_SOCKET_REAL_MS = 5 * KEEP_ALIVE_REAL_MS;
/** Retry delay of {@link fastPolicy}. */
export const FAST_RETRY_MS = 20;

export const FAST_SIM = {
  timeScale: TIME_SCALE,
  keepAliveIntervalMs: KEEP_ALIVE_NOMINAL_MS,
  signalingWindowMs: WINDOW_NOMINAL_MS,
  mediaWindowMs: WINDOW_NOMINAL_MS,
} satisfies SimulatorOptions;

/** Client timeouts scaled like the simulator. */
export const FAST_TIMEOUTS: Partial<StreamTimeouts> = {
  connectMs: 2_000,
  handshakeMs: 2_000,
  deadSocketMs: DEAD_SOCKET_REAL_MS,
  signalingWindowMs: WINDOW_REAL_MS,
  mediaWindowMs: WINDOW_REAL_MS,
  closeMs: 1_000,
};

/** Retries every 20 ms until the window is spent. */
export const fastPolicy: ReconnectPolicy = ({ elapsedMs, windowMs }) =>
  elapsedMs + FAST_RETRY_MS >= windowMs ? null : FAST_RETRY_MS;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 10 ms; rejects naming `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Resolves with the first emission of `name`; rejects after `timeoutMs`. */
export function nextEvent<T>(
  emitter: { once(name: string, listener: (arg: T) => void): unknown },
  name: string,
  timeoutMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${name}' within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    emitter.once(name, (arg: T) => {
      clearTimeout(timer);
      resolve(arg);
    });
  });
}

/** The credentials the simulator expects for a product. */
export function credentialsFor(sim: Simulator, product: SimStreamInfo['product']) {
  const c = sim.credentials;
  return product === 'session'
    ? { clientId: c.videoSdkKey, clientSecret: c.videoSdkSecret }
    : { clientId: c.clientId, clientSecret: c.clientSecret };
}

export function reportOf(sim: Simulator, streamId: string): StreamReport {
  const report = sim.stats().streams.find((s) => s.streamId === streamId);
  if (!report) throw new Error(`no report for stream ${streamId}`);
  return report;
}

/** Parses a webhook body the simulator sent into the typed event a manager takes. */
export function eventOf(notice: WebhookNotice): WebhookEvent {
  const parsed = parseWebhookEvent(JSON.parse(notice.body.toString('utf8')) as Record<string, unknown>);
  if (!parsed.ok || !parsed.event) throw new Error(`unparsable webhook ${notice.event}`);
  return parsed.event;
}

/** A manager fed with every webhook the simulator sends, and the outcome of each. */
export interface Managed {
  manager: StreamManager;
  outcomes: Array<{ event: string; outcome: ManagerOutcome }>;
  /** Handlings still running; await before asserting on outcomes. */
  pending: Set<Promise<unknown>>;
}

/** Stream options every managed stream needs against the simulator. */
export const MANAGED_DEFAULTS: StreamDefaults = {
  allowLoopback: true,
  timeouts: FAST_TIMEOUTS,
  reconnectPolicy: fastPolicy,
};

export function feedManager(sim: Simulator, manager: StreamManager): Managed {
  const managed: Managed = { manager, outcomes: [], pending: new Set() };
  sim.on('webhook', (notice) => {
    const event = eventOf(notice);
    const handled = manager.handleWebhook(event).then((outcome) => {
      managed.outcomes.push({ event: notice.event, outcome });
    });
    managed.pending.add(handled);
    void handled.finally(() => managed.pending.delete(handled));
  });
  return managed;
}

/** Every simulator and stream a test opened, closed in `cleanup()`. */
export class Harness {
  private readonly sims: Simulator[] = [];
  private readonly streams: RtmsStream[] = [];
  private readonly managers: StreamManager[] = [];

  async sim(options: SimulatorOptions = {}): Promise<Simulator> {
    const sim = await Simulator.start({ ...FAST_SIM, ...options });
    this.sims.push(sim);
    return sim;
  }

  /** A stream for a simulated one, allowed on loopback, with fast timeouts and retries. */
  stream(sim: Simulator, info: SimStreamInfo, overrides: Partial<RtmsStreamOptions> = {}): RtmsStream {
    const stream = new RtmsStream({
      streamId: info.streamId,
      instanceId: info.instanceId,
      product: info.product,
      serverUrls: info.serverUrls,
      credentials: credentialsFor(sim, info.product),
      allowLoopback: true,
      reconnectPolicy: fastPolicy,
      ...overrides,
      timeouts: { ...FAST_TIMEOUTS, ...overrides.timeouts },
    });
    this.streams.push(stream);
    return stream;
  }

  /**
   * A manager fed with every webhook of `sim`; its streams get {@link MANAGED_DEFAULTS} unless `options`
   * says otherwise.
   */
  manager(sim: Simulator, options: Partial<StreamManagerOptions> = {}): Managed {
    const manager = new StreamManager({
      credentials: (product) => credentialsFor(sim, product),
      stream: MANAGED_DEFAULTS,
      ...options,
    });
    this.managers.push(manager);
    return feedManager(sim, manager);
  }

  async cleanup(): Promise<void> {
    await Promise.allSettled(this.managers.splice(0).map((m) => m.close()));
    await Promise.allSettled(this.streams.splice(0).map((s) => s.close({ graceful: false })));
    await Promise.allSettled(this.sims.splice(0).map((s) => s.close()));
  }
}

/** Delivered audio: counts per user and every place a user's timestamps failed to increase. */
export class AudioLog {
  count = 0;
  readonly last = new Map<number, number>();
  readonly outOfOrder: string[] = [];
  readonly frames: AudioFrame[] = [];

  constructor(keepFrames = false) {
    this.keep = keepFrames;
  }

  private readonly keep: boolean;

  readonly onFrame = (frame: AudioFrame): void => {
    this.count++;
    if (this.keep) this.frames.push(frame);
    const previous = this.last.get(frame.userId);
    if (previous !== undefined && frame.timestamp <= previous) {
      this.outOfOrder.push(`user ${frame.userId}: ${frame.timestamp} after ${previous}`);
    }
    this.last.set(frame.userId, frame.timestamp);
  };
}
