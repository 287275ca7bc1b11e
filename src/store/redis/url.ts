/**
 * Reads a `redis://` or `rediss://` store URL into connection settings, and the form of it that may be
 * shown (no password). Every malformed URL is a `CONFIG_INVALID` that never repeats the password.
 */
import { RTMS_ERROR_CODES, RtmsError } from '../../protocol/errors.js';

/** Redis's own default port. */
export const REDIS_DEFAULT_PORT = 6379;

/** Databases are numbered from 0; Redis's default configuration has 16, a server may have more. */
const DB_PATTERN = /^\d{1,9}$/;

/** Where and how to connect, as a store URL (and options) say. */
export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  /** `rediss://`: TLS, with the host name checked against the server's certificate. */
  tls: boolean;
  username?: string;
  password?: string;
  /** The URL without its password, for logs, errors and `doctor`. */
  location: string;
}

/**
 * Parses `redis://[user:password@]host[:port][/db]` (or `rediss://…`). The URL's password wins over
 * `fallbackPassword` (the `redisPassword` option) when both are given.
 *
 * @throws RtmsError `CONFIG_INVALID` for another scheme, no host, a bad port, a db that is not a
 * number, or a query string or fragment.
 */
export function parseRedisUrl(url: string, fallbackPassword?: string): RedisTarget {
  const shown = redactUrl(url);
  const invalid = (problem: string, fix: string) =>
    new RtmsError(RTMS_ERROR_CODES.CONFIG_INVALID, `store URL ${shown}: ${problem}`, { fix });
  const form = 'use redis://[user:password@]host:port[/db] or rediss://… for TLS';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('not a valid URL (is the port a number from 1 to 65535?)', form);
  }
  const scheme = parsed.protocol.slice(0, -1).toLowerCase();
  if (scheme !== 'redis' && scheme !== 'rediss') throw invalid(`"${scheme}:" is not a Redis scheme`, form);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw invalid('names no host', form);
  const port = parsed.port === '' ? REDIS_DEFAULT_PORT : Number(parsed.port);
  if (port === 0) throw invalid('port 0 is not a port Redis listens on', form);
  if (parsed.search !== '' || parsed.hash !== '') {
    throw invalid(
      'query strings and fragments are not read',
      'put the database number in the path (redis://host:6379/2) and the password in the URL or RTMSKIT_REDIS_PASSWORD',
    );
  }
  const dbText = parsed.pathname.replace(/^\//, '');
  if (dbText !== '' && !DB_PATTERN.test(dbText)) {
    throw invalid(
      `database "${dbText}" is not a number`,
      'end the URL with /<db number>, e.g. /0, or nothing',
    );
  }
  const db = dbText === '' ? 0 : Number(dbText);
  const username = decode(parsed.username);
  const password = decode(parsed.password) || fallbackPassword || '';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const target: RedisTarget = {
    host,
    port,
    db,
    tls: scheme === 'rediss',
    location: `${scheme}://${username === '' ? '' : `${encodeURIComponent(username)}@`}${hostPart}:${port}/${db}`,
  };
  if (username !== '') target.username = username;
  if (password !== '') target.password = password;
  return target;
}

/**
 * A URL as it may be shown: everything from `//` to the last `@` (user and password) becomes `***`, so
 * a password with a stray `/` or `@` in it is hidden too.
 */
export function redactUrl(url: string): string {
  return url.replace(/\/\/.*@/s, '//***@');
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
