/**
 * Which URLs a stream may connect to, and which media URL serves which kind.
 */
import type { MediaKind } from '../protocol/enums.js';
import { RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';
import { ALL_MEDIA_URL_KEY, MEDIA_URL_KEY_SPELLINGS } from '../protocol/mediaUrls.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);

function hostMatches(host: string, pattern: string): boolean {
  const p = pattern.toLowerCase();
  if (p.startsWith('*.')) return host.endsWith(p.slice(1)) && host.length > p.length - 1;
  return host === p;
}

/**
 * Refuses a URL that is not `ws(s)://` on an allowed host: a forged webhook must never make rtmskit
 * connect (and send a signature) elsewhere.
 */
export function checkServerUrl(url: string, allowedHosts: readonly string[], allowLoopback: boolean): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RtmsError(
      RTMS_ERROR_CODES.SERVER_URL_NOT_ALLOWED,
      `server URL ${JSON.stringify(url)} is not a URL`,
      {
        fix: 'server_urls must come unchanged from Zoom’s webhook',
      },
    );
  }
  if (parsed.protocol !== 'wss:' && parsed.protocol !== 'ws:') {
    throw new RtmsError(RTMS_ERROR_CODES.SERVER_URL_NOT_ALLOWED, `server URL ${url} is not a WebSocket URL`, {
      fix: 'server_urls must be ws:// or wss:// URLs',
    });
  }
  const host = parsed.hostname.toLowerCase();
  const loopback = LOOPBACK_HOSTS.has(host);
  if ((loopback && allowLoopback) || allowedHosts.some((p) => hostMatches(host, p))) return parsed;
  throw new RtmsError(RTMS_ERROR_CODES.SERVER_URL_NOT_ALLOWED, `server host ${host} is not allowed`, {
    fix: loopback
      ? 'enable allowLoopback (RTMSKIT_ALLOW_LOOPBACK=1) to connect to a local simulator'
      : `add it to allowedHosts (RTMSKIT_ALLOWED_HOSTS) only if it is really Zoom’s; allowed: ${allowedHosts.join(', ')}`,
  });
}

/** Keys tried, in order, for each kind's media URL in `media_server.server_urls`. */
export const MEDIA_URL_KEYS = MEDIA_URL_KEY_SPELLINGS;

/** The media URL for a kind, or `undefined` when the server offers none. */
export function mediaUrlFor(
  kind: MediaKind | 'all',
  urls: Readonly<Record<string, string>>,
): string | undefined {
  const keys = kind === 'all' ? [ALL_MEDIA_URL_KEY] : MEDIA_URL_KEYS[kind];
  for (const key of keys) {
    const url = urls[key];
    if (typeof url === 'string' && url.length > 0) return url;
  }
  return undefined;
}
