/**
 * Teardown of one test file: functions run in reverse order after each test, and temporary folders.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class Cleanups {
  private readonly pending: (() => Promise<unknown> | unknown)[] = [];

  add(cleanup: () => Promise<unknown> | unknown): void {
    this.pending.push(cleanup);
  }

  /** Runs every cleanup added since the last run, the latest first. */
  async run(): Promise<void> {
    for (const cleanup of this.pending.splice(0).reverse()) await cleanup();
  }

  /** A new temporary folder, removed at the next {@link run}. */
  async tempDir(prefix: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.add(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }
}
