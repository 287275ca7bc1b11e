/**
 * The environment the CLI sees: `.env` (or the file `--dotenv` names) under the real environment. Every
 * command reads it the same way, so commands started side by side in one folder agree on credentials.
 */
import { resolve } from 'node:path';
import { Option } from 'commander';
import { isRtmsError } from '../protocol/errors.js';
import { DOTENV_FLAG, readEnvFile, type SettingName, settingOf } from '../service/config.js';
import { CliError } from './util.js';

export type CliEnv = Readonly<Record<string, string | undefined>>;

/** `--dotenv <path>`, worded the same in every command. */
export function dotenvOption(): Option {
  return new Option(`${DOTENV_FLAG} <path>`, 'read settings from this file instead of ./.env');
}

/**
 * `.env` under `process.env`. A file named by `--dotenv` must exist; `./.env` may be absent.
 *
 * @throws CliError naming the path when the named file is missing or unreadable.
 */
export function cliEnv(dotenv?: string): CliEnv {
  const path = resolve(process.cwd(), dotenv ?? '.env');
  try {
    return { ...readEnvFile(path, dotenv === undefined ? {} : { required: DOTENV_FLAG }), ...process.env };
  } catch (err) {
    if (isRtmsError(err)) throw new CliError(err.message);
    throw err;
  }
}

/** The value of a setting by any of its names, read as the service reads it: trimmed, blank is unset. */
export function settingValue(env: CliEnv, name: SettingName): string | undefined {
  for (const variable of settingOf(name).names) {
    const value = env[variable]?.trim();
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}
