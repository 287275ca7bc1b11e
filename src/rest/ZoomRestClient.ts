/**
 * Zoom REST control of RTMS: Server-to-Server OAuth (account credentials grant) and
 * `PATCH /v2/live_meetings/{meetingId}/rtms_app/status`.
 */
import { RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';
import { ACCOUNT_CREDENTIALS_GRANT, OAUTH_TOKEN_PATH, OAUTH_TOKEN_TTL_SEC } from '../protocol/oauth.js';

export const DEFAULT_API_BASE = 'https://api.zoom.us';
export const DEFAULT_OAUTH_BASE = 'https://zoom.us';
/** A token is renewed this long before Zoom says it expires. */
export const TOKEN_EXPIRY_MARGIN_MS = 60_000;
/** Time allowed for one HTTP request to Zoom. */
export const REST_TIMEOUT_MS = 15_000;

export type RtmsAction = 'start' | 'stop' | 'pause' | 'resume';

export interface ZoomRestOptions {
  accountId: string;
  /** Server-to-Server OAuth app. */
  clientId: string;
  clientSecret: string;
  apiBase?: string;
  oauthBase?: string;
  fetch?: typeof fetch;
  now?: () => number;
}

interface Token {
  value: string;
  expiresAt: number;
}

/** Plain explanations of Zoom's REST error codes. */
const API_ERRORS: Readonly<Record<number, string>> = {
  124: 'access token invalid or expired — check the S2S app credentials (ZOOM_ACCOUNT_ID, ZOOM_S2S_CLIENT_ID, ZOOM_S2S_CLIENT_SECRET)',
  300: 'the request was malformed — check the meeting id and the action',
  2308: 'not allowed to start the RTMS app — the token’s user must be the host or an alternative host in the meeting (or an invited participant who joined)',
  2310: 'failed to perform the RTMS app operation — check the app has RTMS enabled, the account has the Developer Pack (wait 1–2 minutes after buying it), and the stream is in a state that allows the action',
  3001: 'meeting not found — use the numeric meeting id of a meeting that is live now',
  4700: 'the access token lacks the scope meeting:update:participant_rtms_app_status — add it to the S2S app',
};

/**
 * @example
 * const zoom = new ZoomRestClient({ accountId, clientId, clientSecret });
 * await zoom.rtmsStatus('85746065432', 'start', { clientId: appClientId });
 */
export class ZoomRestClient {
  private readonly options: ZoomRestOptions;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private token: Token | undefined;
  /** Tokens requested so far. */
  tokensRequested = 0;

  constructor(options: ZoomRestOptions) {
    if (!options.accountId || !options.clientId || !options.clientSecret) {
      throw new RtmsError(
        RTMS_ERROR_CODES.CONFIG_INVALID,
        'REST control needs an account id and S2S credentials',
        {
          fix: 'set ZOOM_ACCOUNT_ID, and ZOOM_S2S_CLIENT_ID / ZOOM_S2S_CLIENT_SECRET (or the app’s client id/secret)',
        },
      );
    }
    this.options = options;
    this.fetch = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  private url(base: string | undefined, fallback: string, path: string): string {
    return `${(base ?? fallback).replace(/\/+$/, '')}${path}`;
  }

  /** A bearer token, cached until shortly before it expires. */
  async accessToken(forceNew = false): Promise<string> {
    if (!forceNew && this.token && this.token.expiresAt - TOKEN_EXPIRY_MARGIN_MS > this.now())
      return this.token.value;
    const { accountId, clientId, clientSecret } = this.options;
    const url = this.url(
      this.options.oauthBase,
      DEFAULT_OAUTH_BASE,
      `${OAUTH_TOKEN_PATH}?grant_type=${ACCOUNT_CREDENTIALS_GRANT}&account_id=${encodeURIComponent(accountId)}`,
    );
    let response: Response;
    try {
      response = await this.fetch(url, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        signal: AbortSignal.timeout(REST_TIMEOUT_MS),
      });
    } catch (cause) {
      throw new RtmsError(RTMS_ERROR_CODES.AUTH_FAILED, `cannot reach Zoom's OAuth endpoint ${url}`, {
        cause,
        fix: 'check network access to zoom.us (or --oauth-base)',
      });
    }
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok || typeof body.access_token !== 'string') {
      const reason = typeof body.reason === 'string' ? body.reason : undefined;
      const error = typeof body.error === 'string' ? body.error : undefined;
      const fix =
        error === 'invalid_client' || response.status === 401
          ? 'check ZOOM_S2S_CLIENT_ID and ZOOM_S2S_CLIENT_SECRET (a Server-to-Server OAuth app, activated)'
          : reason?.toLowerCase().includes('account')
            ? 'check ZOOM_ACCOUNT_ID: it is on the S2S app’s App Credentials page'
            : 'check the S2S app is activated and its credentials are current';
      throw new RtmsError(
        RTMS_ERROR_CODES.AUTH_FAILED,
        `OAuth token refused: ${reason ?? error ?? `HTTP ${response.status}`} (HTTP ${response.status})`,
        { fix, ...(error ? { reason: error } : {}) },
      );
    }
    this.tokensRequested++;
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : OAUTH_TOKEN_TTL_SEC;
    this.token = { value: body.access_token, expiresAt: this.now() + expiresIn * 1000 };
    return this.token.value;
  }

  /** Drops the cached token. */
  forgetToken(): void {
    this.token = undefined;
  }

  /**
   * Starts, stops, pauses or resumes the RTMS app in a live meeting. Zoom confirms asynchronously with
   * the `rtms_started` / `rtms_stopped` webhook. A 401 renews the token once.
   */
  async rtmsStatus(
    meetingId: string,
    action: RtmsAction,
    settings: { clientId: string; participantUserId?: string },
  ): Promise<{ status: number }> {
    const path = `/v2/live_meetings/${encodeURIComponent(meetingId)}/rtms_app/status`;
    const url = this.url(this.options.apiBase, DEFAULT_API_BASE, path);
    const body = JSON.stringify({
      action,
      settings: {
        client_id: settings.clientId,
        ...(settings.participantUserId ? { participant_user_id: settings.participantUserId } : {}),
      },
    });
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken(attempt > 0);
      let response: Response;
      try {
        response = await this.fetch(url, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(REST_TIMEOUT_MS),
        });
      } catch (cause) {
        throw new RtmsError(RTMS_ERROR_CODES.API_ERROR, `cannot reach Zoom's API ${url}`, {
          cause,
          fix: 'check network access to api.zoom.us (or --api-base)',
        });
      }
      if (response.ok) return { status: response.status };
      const error = (await response.json().catch(() => ({}))) as { code?: unknown; message?: unknown };
      const code = typeof error.code === 'number' ? error.code : undefined;
      const message = typeof error.message === 'string' ? error.message : undefined;
      if (response.status === 401 && attempt === 0) {
        this.forgetToken();
        continue;
      }
      const said = `HTTP ${response.status}${code === undefined ? '' : `, code ${code}`}${message ? `: ${message}` : ''}`;
      throw new RtmsError(
        RTMS_ERROR_CODES.API_ERROR,
        `rtms ${action} for meeting ${meetingId} refused (${said})`,
        {
          statusCode: response.status,
          ...(code === undefined ? {} : { reason: `${code}${message ? ` ${message}` : ''}` }),
          fix:
            code === undefined
              ? 'see Zoom’s API error reference'
              : (API_ERRORS[code] ?? 'see Zoom’s API error reference'),
        },
      );
    }
  }
}
