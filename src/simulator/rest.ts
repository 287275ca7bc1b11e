/**
 * The Zoom REST surface an RTMS app uses, without a framework: the Server-to-Server OAuth token endpoint
 * and `PATCH /v2/live_meetings/{meetingId}/rtms_app/status` (reference §6). Mount it in any
 * `node:http` server: `if (!api.handle(req, res)) notFound(res)`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RtmsError } from '../protocol/errors.js';
import {
  answerTokenRequest,
  type RestCredentials,
  TOKEN_PATH,
  TOKEN_TTL_SEC,
  TokenStore,
} from './oauthTokens.js';
import { sendJson } from './restHttp.js';
import {
  answerRtmsStatus,
  RTMS_STATUS_PATH,
  type RtmsAction,
  type RtmsActionResult,
  type RtmsActionSettings,
} from './rtmsStatusRoute.js';
import { checkTimeScale } from './timeScale.js';

export {
  ACCOUNT_CREDENTIALS_GRANT,
  MAX_TRACKED_TOKENS,
  type RestCredentials,
  TOKEN_PATH,
  TOKEN_SCOPE,
  TOKEN_TTL_SEC,
} from './oauthTokens.js';
export { REST_BODY_CAP_BYTES } from './restHttp.js';
export type { RtmsAction, RtmsActionResult, RtmsActionSettings } from './rtmsStatusRoute.js';

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
  private readonly onRtmsAction: RestApiOptions['onRtmsAction'];
  private readonly now: () => number;
  private readonly tokens: TokenStore;

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
    this.onRtmsAction = options.onRtmsAction;
    this.now = options.now ?? Date.now;
    this.tokens = new TokenStore((TOKEN_TTL_SEC * 1000) / timeScale, this.now);
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
        this.run(res, answerTokenRequest(req, res, query, this.credentials, this.tokens), (status) =>
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
      const work = answerRtmsStatus(req, res, rawMeetingId, {
        tokens: this.tokens,
        now: this.now,
        appClientId: this.appClientId,
        onRtmsAction: this.onRtmsAction,
      });
      this.run(res, work, (status, message) => sendJson(res, status, { code: status, message }));
    }
    return true;
  }

  /** Makes every token issued so far expired (for tests of renewal). */
  expireTokens(): void {
    this.tokens.expireAll();
  }

  /** How many tokens have been issued. */
  tokensIssued(): number {
    return this.tokens.issued;
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
}
