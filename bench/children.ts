/**
 * Child processes of the benchmarks: starting a bench/ script under tsx (pinned to cores when asked),
 * waiting for its IPC answers, and stopping it.
 */
import { type ChildProcess, execFileSync, fork, type StdioOptions, spawn } from 'node:child_process';
import { availableParallelism, setPriority } from 'node:os';

/** Cores of the machine. */
export const CORES = availableParallelism();
/** The core a measured consumer is pinned to; simulator processes use what it leaves. */
export const CONSUMER_CORE = 0;
/** Simulator processes run at the lowest priority, so they never take the consumer's core from it. */
export const SIM_NICE = 19;

/** True when `taskset` can pin processes here (and there is more than one core to pin away from). */
export const CAN_PIN: boolean = (() => {
  if (CORES < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export interface BenchChildOptions {
  /** `taskset` core list the child and all its threads run on from its first instruction, e.g. `0`. */
  cores?: string;
  /** Nice value (19: lowest priority). */
  nice?: number;
  /** Extra Node flags, e.g. `--expose-gc`. */
  nodeArgs?: readonly string[];
  /** The child's stdout: shown (`inherit`, default), read by the caller (`pipe`) or dropped. */
  stdout?: 'inherit' | 'pipe' | 'ignore';
}

/** Starts `bench/<script>` in its own Node process with an IPC channel. */
export function startChild(script: string, options: BenchChildOptions = {}): ChildProcess {
  const path = new URL(script, import.meta.url).pathname;
  const execArgv = ['--import', 'tsx', ...(options.nodeArgs ?? [])];
  const stdio: StdioOptions = ['ignore', options.stdout ?? 'inherit', 'inherit', 'ipc'];
  // Through taskset, so the threads Node starts before any script runs (GC, compiler) are pinned too.
  const child =
    options.cores !== undefined && CAN_PIN
      ? spawn('taskset', ['-c', options.cores, process.execPath, ...execArgv, path], { stdio })
      : fork(path, [], { execArgv, stdio });
  if (options.nice !== undefined && child.pid !== undefined) setPriority(child.pid, options.nice);
  return child;
}

/** Resolves with the child's next IPC message of `type`; rejects if it exits or `timeoutMs` passes first. */
export function nextMessage<T extends { type: string }>(
  child: ChildProcess,
  type: T['type'],
  timeoutMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no '${type}' from child ${child.pid} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (msg: { type?: string }) => {
      if (msg?.type !== type) return;
      cleanup();
      resolve(msg as T);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      reject(new Error(`child ${child.pid} exited (${signal ?? code}) before sending '${type}'`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Time a child is given to exit by itself (writing a `--cpu-prof` profile, say) before it is killed. */
const STOP_GRACE_MS = 3_000;

/**
 * Asks the child to exit (`{ type: 'stop' }`: it calls `process.exit`), kills it (SIGKILL) if it has not
 * within `STOP_GRACE_MS`, and resolves once it has exited.
 */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), child.connected ? STOP_GRACE_MS : 0);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.send({ type: 'stop' });
  });
}
