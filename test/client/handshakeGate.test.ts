import { describe, expect, it } from 'vitest';
import { HandshakeLimiter } from '../../src/client/handshakeGate.js';
import { RTMS_ERROR_CODES } from '../../src/protocol/errors.js';

const never = new AbortController().signal;

/** Lets pending promise callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

describe('HandshakeLimiter', () => {
  it('hands out `limit` slots at once, then serves waiters first come, first served', async () => {
    const gate = new HandshakeLimiter(2);
    const a = await gate.acquire(never);
    const b = await gate.acquire(never);
    const order: string[] = [];
    const take = (name: string) =>
      gate.acquire(never).then((release) => {
        order.push(name);
        return release;
      });
    const c = take('c');
    const d = take('d');
    await settle();
    expect([gate.inUse, gate.queued, order]).toEqual([2, 2, []]);
    b();
    await settle();
    expect([gate.inUse, gate.queued, order]).toEqual([2, 1, ['c']]);
    a();
    await settle();
    expect(order).toEqual(['c', 'd']);
    (await c)();
    (await d)();
    expect([gate.inUse, gate.queued]).toEqual([0, 0]);
  });

  it('a release counts once, however often it is called', async () => {
    const gate = new HandshakeLimiter(1);
    const release = await gate.acquire(never);
    const next = gate.acquire(never);
    release();
    release();
    const second = await next;
    expect(gate.inUse).toBe(1);
    second();
    second();
    expect(gate.inUse).toBe(0);
  });

  it('an aborted waiter leaves the queue with ABORTED and never gets a slot', async () => {
    const gate = new HandshakeLimiter(1);
    const release = await gate.acquire(never);
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal);
    const after = gate.acquire(never);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: RTMS_ERROR_CODES.ABORTED });
    expect(gate.queued).toBe(1);
    release();
    (await after)();
    expect([gate.inUse, gate.queued]).toEqual([0, 0]);
  });

  it('refuses at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(new HandshakeLimiter(3).acquire(controller.signal)).rejects.toMatchObject({
      code: RTMS_ERROR_CODES.ABORTED,
    });
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a limit of %s with INVALID_OPTIONS', (limit) => {
    expect(() => new HandshakeLimiter(limit)).toThrow(
      expect.objectContaining({ code: RTMS_ERROR_CODES.INVALID_OPTIONS }),
    );
  });
});
