/** Server-to-Server OAuth (reference §6.2): the token endpoint, and the tokens it has issued. */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ACCOUNT_CREDENTIALS_GRANT,
  OAUTH_TOKEN_PATH as TOKEN_PATH,
  OAUTH_TOKEN_TTL_SEC as TOKEN_TTL_SEC,
} from '../protocol/oauth.js';
import { basicCredentials, header, REST_BODY_CAP_BYTES, readBody, safeEqual, sendJson } from './restHttp.js';

/**
 * Issued tokens are remembered so that an old one is reported as expired rather than unknown; past this
 * many, the oldest expired ones are forgotten so a long simulation cannot grow without bound.
 */
export const MAX_TRACKED_TOKENS = 10_000;

/** Scopes granted to every token, space-separated as Zoom sends them. */
export const TOKEN_SCOPE = [
  'meeting:update:participant_rtms_app_status:admin',
  'rtms:read:rtms_started:admin',
  'rtms:read:rtms_stopped:admin',
  'rtms:read:rtms_interrupted:admin',
].join(' ');

/** The Server-to-Server OAuth app that calls the REST API. */
export interface RestCredentials {
  accountId: string;
  clientId: string;
  clientSecret: string;
}

/** Access tokens and when each expires, epoch ms of an injected clock. */
export class TokenStore {
  private readonly ttlMs: number;
  private readonly now: () => number;
  /** Insertion order is issue order. */
  private readonly expiries = new Map<string, number>();
  private count = 0;

  constructor(ttlMs: number, now: () => number) {
    this.ttlMs = ttlMs;
    this.now = now;
  }

  /** How many tokens have been issued. */
  get issued(): number {
    return this.count;
  }

  issue(): string {
    if (this.expiries.size >= MAX_TRACKED_TOKENS) this.forgetOld();
    const token = randomBytes(32).toString('base64url');
    this.expiries.set(token, this.now() + this.ttlMs);
    this.count++;
    return token;
  }

  /** When `token` expires; undefined for a token never issued (or long forgotten). */
  expiresAt(token: string): number | undefined {
    return this.expiries.get(token);
  }

  /** Makes every token issued so far expired. */
  expireAll(): void {
    const now = this.now();
    for (const token of this.expiries.keys()) this.expiries.set(token, now);
  }

  private forgetOld(): void {
    const now = this.now();
    for (const [token, expiresAt] of this.expiries) {
      if (expiresAt <= now) this.expiries.delete(token);
    }
    // Every token still valid: drop the oldest, which expires first.
    while (this.expiries.size >= MAX_TRACKED_TOKENS) {
      const oldest = this.expiries.keys().next();
      if (oldest.done) break;
      this.expiries.delete(oldest.value);
    }
  }
}

/** `POST /oauth/token?grant_type=account_credentials&account_id=…` with Basic client credentials. */
export async function answerTokenRequest(
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  credentials: RestCredentials,
  tokens: TokenStore,
): Promise<void> {
  const read = await readBody(req, REST_BODY_CAP_BYTES);
  if (read.kind === 'aborted') return;
  if (read.kind === 'too-large') {
    sendJson(res, 413, { reason: 'Request body too large', error: 'invalid_request' });
    return;
  }
  const given = basicCredentials(req.headers);
  if (
    given === undefined ||
    !safeEqual(given.id, credentials.clientId) ||
    !safeEqual(given.secret, credentials.clientSecret)
  ) {
    sendJson(res, 401, { reason: 'Invalid client_id or client_secret', error: 'invalid_client' });
    return;
  }
  // Zoom accepts the parameters in the query or form-encoded in the body; the query wins.
  const contentType = header(req.headers, 'content-type') ?? '';
  const form = /^application\/x-www-form-urlencoded\b/i.test(contentType)
    ? new URLSearchParams(read.body.toString('utf8'))
    : new URLSearchParams();
  const param = (name: string): string | null => query.get(name) ?? form.get(name);
  if (param('grant_type') !== ACCOUNT_CREDENTIALS_GRANT) {
    sendJson(res, 400, { reason: 'Unsupported grant type', error: 'unsupported_grant_type' });
    return;
  }
  if (param('account_id') !== credentials.accountId) {
    sendJson(res, 400, { reason: 'Invalid account_id', error: 'invalid_request' });
    return;
  }
  const accessToken = tokens.issue();
  const scheme = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const host = header(req.headers, 'host') ?? `${req.socket.localAddress}:${req.socket.localPort}`;
  sendJson(
    res,
    200,
    {
      access_token: accessToken,
      token_type: 'bearer',
      expires_in: TOKEN_TTL_SEC,
      scope: TOKEN_SCOPE,
      api_url: `${scheme}://${host}`,
    },
    { 'cache-control': 'no-store' },
  );
}

export { ACCOUNT_CREDENTIALS_GRANT, TOKEN_PATH, TOKEN_TTL_SEC };
