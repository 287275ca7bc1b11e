/**
 * The Zoom REST surface an RTMS app uses, without a framework: the Server-to-Server OAuth token endpoint
 * and `PATCH /v2/live_meetings/{meetingId}/rtms_app/status` (reference §6). Mount it in any
 * `node:http` server: `if (!api.handle(req, res)) notFound(res)`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { RtmsError } from '../protocol/errors.js';
import { checkTimeScale } from './timeScale.js';

/** Access-token lifetime as Zoom states it in `expires_in`, seconds; really divided by `timeScale`. */
export const TOKEN_TTL_SEC = 3600;

/** Request bodies of these endpoints are a few hundred bytes; larger ones get 413. */
export const REST_BODY_CAP_BYTES = 64 * 1024;

/**
 * Issued tokens are remembered so that an old one is reported as expired rather than unknown; past this
 * many, the oldest expired ones are forgotten so a long simulation cannot grow without bound.
 */
export const MAX_TRACKED_TOKENS = 10_000;

/** The path of the OAuth token endpoint. */
export const TOKEN_PATH = '/oauth/token';

/** The only grant a Server-to-Server app uses. */
export const ACCOUNT_CREDENTIALS_GRANT = 'account_credentials';

/** Scopes granted to every token, space-separated as Zoom sends them. */
export const TOKEN_SCOPE = [
  'meeting:update:participant_rtms_app_status:admin',
  'rtms:read:rtms_started:admin',
  'rtms:read:rtms_stopped:admin',
  'rtms:read:rtms_interrupted:admin',
].join(' ');

/** `/v2/live_meetings/{meetingId}/rtms_app/status`, with the meeting id still percent-encoded. */
const RTMS_STATUS_PATH = /^\/v2\/live_meetings\/([^/]+)\/rtms_app\/status$/;

/** Zoom's API error codes used here ([ERR], [TS]). */
const API_CODE = {
  INVALID_TOKEN: 124,
  VALIDATION: 300,
  RTMS_OPERATION_FAILED: 2310,
} as const;

/** The Server-to-Server OAuth app that calls the REST API. */
export interface RestCredentials {
  accountId: string;
  clientId: string;
  clientSecret: string;
}

export type RtmsAction = 'start' | 'stop' | 'pause' | 'resume';

const RTMS_ACTIONS: readonly RtmsAction[] = ['start', 'stop', 'pause', 'resume'];

/** What the simulator did with an action: ok, or the Zoom error to answer with. */
export type RtmsActionResult =
  | { ok: true }
  | { ok: false; httpStatus: number; code: number; message: string };

/** The `settings` object of an RTMS status request, as validated. */
export interface RtmsActionSettings {
  client_id: string;
  participant_user_id?: string;
}

export interface RestApiOptions {
  credentials: RestCredentials;
  /** The RTMS app's client id; `settings.client_id` must equal it. */
  appClientId: string;
  /** ≥ 1; the real token lifetime is {@link TOKEN_TTL_SEC} divided by it. Default 1. */
  timeScale?: number;
  /**
   * Performs an authorized, well-formed action. Called synchronously; a thrown error becomes a 500.
   * `meetingId` is percent-decoded.
   */
  onRtmsAction: (meetingId: string, action: RtmsAction, settings: RtmsActionSettings) => RtmsActionResult;
  /** Clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

type BodyRead = { kind: 'body'; body: Buffer } | { kind: 'too-large' } | { kind: 'aborted' };

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Reads the whole body, giving up at `capBytes`. */
function readBody(req: IncomingMessage, capBytes: number): Promise<BodyRead> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > capBytes) {
    // Drain rather than close, so the client reads the 413 instead of a reset while it is still writing.
    req.resume();
    return Promise.resolve({ kind: 'too-large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: BodyRead): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > capBytes) {
        done({ kind: 'too-large' });
        // Discard the rest: the client reads the 413 instead of a reset while it is still writing.
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => done({ kind: 'body', body: Buffer.concat(chunks) });
    const onError = (): void => done({ kind: 'aborted' });
    const onClose = (): void => {
      if (!req.complete) done({ kind: 'aborted' });
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Constant-time string equality: a simulator should not teach timing leaks. */
function safeEqual(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** `client_id:client_secret` from `Authorization: Basic …`, or undefined. */
function basicCredentials(headers: IncomingHttpHeaders): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header(headers, 'authorization') ?? '');
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header(headers, 'authorization') ?? '')?.[1];
}

function decodeMeetingId(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/**
 * Zoom's OAuth token endpoint and RTMS status endpoint, for the simulator.
 *
 * @remarks Tokens are random opaque strings. They expire after {@link TOKEN_TTL_SEC} / `timeScale`
 * seconds of the injected clock, while `expires_in` still says {@link TOKEN_TTL_SEC}, as Zoom would: the
 * app under test sees the nominal value and must cope with the scaled reality, which is the point.
 */
export class RestApi {
  private readonly credentials: RestCredentials;
  private readonly appClientId: string;
  private readonly tokenTtlMs: number;
  private readonly onRtmsAction: RestApiOptions['onRtmsAction'];
  private readonly now: () => number;
  /** Access token → expiry, epoch ms of the injected clock. Insertion order is issue order. */
  private readonly tokens = new Map<string, number>();
  private issued = 0;

  constructor(options: RestApiOptions) {
    const { accountId, clientId, clientSecret } = options.credentials;
    if (accountId === '' || clientId === '' || clientSecret === '') {
      throw RtmsError.invalidOptions(
        'REST credentials need an account id, a client id and a client secret',
        'set ZOOM_ACCOUNT_ID, ZOOM_S2S_CLIENT_ID and ZOOM_S2S_CLIENT_SECRET for the simulator',
      );
    }
    const timeScale = checkTimeScale(options.timeScale, 'real-time');
    this.credentials = { ...options.credentials };
    this.appClientId = options.appClientId;
    this.tokenTtlMs = (TOKEN_TTL_SEC * 1000) / timeScale;
    this.onRtmsAction = options.onRtmsAction;
    this.now = options.now ?? Date.now;
  }

  /**
   * Handles the request if its path is one of ours and returns true; otherwise returns false and leaves
   * the request alone.
   *
   * @remarks The answer is written asynchronously, once the body has been read.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const path = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = new URLSearchParams(queryAt < 0 ? '' : rawUrl.slice(queryAt + 1));
    if (path === TOKEN_PATH) {
      if (req.method !== 'POST') {
        sendJson(res, 405, { reason: 'Method not allowed', error: 'invalid_request' }, { allow: 'POST' });
      } else {
        this.run(res, this.token(req, res, query), (status) =>
          sendJson(res, status, { reason: 'Internal error', error: 'server_error' }),
        );
      }
      return true;
    }
    const rawMeetingId = RTMS_STATUS_PATH.exec(path)?.[1];
    if (rawMeetingId === undefined) return false;
    if (req.method !== 'PATCH') {
      sendJson(
        res,
        405,
        { code: 405, message: `Method ${req.method ?? ''} not allowed.` },
        { allow: 'PATCH' },
      );
    } else {
      this.run(res, this.rtmsStatus(req, res, rawMeetingId), (status, message) =>
        sendJson(res, status, { code: status, message }),
      );
    }
    return true;
  }

  /** Makes every token issued so far expired (for tests of renewal). */
  expireTokens(): void {
    const now = this.now();
    for (const token of this.tokens.keys()) this.tokens.set(token, now);
  }

  /** How many tokens have been issued. */
  tokensIssued(): number {
    return this.issued;
  }

  /** Answers 500 when a handler fails unexpectedly (for example `onRtmsAction` throws). */
  private run(
    res: ServerResponse,
    work: Promise<void>,
    fail: (status: number, message: string) => void,
  ): void {
    work.catch((err: unknown) => {
      if (!res.headersSent) fail(500, err instanceof Error ? err.message : String(err));
    });
  }

  private async token(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    const read = await readBody(req, REST_BODY_CAP_BYTES);
    if (read.kind === 'aborted') return;
    if (read.kind === 'too-large') {
      sendJson(res, 413, { reason: 'Request body too large', error: 'invalid_request' });
      return;
    }
    const given = basicCredentials(req.headers);
    if (
      given === undefined ||
      !safeEqual(given.id, this.credentials.clientId) ||
      !safeEqual(given.secret, this.credentials.clientSecret)
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
    if (param('account_id') !== this.credentials.accountId) {
      sendJson(res, 400, { reason: 'Invalid account_id', error: 'invalid_request' });
      return;
    }
    const accessToken = this.issue();
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

  private issue(): string {
    if (this.tokens.size >= MAX_TRACKED_TOKENS) this.forgetOldTokens();
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, this.now() + this.tokenTtlMs);
    this.issued++;
    return token;
  }

  private forgetOldTokens(): void {
    const now = this.now();
    for (const [token, expiresAt] of this.tokens) {
      if (expiresAt <= now) this.tokens.delete(token);
    }
    // Every token still valid: drop the oldest, which expires first.
    while (this.tokens.size >= MAX_TRACKED_TOKENS) {
      const oldest = this.tokens.keys().next();
      if (oldest.done) break;
      this.tokens.delete(oldest.value);
    }
  }

  private async rtmsStatus(req: IncomingMessage, res: ServerResponse, rawMeetingId: string): Promise<void> {
    const read = await readBody(req, REST_BODY_CAP_BYTES);
    if (read.kind === 'aborted') return;
    const fail = (status: number, code: number, message: string): void =>
      sendJson(res, status, { code, message });
    if (read.kind === 'too-large') {
      fail(413, API_CODE.VALIDATION, 'Request body too large.');
      return;
    }
    const token = bearerToken(req.headers);
    const expiresAt = token === undefined ? undefined : this.tokens.get(token);
    if (expiresAt === undefined) {
      fail(401, API_CODE.INVALID_TOKEN, 'Invalid access token.');
      return;
    }
    if (this.now() >= expiresAt) {
      fail(401, API_CODE.INVALID_TOKEN, 'Access token is expired.');
      return;
    }
    const meetingId = decodeMeetingId(rawMeetingId);
    if (meetingId === undefined) {
      fail(400, API_CODE.VALIDATION, 'Invalid field: meetingId is not a valid percent-encoded value.');
      return;
    }
    let request: unknown;
    try {
      request = JSON.parse(read.body.toString('utf8'));
    } catch {
      request = undefined;
    }
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      fail(400, API_CODE.VALIDATION, 'Request Body should be a valid JSON object.');
      return;
    }
    const { action, settings } = request as Record<string, unknown>;
    if (typeof action !== 'string' || !RTMS_ACTIONS.includes(action as RtmsAction)) {
      fail(400, API_CODE.VALIDATION, `Invalid field: action must be one of ${RTMS_ACTIONS.join(', ')}.`);
      return;
    }
    const fields =
      typeof settings === 'object' && settings !== null && !Array.isArray(settings)
        ? (settings as Record<string, unknown>)
        : {};
    const clientId = fields.client_id;
    if (typeof clientId !== 'string' || clientId === '') {
      fail(400, API_CODE.VALIDATION, 'Missing field: settings.client_id.');
      return;
    }
    const participant = fields.participant_user_id;
    if (participant !== undefined && typeof participant !== 'string') {
      fail(400, API_CODE.VALIDATION, 'Invalid field: settings.participant_user_id must be a string.');
      return;
    }
    // Zoom answers a client id that is not an RTMS app of the account with the generic 2310 ([TS]).
    if (clientId !== this.appClientId) {
      fail(400, API_CODE.RTMS_OPERATION_FAILED, 'Failed to perform RTMS app operation.');
      return;
    }
    const accepted: RtmsActionSettings = { client_id: clientId };
    if (participant !== undefined) accepted.participant_user_id = participant;
    const result = this.onRtmsAction(meetingId, action as RtmsAction, accepted);
    if (!result.ok) {
      fail(result.httpStatus, result.code, result.message);
      return;
    }
    // Accepted, not done: the outcome arrives later as a webhook.
    if (res.headersSent || res.destroyed) return;
    res.writeHead(202, { 'content-length': '0' });
    res.end();
  }
}
