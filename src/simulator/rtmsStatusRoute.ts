/** `PATCH /v2/live_meetings/{meetingId}/rtms_app/status` (reference §6.1): Zoom's checks, then the act. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenStore } from './oauthTokens.js';
import { bearerToken, REST_BODY_CAP_BYTES, readBody, sendJson } from './restHttp.js';

/** `/v2/live_meetings/{meetingId}/rtms_app/status`, with the meeting id still percent-encoded. */
export const RTMS_STATUS_PATH = /^\/v2\/live_meetings\/([^/]+)\/rtms_app\/status$/;

/** Zoom's API error codes the simulated REST API answers with ([ERR], [TS]). */
export const API_CODE = {
  INVALID_TOKEN: 124,
  VALIDATION: 300,
  RTMS_OPERATION_FAILED: 2310,
  MEETING_NOT_FOUND: 3001,
} as const;

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

export interface RtmsStatusContext {
  tokens: TokenStore;
  /** Clock, epoch ms, the tokens' expiries are on. */
  now: () => number;
  /** The RTMS app's client id; `settings.client_id` must equal it. */
  appClientId: string;
  onRtmsAction: (meetingId: string, action: RtmsAction, settings: RtmsActionSettings) => RtmsActionResult;
}

function decodeMeetingId(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** Answers one status request; 202 with an empty body once the action is accepted. */
export async function answerRtmsStatus(
  req: IncomingMessage,
  res: ServerResponse,
  rawMeetingId: string,
  ctx: RtmsStatusContext,
): Promise<void> {
  const read = await readBody(req, REST_BODY_CAP_BYTES);
  if (read.kind === 'aborted') return;
  const fail = (status: number, code: number, message: string): void =>
    sendJson(res, status, { code, message });
  if (read.kind === 'too-large') {
    fail(413, API_CODE.VALIDATION, 'Request body too large.');
    return;
  }
  const token = bearerToken(req.headers);
  const expiresAt = token === undefined ? undefined : ctx.tokens.expiresAt(token);
  if (expiresAt === undefined) {
    fail(401, API_CODE.INVALID_TOKEN, 'Invalid access token.');
    return;
  }
  if (ctx.now() >= expiresAt) {
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
  if (clientId !== ctx.appClientId) {
    fail(400, API_CODE.RTMS_OPERATION_FAILED, 'Failed to perform RTMS app operation.');
    return;
  }
  const accepted: RtmsActionSettings = { client_id: clientId };
  if (participant !== undefined) accepted.participant_user_id = participant;
  const result = ctx.onRtmsAction(meetingId, action as RtmsAction, accepted);
  if (!result.ok) {
    fail(result.httpStatus, result.code, result.message);
    return;
  }
  // Accepted, not done: the outcome arrives later as a webhook.
  if (res.headersSent || res.destroyed) return;
  res.writeHead(202, { 'content-length': '0' });
  res.end();
}
