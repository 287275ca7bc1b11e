/**
 * The environment the CLI sees: `.env` (if present) under the real environment.
 */
import { join } from 'node:path';
import { readEnvFile } from '../service/config.js';

export function cliEnv(envFile?: string): Record<string, string | undefined> {
  return { ...readEnvFile(envFile ?? join(process.cwd(), '.env')), ...process.env };
}
