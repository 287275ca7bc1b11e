/**
 * The manager's side of a fleet, with an in-memory stand-in for the leases: a stream held by another
 * manager is routed there (and acted on there once), a stream whose holder changed is closed here as
 * `released` and never reconnected, and a stream that ends gives its lease up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Ownership } from '../../src/manager/ownership.js';
import { type RemovedEvent, StreamManager } from '../../src/manager/StreamManager.js';
import type { Simulator, WebhookNotice } from '../../src/simulator/index.js';
import type { WebhookEvent } from '../../src/webhook/events.js';
import { credentialsFor, eventOf, Harness, MANAGED_DEFAULTS, waitUntil } from '../client/harness.js';

const harness = new Harness();
const managers: StreamManager[] = [];
afterEach(async () => {
  await Promise.allSettled(managers.splice(0).map((m) => m.close()));
  await harness.cleanup();
});

const LONG_MS = 600_000;

/** Leases in a map, and an inbox per instance that calls its manager. */
class Leases {
  readonly holder = new Map<string, string>();
  readonly inboxes = new Map<string, StreamManager>();
  readonly released: string[] = [];
  readonly gone: string[] = [];
  readonly routed: { to: string; event: string }[] = [];

  member(instanceId: string): Ownership {
    return {
      instanceId,
      acquire: async (streamId) => {
        const current = this.holder.get(streamId);
        if (current !== undefined && current !== instanceId) return { held: false, owner: current };
        this.holder.set(streamId, instanceId);
        return { held: true };
      },
      confirm: async (streamId) => this.holder.get(streamId) === instanceId,
      release: async (streamId) => {
        if (this.holder.get(streamId) !== instanceId) return;
        this.holder.delete(streamId);
        this.released.push(streamId);
      },
      ownerOf: async (streamId) => this.holder.get(streamId),
      route: async (owner, event) => {
        this.routed.push({ to: owner, event: event.event });
        await this.inboxes.get(owner)?.handleRouted(event);
      },
      connectionGone: async (streamId) => {
        this.gone.push(streamId);
      },
    };
  }
}

function fleetOfTwo(sim: Simulator) {
  const leases = new Leases();
  const make = (id: string) => {
    const manager = new StreamManager({
      credentials: (product) => credentialsFor(sim, product),
      stream: MANAGED_DEFAULTS,
      ownership: leases.member(id),
    });
    managers.push(manager);
    leases.inboxes.set(id, manager);
    return manager;
  };
  const notices: WebhookNotice[] = [];
  sim.on('webhook', (notice) => notices.push(notice));
  return { leases, a: make('a'), b: make('b'), notices };
}

function lifecycle(notices: WebhookNotice[], kind: string, streamId: string): WebhookEvent[] {
  return notices.filter((n) => n.event.endsWith(`_${kind}`) && n.streamId === streamId).map(eventOf);
}

describe('a manager in a fleet', () => {
  it('routes a failover for a stream held elsewhere to its holder, which moves it', async () => {
    const sim = await harness.sim();
    const { a, b, leases, notices } = fleetOfTwo(sim);
    const info = sim.startStream({ participants: 2, durationMs: LONG_MS });
    await waitUntil(() => notices.some((n) => n.streamId === info.streamId), 5_000, 'started webhook');
    const [started] = lifecycle(notices, 'started', info.streamId);
    expect(await a.handleWebhook(started as WebhookEvent)).toBe('connecting');
    await waitUntil(() => a.get(info.streamId)?.status === 'ready', 5_000, 'ready on a');

    sim.fault(info.streamId, 'failover');
    await waitUntil(
      () => lifecycle(notices, 'started', info.streamId).length === 2,
      5_000,
      'failover webhook',
    );
    const failover = lifecycle(notices, 'started', info.streamId)[1] as WebhookEvent;
    // The failover lands on b: b does not open the stream, it hands the event to a.
    expect(await b.handleWebhook(failover)).toBe('routed');
    expect(b.get(info.streamId)).toBeUndefined();
    expect(leases.routed).toEqual([{ to: 'a', event: failover.event }]);
    await waitUntil(() => a.get(info.streamId)?.status === 'ready', 5_000, 'ready again on a');
    expect(a.get(info.streamId)?.signalingUrls).toEqual((failover as { serverUrls: string[] }).serverUrls);
    // The same delivery again, wherever it lands, is a duplicate (the ledger is each manager's own here).
    expect(await b.handleWebhook(failover)).toBe('duplicate');
  });

  it('notes an interruption of a stream held elsewhere and routes it; a stream nobody holds is left alone', async () => {
    const sim = await harness.sim();
    const { a, b, leases, notices } = fleetOfTwo(sim);
    const info = sim.startStream({ participants: 2, durationMs: LONG_MS });
    await waitUntil(() => notices.some((n) => n.streamId === info.streamId), 5_000, 'started webhook');
    await a.handleWebhook(lifecycle(notices, 'started', info.streamId)[0] as WebhookEvent);
    await waitUntil(() => a.get(info.streamId)?.status === 'ready', 5_000, 'ready on a');
    sim.fault(info.streamId, 'drop-signaling');
    await waitUntil(
      () => lifecycle(notices, 'interrupted', info.streamId).length === 1,
      5_000,
      'interrupted',
    );
    expect(await b.handleWebhook(lifecycle(notices, 'interrupted', info.streamId)[0] as WebhookEvent)).toBe(
      'routed',
    );
    expect(leases.gone).toEqual([info.streamId]);
    expect(b.size).toBe(0);
  });

  it('closes a stream whose lease moved on as released, and never connects it again', async () => {
    const sim = await harness.sim();
    const { a, leases, notices } = fleetOfTwo(sim);
    const removed: RemovedEvent[] = [];
    a.on('streamRemoved', (_ref, event) => removed.push(event));
    const info = sim.startStream({ participants: 2, durationMs: LONG_MS });
    await waitUntil(() => notices.some((n) => n.streamId === info.streamId), 5_000, 'started webhook');
    await a.handleWebhook(lifecycle(notices, 'started', info.streamId)[0] as WebhookEvent);
    await waitUntil(() => a.get(info.streamId)?.status === 'ready', 5_000, 'ready on a');

    // Another instance holds it now; a's connection drops and a tries to reconnect: the gate says no.
    leases.holder.set(info.streamId, 'c');
    sim.fault(info.streamId, 'drop-signaling');
    await waitUntil(() => removed.length === 1, 5_000, 'the stream to leave a');
    expect(removed[0]?.reason).toBe('released');
    expect(a.get(info.streamId)).toBeUndefined();
    const accepted = sim.stats().streams.find((s) => s.streamId === info.streamId)?.handshakes.signaling.ok;
    expect(accepted).toBe(1);
    // A released stream's lease is not a's to give up.
    expect(leases.released).toEqual([]);
    expect(leases.holder.get(info.streamId)).toBe('c');
  });

  it('gives the lease up when the stream ends', async () => {
    const sim = await harness.sim();
    const { a, leases, notices } = fleetOfTwo(sim);
    const info = sim.startStream({ participants: 2, durationMs: LONG_MS });
    await waitUntil(() => notices.some((n) => n.streamId === info.streamId), 5_000, 'started webhook');
    await a.handleWebhook(lifecycle(notices, 'started', info.streamId)[0] as WebhookEvent);
    await waitUntil(() => a.get(info.streamId)?.status === 'ready', 5_000, 'ready on a');
    sim.stopStream(info.streamId);
    await waitUntil(() => a.size === 0, 5_000, 'the stream to end');
    await waitUntil(() => leases.released.length === 1, 2_000, 'the lease to be given up');
    expect(leases.holder.has(info.streamId)).toBe(false);
  });
});
