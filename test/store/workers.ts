/**
 * Starts `claimWorker.ts` in its own Node process (through tsx): the other processes of the
 * cross-process claim races, for any store URL.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ClaimWorker {
  child: ChildProcessWithoutNullStreams;
  /** The worker opened its store and waits for `go` on stdin. */
  ready: Promise<void>;
  /** The indexes of the keys it won. */
  result: Promise<number[]>;
}

const WORKER_SCRIPT = fileURLToPath(new URL('./claimWorker.ts', import.meta.url));

/** Starts a worker claiming `<keyPrefix>key-0` … on the store `storeUrl` names, and reads its two lines. */
export function startClaimWorker(storeUrl: string, keyCount: number, keyPrefix = ''): ClaimWorker {
  const args = ['--import', 'tsx', WORKER_SCRIPT, storeUrl, String(keyCount), keyPrefix];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const closed = once(child, 'close');
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const next = await lines.next();
    if (next.done) {
      await closed;
      throw new Error(`claim worker ended early: ${stderr}`);
    }
    return next.value;
  };
  const ready = nextLine().then((line) => {
    if (line !== 'ready') throw new Error(`claim worker said ${line}: ${stderr}`);
  });
  const result = ready.then(async () => JSON.parse(await nextLine()) as number[]);
  // Awaited by the test; this keeps an early failure from also surfacing as an unhandled rejection.
  result.catch(() => {});
  return { child, ready, result };
}

/** Starts `count` workers on one store, lets them race, and resolves every index won, sorted. */
export async function raceClaimWorkers(
  storeUrl: string,
  count: number,
  keyCount: number,
  keyPrefix = '',
): Promise<number[]> {
  const workers = Array.from({ length: count }, () => startClaimWorker(storeUrl, keyCount, keyPrefix));
  try {
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.stdin.write('go\n');
    const won = await Promise.all(workers.map((w) => w.result));
    return won.flat().sort((x, y) => x - y);
  } finally {
    for (const w of workers) w.child.kill();
  }
}
