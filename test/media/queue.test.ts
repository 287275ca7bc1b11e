/**
 * The bounded queues under the writers: an item pushed at any moment is written before drained()
 * resolves, and a failed queue counts the items it lost (not its control steps) so that writers can
 * take them back out of what they counted as written.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonlWriter } from '../../src/media/JsonlWriter.js';
import { BoundedQueue, FileQueue, MemoryBudget, WRITE_BATCH_BYTES } from '../../src/media/queue.js';
import { TempDirs } from './helpers.js';

const temp = new TempDirs();
afterEach(() => temp.cleanup());

/** Resolves after `n` microtask turns. */
async function hops(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await null;
}

/** A path whose folder cannot be made: a file stands where the folder should be. */
async function unwritablePath(name: string): Promise<string> {
  const base = await temp.make();
  await writeFile(join(base, 'file'), 'x');
  return join(base, 'file', name);
}

describe('BoundedQueue hand-over', () => {
  it('writes an item pushed while the worker loop is ending, whatever the microtask it lands on', async () => {
    // A worker that finishes in microtasks (no I/O) ends its loop within a few turns of the first push:
    // a second push a few turns later lands on every step of that ending, one delay at a time.
    for (let delay = 0; delay <= 12; delay++) {
      const written: string[] = [];
      const queue = new BoundedQueue<string>(
        async (batch) => {
          written.push(...batch);
        },
        { lingerMs: 0 },
      );
      queue.push('first', 1);
      await hops(delay);
      expect(queue.push('second', 1)).toBe(true);
      await queue.drained();
      expect(written, `second push ${delay} microtasks after the first`).toEqual(['first', 'second']);
      expect(queue.queuedBytes).toBe(0);
    }
  });
});

describe('BoundedQueue linger', () => {
  it('gathers the items of the linger into one batch, and drained() does not wait it out', async () => {
    const batches: string[][] = [];
    const queue = new BoundedQueue<string>(
      async (batch) => {
        batches.push(batch);
      },
      { lingerMs: 60_000 },
    );
    for (const item of ['a', 'b', 'c']) queue.push(item, 10);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batches).toEqual([]);
    const started = Date.now();
    await queue.drained();
    expect(batches).toEqual([['a', 'b', 'c']]);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('writes at once when a batch is already large', async () => {
    const batches: number[] = [];
    const queue = new BoundedQueue<Buffer>(
      async (batch) => {
        batches.push(batch.length);
      },
      { lingerMs: 60_000 },
    );
    queue.push(Buffer.alloc(WRITE_BATCH_BYTES), WRITE_BATCH_BYTES);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batches).toEqual([1]);
  });
});

describe('a queue that fails', () => {
  it('counts the data items it lost, not its control steps, and gives back the budget', async () => {
    const budget = new MemoryBudget(10_000);
    const file = new FileQueue(await unwritablePath('a.bin'), 'w', { budget });
    expect(file.write(Buffer.alloc(100))).toBe(true);
    expect(file.control(async () => undefined)).toBe(true);
    expect(file.write(Buffer.alloc(50))).toBe(true);
    await file.flush();
    expect(file.error).toBeDefined();
    expect(file.counters).toEqual({ dropped: 2, droppedBytes: 150, lost: 2, lostBytes: 150 });
    // After the failure, a write is dropped at once: not lost, it was never accepted.
    expect(file.write(Buffer.alloc(10))).toBe(false);
    expect(file.counters).toEqual({ dropped: 3, droppedBytes: 160, lost: 2, lostBytes: 150 });
    expect(budget.usedBytes).toBe(0);
    await file.close();
  });

  it('takes lost lines back out of the lines a JsonlWriter counted', async () => {
    const writer = new JsonlWriter(await unwritablePath('x.jsonl'));
    expect(writer.write({ n: 1 })).toBe(true);
    expect(writer.write({ n: 2 })).toBe(true);
    await expect(writer.close()).rejects.toThrow();
    expect(writer.counters).toEqual({ lines: 0, bytes: 0, dropped: 2, droppedBytes: 16 });
  });
});
