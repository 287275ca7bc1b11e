/**
 * The fleet's metrics: which instance this is, the leases it holds, the streams it took over, the
 * events routed to and from it, and the leases it lost. Read from the fleet member at scrape time.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { FleetCounters, LossCause } from '../fleet/FleetMember.js';

/** What the metrics read from the fleet member. */
export interface FleetSource {
  leasesHeld: number;
  counters: FleetCounters;
}

const LOSS_CAUSES: readonly LossCause[] = ['taken', 'unrenewed'];

/** Registers the fleet metrics; `fleet` is absent on a single instance (no Redis store). */
export function registerFleetMetrics(
  registry: Registry,
  instanceId: string,
  fleet: FleetSource | undefined,
): void {
  new Gauge({
    name: 'rtmskit_instance_info',
    help: 'This instance (RTMSKIT_INSTANCE_ID) and whether it is part of a fleet on Redis',
    labelNames: ['instance', 'fleet'],
    registers: [registry],
    collect() {
      this.set({ instance: instanceId, fleet: fleet === undefined ? 'no' : 'yes' }, 1);
    },
  });
  if (fleet === undefined) return;
  new Gauge({
    name: 'rtmskit_fleet_leases_held',
    help: 'Streams whose lease this instance holds (their connections are here)',
    registers: [registry],
    collect() {
      this.set(fleet.leasesHeld);
    },
  });
  // Counters only go up: each scrape adds what grew since the last one.
  const reported = { takeovers: 0, routedOut: 0, routedIn: 0, taken: 0, unrenewed: 0 };
  const grow = (
    counter: Counter<string>,
    key: keyof typeof reported,
    now: number,
    labels?: Record<string, string>,
  ) => {
    const delta = now - reported[key];
    if (delta > 0) {
      if (labels) counter.inc(labels, delta);
      else counter.inc(delta);
    }
    reported[key] = Math.max(reported[key], now);
  };
  new Counter({
    name: 'rtmskit_fleet_takeovers_total',
    help: 'Streams this instance took over because nobody held them (their owner died or let go)',
    registers: [registry],
    collect() {
      grow(this, 'takeovers', fleet.counters.takeovers);
    },
  });
  new Counter({
    name: 'rtmskit_fleet_routed_events_total',
    help: 'Webhook events routed to the instance holding their stream (out) and received so (in)',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      grow(this, 'routedOut', fleet.counters.routedOut, { direction: 'out' });
      grow(this, 'routedIn', fleet.counters.routedIn, { direction: 'in' });
    },
  });
  new Counter({
    name: 'rtmskit_fleet_lease_losses_total',
    help: 'Streams closed here because their lease was lost: taken by another instance, or not renewed in time',
    labelNames: ['cause'],
    registers: [registry],
    collect() {
      for (const cause of LOSS_CAUSES) grow(this, cause, fleet.counters.lost[cause], { cause });
    },
  });
}
