/**
 * Webhook events that found the store unreachable wait and are acted on, in order, once it answers;
 * past their deadline, or at shutdown, they are given up with the reason.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RTMS_ERROR_CODES, RtmsError } from '../../src/protocol/errors.js';
import { PENDING_MAX_AGE_MS, PENDING_RETRY_MS, PendingWebhooks } from '../../src/service/pendingWebhooks.js';
import type { WebhookEvent } from '../../src/webhook/events.js';

afterEach(() => {
  vi.useRealTimers();
});

function event(n: number): WebhookEvent {
  return {
    kind: 'interrupted',
    event: 'meeting.rtms_interrupted',
    product: 'meeting',
    instanceId: 'm',
    instanceKey: 'meeting_uuid',
    streamId: `s${n}`,
    eventTs: n,
    deliveryKey: `d${n}`,
    payload: {},
  } as WebhookEvent;
}

const unreachable = () => new RtmsError(RTMS_ERROR_CODES.STORE_UNREACHABLE, 'Redis is away');

describe('PendingWebhooks', () => {
  it('acts on waiting events in arrival order once the store answers', async () => {
    vi.useFakeTimers();
    let storeUp = false;
    const acted: string[] = [];
    const gaveUp: string[] = [];
    const pending = new PendingWebhooks({
      act: async (e) => {
        if (!storeUp) throw unreachable();
        acted.push(e.deliveryKey);
      },
      gaveUp: (e, why) => gaveUp.push(`${e.deliveryKey}: ${why}`),
    });
    for (const n of [1, 2, 3]) pending.add(event(n));
    await vi.advanceTimersByTimeAsync(PENDING_RETRY_MS * 3);
    expect(acted).toEqual([]);
    expect(pending.size).toBe(3);
    storeUp = true;
    await vi.advanceTimersByTimeAsync(PENDING_RETRY_MS);
    expect(acted).toEqual(['d1', 'd2', 'd3']);
    expect(pending.size).toBe(0);
    expect(gaveUp).toEqual([]);
  });

  it('gives an event up past its deadline, and at once for an error other than the store being away', async () => {
    vi.useFakeTimers();
    let clock = 0;
    const gaveUp: string[] = [];
    const pending = new PendingWebhooks({
      act: async (e) => {
        if (e.deliveryKey === 'd2') throw new Error('bad event');
        throw unreachable();
      },
      gaveUp: (e, why) => gaveUp.push(`${e.deliveryKey}: ${why}`),
      now: () => clock,
    });
    pending.add(event(1));
    clock = PENDING_MAX_AGE_MS + 1;
    pending.add(event(2));
    await vi.advanceTimersByTimeAsync(PENDING_RETRY_MS);
    expect(gaveUp).toEqual(['d1: the store was unreachable for 5 min', 'd2: bad event']);
    expect(pending.size).toBe(0);
  });

  it('gives up what still waits when the service stops', () => {
    const gaveUp: string[] = [];
    const pending = new PendingWebhooks({
      act: async () => {
        throw unreachable();
      },
      gaveUp: (e, why) => gaveUp.push(`${e.deliveryKey}: ${why}`),
    });
    pending.add(event(7));
    pending.close();
    expect(gaveUp).toEqual(['d7: the service stopped']);
  });
});
