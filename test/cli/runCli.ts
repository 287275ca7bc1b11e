/**
 * Runs the `rtmskit` command from source (`node --import tsx src/cli/main.ts …`) in a chosen folder with
 * a controlled environment: nothing of the test runner's environment leaks in but PATH.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** Resolved here, because the temp folder the command runs in has no node_modules. */
const TSX = import.meta.resolve('tsx');
/** A spawned command that takes longer than this is stuck. */
export const CLI_TIMEOUT_MS = 15_000;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: readonly string[],
  options: { cwd: string; env?: Readonly<Record<string, string>> },
): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', TSX, MAIN, ...args],
      {
        cwd: options.cwd,
        env: { PATH: process.env.PATH ?? '', HOME: options.cwd, ...options.env },
        timeout: CLI_TIMEOUT_MS,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
