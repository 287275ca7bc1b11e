/**
 * Readers for one configuration value each. A bad value is reported as one line naming where it came from
 * (a flag such as `--port`, or a variable such as `RTMSKIT_PORT`), the value as given, and what is allowed:
 * the person reading it must be able to fix it without opening the docs.
 */
import { isIP } from 'node:net';

/** A raw value and where it came from: a flag (`--log-level`) or an environment variable. */
export interface Sourced {
  value: string;
  source: string;
}

/** Problems found so far; every reader appends to it and returns undefined for a bad value. */
export type Problems = string[];

/** Values a yes/no setting accepts, in the order they are listed in messages. */
export const TRUE_WORDS = ['1', 'true', 'yes', 'on'] as const;
export const FALSE_WORDS = ['0', 'false', 'no', 'off'] as const;

function said(input: Sourced): string {
  return `${input.source} ${JSON.stringify(input.value)}`;
}

/** The comma-separated items of a list value, trimmed, empty items dropped. */
export function listItems(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** A whole number in `[min, max]` (digits only: `8080.5`, `1e3`, `0x50` and `""` are refused). */
export function readWholeNumber(
  input: Sourced,
  problems: Problems,
  bounds: { min: number; max?: number },
): number | undefined {
  const n = Number(input.value);
  const ok = /^\d+$/.test(input.value) && n >= bounds.min && (bounds.max === undefined || n <= bounds.max);
  if (ok) return n;
  const range =
    bounds.max === undefined ? `of at least ${bounds.min}` : `from ${bounds.min} to ${bounds.max}`;
  problems.push(`${said(input)} is not a whole number ${range}`);
  return undefined;
}

/** A number of days, 0 or more, decimals allowed (a fraction of a day is useful in tests and trials). */
export function readDays(input: Sourced, problems: Problems): number | undefined {
  if (/^\d+(\.\d+)?$/.test(input.value)) return Number(input.value);
  problems.push(`${said(input)} is not a number of days (0 or more; 0 keeps them forever)`);
  return undefined;
}

/** One of `choices`, exactly as spelled there. */
export function readChoice<T extends string>(
  input: Sourced,
  problems: Problems,
  choices: readonly T[],
): T | undefined {
  if ((choices as readonly string[]).includes(input.value)) return input.value as T;
  problems.push(`${said(input)} is not one of ${choices.join(', ')}`);
  return undefined;
}

/** A comma-separated list of `choices`, at least one, duplicates dropped. */
export function readChoiceList<T extends string>(
  input: Sourced,
  problems: Problems,
  choices: readonly T[],
): T[] | undefined {
  const items = listItems(input.value);
  const bad = items.filter((item) => !(choices as readonly string[]).includes(item));
  if (items.length > 0 && bad.length === 0) return [...new Set(items as T[])];
  const what = bad.length === 0 ? 'names none' : `holds ${bad.map((b) => JSON.stringify(b)).join(', ')}`;
  problems.push(`${said(input)} ${what}: each item must be one of ${choices.join(', ')}`);
  return undefined;
}

/** A comma-separated list whose every item matches `pattern` (`what` says what an item must be). */
export function readPatternList(
  input: Sourced,
  problems: Problems,
  pattern: RegExp,
  what: string,
): string[] | undefined {
  const items = listItems(input.value);
  const bad = items.filter((item) => !pattern.test(item));
  if (items.length > 0 && bad.length === 0) return items;
  const holds = bad.length === 0 ? 'names none' : `holds ${bad.map((b) => JSON.stringify(b)).join(', ')}`;
  problems.push(`${said(input)} ${holds}: each item must be ${what}`);
  return undefined;
}

/** A value that must match `pattern`; `what` says what it must be. */
export function readPattern(
  input: Sourced,
  problems: Problems,
  pattern: RegExp,
  what: string,
): string | undefined {
  if (pattern.test(input.value)) return input.value;
  problems.push(`${said(input)} is not ${what}`);
  return undefined;
}

/** Yes or no, in any of the usual spellings; anything else is a problem rather than a silent "no". */
export function readYesNo(input: Sourced, problems: Problems): boolean | undefined {
  const word = input.value.toLowerCase();
  if ((TRUE_WORDS as readonly string[]).includes(word)) return true;
  if ((FALSE_WORDS as readonly string[]).includes(word)) return false;
  problems.push(`${said(input)} is not one of ${[...TRUE_WORDS, ...FALSE_WORDS].join(', ')}`);
  return undefined;
}

/** Proxy names `proxy-addr` (Fastify's `trustProxy`) knows besides addresses. */
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * RTMSKIT_TRUST_PROXY: `false`, `true`, a hop count, or a list of addresses, CIDR ranges and the names
 * `proxy-addr` knows. Unset is `false`.
 */
export function readTrustProxy(input: Sourced | undefined, problems: Problems): boolean | number | string[] {
  if (input === undefined) return false;
  const { value } = input;
  const lower = value.toLowerCase();
  if (['0', 'false', 'no', 'off'].includes(lower)) return false;
  if (['true', 'yes', 'on'].includes(lower)) return true;
  if (/^[1-9]\d{0,2}$/.test(value)) return Number(value);
  const entries = listItems(value);
  const bad = entries.filter((entry) => {
    if (PROXY_NAMES.has(entry)) return false;
    const [address = '', bits, ...rest] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return true;
    return bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  });
  if (entries.length === 0 || bad.length > 0) {
    const holds = bad.length > 0 && bad.join(',') !== value ? ` holds ${JSON.stringify(bad.join(','))}:` : '';
    problems.push(
      `${input.source} ${JSON.stringify(value)}${holds} is not false, true, a hop count, an address, a CIDR range or one of ${[...PROXY_NAMES].join(', ')}`,
    );
    return false;
  }
  return entries;
}
