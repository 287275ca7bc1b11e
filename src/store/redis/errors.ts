/**
 * What a failed Redis call means for a caller: one `STORE_UNREACHABLE` error that names the store by its
 * shown URL, says why in plain words, and never carries the password (ioredis keeps a command's
 * arguments on its errors, AUTH's among them, so the raw error is never attached as the cause).
 */
import { RTMS_ERROR_CODES, RtmsError } from '../../protocol/errors.js';

/** Replies that mean the password or user is wrong, not that Redis is away. */
const AUTH_REPLY = /^(NOAUTH|WRONGPASS|NOPERM)\b/;

/** What the store knows about its connection when a call fails. */
export interface ConnectionFacts {
  /** The URL without its password. */
  location: string;
  /** ioredis's connection status (`ready`, `connecting`, `reconnecting`…). */
  status: string;
  /** The latest connection error ioredis reported, if any. */
  lastError: Error | undefined;
  /** Scrubbed out of every message, should a server or library ever repeat it. */
  password: string | undefined;
  commandTimeoutMs: number;
}

/** `err` (from ioredis) as the `STORE_UNREACHABLE` a caller gets. */
export function unreachable(err: unknown, facts: ConnectionFacts): RtmsError {
  const message = err instanceof Error ? err.message : String(err);
  const detail = describe(message, facts);
  const scrub = (text: string) =>
    facts.password === undefined ? text : text.split(facts.password).join('***');
  const auth = AUTH_REPLY.test(message) || AUTH_REPLY.test(facts.lastError?.message ?? '');
  const recovers = facts.status === 'opening' ? '' : '; the store reconnects by itself';
  const fix = auth
    ? `check the user and password (in the store URL or RTMSKIT_REDIS_PASSWORD) for ${facts.location}`
    : `start Redis at ${facts.location} or correct RTMSKIT_STORE_URL${recovers}`;
  const cause = new Error(scrub(message));
  return new RtmsError(RTMS_ERROR_CODES.STORE_UNREACHABLE, scrub(`Redis store ${facts.location} ${detail}`), {
    fix: scrub(fix),
    cause,
  });
}

/** Opening failed: Redis could not be reached (or refused us) before the store was handed out. */
export function openFailed(err: unknown, facts: ConnectionFacts): RtmsError {
  const reason = facts.lastError?.message ?? (err instanceof Error ? err.message : String(err));
  return unreachable(new Error(reason), { ...facts, status: 'opening', lastError: undefined });
}

function describe(message: string, facts: ConnectionFacts): string {
  const why = facts.lastError === undefined ? '' : ` (${facts.lastError.message})`;
  if (message.startsWith("Stream isn't writeable") || message === 'Connection is closed.') {
    return `is not connected${why}; reconnecting in the background`;
  }
  if (message.startsWith('Reached the max retries per request') || message.startsWith('Command aborted')) {
    return `lost its connection during the call${why}; reconnecting in the background`;
  }
  if (message === 'Command timed out') return `did not answer within ${facts.commandTimeoutMs} ms`;
  if (facts.status === 'opening') return `cannot be reached: ${message}`;
  if (facts.status !== 'ready') return `is not connected: ${message}${why}`;
  return `answered with an error: ${message}`;
}
