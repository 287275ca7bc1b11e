/** An error the CLI prints as one line, without a stack, and exits non-zero. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** The first non-empty value among environment variable names. */
export function envFirst(env: NodeJS.ProcessEnv, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value.length > 0) return value;
  }
  return undefined;
}
