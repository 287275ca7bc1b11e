/**
 * The one recovery table: what a client does about every status code, stop reason and close code.
 */
import { CloseCode } from './closeCodes.js';
import { StatusCode, StopReason } from './enums.js';
import { RTMS_ERROR_CODES } from './errors.js';

/**
 * - `ok`: nothing to recover.
 * - `fatal`: retrying cannot help; raise one error with its fix.
 * - `retry`: transient; try the same thing again after a backoff.
 * - `reconnect-media`: reconnect the media socket that failed, keep signaling.
 * - `reconnect-all`: reconnect signaling and every media socket.
 * - `stream-over`: the stream has ended; close everything, do not reconnect.
 */
export type RecoveryAction = 'ok' | 'fatal' | 'retry' | 'reconnect-media' | 'reconnect-all' | 'stream-over';

export interface Recovery {
  action: RecoveryAction;
  /** One line: what happened. */
  cause: string;
  /** One line: what a person should do. Empty when nothing is needed. */
  fix: string;
  /**
   * For `retry`: at most this many attempts in a row may end with a status of the same `limitGroup`;
   * one more is fatal. Absent: retried for as long as Zoom's window lasts.
   */
  maxAttempts?: number;
  /** Statuses that share one count of consecutive attempts (see `maxAttempts`). */
  limitGroup?: string;
  /**
   * For `fatal`: retried inside Zoom's window all the same once the stream has been ready, because then
   * the status is what an old server answers during a failover.
   */
  retryWhenLive?: boolean;
}

/**
 * Attempts in a row that may meet a duplicate-connection status (8, 15, 16) before it is fatal: the old
 * socket may still be closing on Zoom's side, but five times means another process holds the stream.
 */
export const DUPLICATE_CONNECTION_ATTEMPTS = 5;
const DUPLICATE_GROUP = 'duplicate-connection';

export interface StopRecovery extends Recovery {
  /**
   * Zoom's failover guide: a stream stopped for this reason may be started again (REST `start`) if the
   * meeting goes on.
   */
  restartable: boolean;
}

const SCOPE_FIX =
  'add the RTMS scope for this media kind to the app in the Zoom Marketplace, or stop requesting it';
const PARAMS_FIX = 'fix the media params: see the rules in docs/client.md (Media parameters)';

function fatal(cause: string, fix: string): Recovery {
  return { action: 'fatal', cause, fix };
}
function retry(cause: string, fix: string): Recovery {
  return { action: 'retry', cause, fix };
}
function duplicate(cause: string, fix: string): Recovery {
  return {
    action: 'retry',
    cause,
    fix,
    maxAttempts: DUPLICATE_CONNECTION_ATTEMPTS,
    limitGroup: DUPLICATE_GROUP,
  };
}
function params(cause: string, fix = PARAMS_FIX): Recovery {
  return fatal(cause, fix);
}

const STATUS_TABLE: Readonly<Record<StatusCode, Recovery>> = {
  [StatusCode.STATUS_OK]: { action: 'ok', cause: 'ok', fix: '' },
  [StatusCode.STATUS_INVALID_MESSAGE_TYPE]: fatal(
    'invalid message type — the server did not accept a msg_type',
    'report this as an rtmskit bug with the log line',
  ),
  [StatusCode.STATUS_INVALID_RTMS_STREAM_ID]: {
    ...fatal(
      'invalid rtms_stream_id — the stream is unknown or already over',
      'use the rtms_stream_id of the latest rtms_started webhook for this meeting',
    ),
    retryWhenLive: true,
  },
  [StatusCode.STATUS_INVALID_SIGNATURE]: fatal(
    'invalid signature',
    'check ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET (Video SDK: ZOOM_VIDEO_SDK_KEY/SECRET), and that the signed id is the meeting_uuid / webinar_uuid / session_id / engagement_id of this event (rtmskit signature prints it)',
  ),
  [StatusCode.STATUS_INVALID_PAYLOAD]: fatal(
    'invalid payload — a handshake field is missing or malformed',
    'check the instance id and rtms_stream_id come from the webhook unchanged',
  ),
  [StatusCode.STATUS_INVALID_EVENTS]: fatal(
    'invalid events in the subscription',
    'subscribe only to RTMS_EVENT_TYPE values',
  ),
  [StatusCode.STATUS_INVALID_EVENT_TYPE]: fatal(
    'invalid event type in the subscription',
    'do not subscribe to FIRST_PACKET_TIMESTAMP (1) or MEDIA_CONNECTION_INTERRUPTED (7); Zoom sends them anyway',
  ),
  [StatusCode.STATUS_INVALID_MEDIA_TYPE]: fatal(
    'invalid media_type',
    'media_type is a bitmask of 1 audio, 2 video, 4 deskshare, 8 transcript, 16 chat, or 32 all',
  ),
  [StatusCode.STATUS_DUPLICATE_SIGNAL_REQUEST]: duplicate(
    'duplicate signal request — another signaling connection for this stream is active or still closing',
    'rtmskit retries; if it persists, another process is connected to this stream (check for two instances)',
  ),
  [StatusCode.STATUS_MEDIA_TYPE_AUDIO_NOT_SUPPORT]: fatal('audio is not allowed for this app', SCOPE_FIX),
  [StatusCode.STATUS_MEDIA_TYPE_VIDEO_NOT_SUPPORT]: fatal('video is not allowed for this app', SCOPE_FIX),
  [StatusCode.STATUS_MEDIA_TYPE_DESKSHARE_NOT_SUPPORT]: fatal(
    'screen share is not allowed for this app',
    SCOPE_FIX,
  ),
  [StatusCode.STATUS_MEDIA_TYPE_TRANSCRIPT_NOT_SUPPORT]: fatal(
    'transcripts are not allowed for this app',
    SCOPE_FIX,
  ),
  [StatusCode.STATUS_MEDIA_TYPE_CHAT_NOT_SUPPORT]: fatal('chat is not allowed for this app', SCOPE_FIX),
  [StatusCode.STATUS_MEDIA_TYPE_INVALID_VALUE]: fatal(
    'invalid media_type value',
    'media_type is a bitmask of 1 audio, 2 video, 4 deskshare, 8 transcript, 16 chat, or 32 all',
  ),
  [StatusCode.STATUS_MEDIA_DATA_ALL_CONNECTION_EXIST]: duplicate(
    'an "all" media connection already exists for this stream',
    'rtmskit retries while the old connection closes; do not mix unified and split media for one stream',
  ),
  [StatusCode.STATUS_DUPLICATE_MEDIA_DATA_CONNECTION]: duplicate(
    'duplicate media connection — this media kind is already connected or still closing',
    'rtmskit retries; if it persists, another process is connected to this stream',
  ),
  [StatusCode.STATUS_INVALID_MEDIA_PARAMS]: params('invalid media_params'),
  [StatusCode.STATUS_INVALID_MEDIA_AUDIO_PARAMS]: params(
    'invalid audio params — this codec / sample rate / channel combination is not supported',
  ),
  [StatusCode.STATUS_INVALID_MEDIA_AUDIO_CONTENT_TYPE]: params(
    'invalid audio content_type',
    'use content_type 2 (RAW_AUDIO)',
  ),
  [StatusCode.STATUS_INVALID_MEDIA_AUDIO_SAMPLE_RATE]: params(
    'invalid audio sample_rate',
    'sample_rate is an index: 0 8 kHz, 1 16 kHz, 2 32 kHz, 3 48 kHz (there is no 24 kHz)',
  ),
  [StatusCode.STATUS_INVALID_MEDIA_AUDIO_CHANNEL]: params(
    'invalid audio channel',
    'channel is 1 mono or 2 stereo, and stereo needs the Opus codec (4)',
  ),
  [StatusCode.STATUS_INVALID_MEDIA_AUDIO_CODEC]: params(
    'invalid audio codec',
    'codec is 1 L16, 2 G.711 (A-law), 3 G.722 or 4 Opus',
  ),
  [StatusCode.STATUS_INVALID_MEDIA_AUDIO_DATA_OPT]: params(
    'invalid audio data_opt',
    'data_opt is 1 mixed or 2 one stream per speaker',
  ),
  [StatusCode.STATUS_INVALID_MEDIA_AUDIO_SEND_RATE]: params(
    'invalid audio send_rate',
    'send_rate is a multiple of 20 ms, at most 1000',
  ),
  [StatusCode.STATUS_INVALID_MEDIA_VIDEO_PARAMS]: params('invalid video params'),
  [StatusCode.STATUS_INVALID_MEDIA_VIDEO_CONTENT_TYPE]: params(
    'invalid video content_type',
    'use content_type 3 (RAW_VIDEO)',
  ),
  [StatusCode.STATUS_INVALID_MEDIA_VIDEO_CODEC]: params(
    'invalid video codec',
    'JPG (5) or PNG (6) need fps <= 5; H.264 (7) for more',
  ),
  [StatusCode.STATUS_INVALID_MEDIA_VIDEO_RESOLUTION]: params(
    'invalid video resolution',
    'resolution is 1 SD, 2 HD, 3 FHD or 4 QHD',
  ),
  [StatusCode.STATUS_INVALID_MEDIA_VIDEO_DATA_OPT]: params(
    'invalid video data_opt',
    'data_opt is 3 active speaker or 4 one individual participant',
  ),
  [StatusCode.STATUS_INVALID_MEDIA_VIDEO_FPS]: params('invalid video fps', 'fps is 1 to 30'),
  [StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_PARAMS]: params('invalid screen-share params'),
  [StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_CONTENT_TYPE]: params(
    'invalid screen-share content_type',
    'use content_type 3 (RAW_VIDEO)',
  ),
  [StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_CODEC]: params(
    'invalid screen-share codec',
    'JPG (5) or PNG (6) at low fps; H.264 (7) for more',
  ),
  [StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_RESOLUTION]: params(
    'invalid screen-share resolution',
    'resolution is 1 SD, 2 HD, 3 FHD or 4 QHD',
  ),
  [StatusCode.STATUS_INVALID_MEDIA_DESKSHARE_FPS]: params('invalid screen-share fps', 'fps is 1 to 30'),
  [StatusCode.STATUS_INVALID_MEDIA_TRANSCRIPT_PARAMS]: params('invalid transcript params'),
  [StatusCode.STATUS_INVALID_MEDIA_TRANSCRIPT_CONTENT_TYPE]: params(
    'invalid transcript content_type',
    'use content_type 5 (TEXT)',
  ),
  [StatusCode.STATUS_INVALID_MEDIA_CHAT_PARAMS]: params('invalid chat params'),
  [StatusCode.STATUS_INVALID_MEDIA_CHAT_CONTENT_TYPE]: params(
    'invalid chat content_type',
    'use content_type 5 (TEXT)',
  ),
  [StatusCode.STATUS_INVALID_RTMS_SESSION_ID]: fatal(
    'invalid rtms_session_id',
    'ask only for sessions announced in SESSION_STATE_UPDATE',
  ),
  [StatusCode.STATUS_INVALID_CLIENT_READY_ACK]: fatal(
    'invalid CLIENT_READY_ACK',
    'send CLIENT_READY_ACK with this rtms_stream_id after a successful media handshake',
  ),
  [StatusCode.STATUS_INVALID_EVENT_SUBSCRIBE]: fatal(
    'invalid event subscription',
    'subscribe with msg 5 and events [{ event_type, subscribe }]',
  ),
  [StatusCode.STATUS_INVALID_MEDIA_TRANSCRIPT_SOURCE_LANGUAGE]: params(
    'invalid transcript src_language',
    'src_language is an RTMS_TRANSCRIPT_LANGUAGE value from -1 to 36',
  ),
  [StatusCode.STATUS_DUPLICATE_VIDEO_SUBSCRIPTION]: retry(
    'duplicate video subscription',
    'only one individual video stream at a time; wait for the previous subscription response',
  ),
  [StatusCode.STATUS_INTERNAL_EXCEPTION]: retry('internal exception on the Zoom side', 'rtmskit retries'),
  [StatusCode.STATUS_INVALID_MEDIA_TRANSCRIPT_TARGET_LANGUAGE]: params(
    'invalid transcript target language',
    'use an RTMS_TRANSCRIPT_LANGUAGE value',
  ),
  [StatusCode.STATUS_CHAT_SESSION_KEY_NOT_AVAILABLE]: retry(
    'chat session key not available yet',
    'rtmskit retries; chat needs the meeting to have chat enabled',
  ),
};

function over(cause: string, restartable = false, fix = ''): StopRecovery {
  return { action: 'stream-over', cause, fix, restartable };
}

const STOP_TABLE: Readonly<Record<StopReason, StopRecovery>> = {
  [StopReason.UNDEFINED]: over('stopped (no reason given)'),
  [StopReason.HOST_TRIGGERED]: over('the host stopped the stream'),
  [StopReason.USER_TRIGGERED]: over('the app user stopped the stream'),
  [StopReason.USER_LEFT]: over('the user who started the stream left'),
  [StopReason.USER_EJECTED]: over('the app user was removed from the meeting'),
  [StopReason.HOST_DISABLED_APP]: over('the host disabled the app'),
  [StopReason.MEETING_ENDED]: over('the meeting ended'),
  [StopReason.STREAM_CANCELED]: over('the stream was canceled'),
  [StopReason.STREAM_REVOKED]: over('the stream was revoked', false, 'delete the assets of this stream now'),
  [StopReason.ALL_APPS_DISABLED]: over('all apps were disabled in the meeting'),
  [StopReason.INTERNAL_EXCEPTION]: over(
    'internal exception on the Zoom side',
    true,
    'start the stream again',
  ),
  [StopReason.CONNECTION_TIMEOUT]: over(
    'the connection timed out',
    true,
    'start the stream again; check that the app answers keep-alives',
  ),
  [StopReason.INSTANCE_CONNECTION_INTERRUPTED]: {
    action: 'reconnect-all',
    cause: 'the meeting connection was interrupted',
    fix: '',
    restartable: true,
  },
  [StopReason.SIGNAL_CONNECTION_INTERRUPTED]: {
    action: 'reconnect-all',
    cause: 'the signaling connection was interrupted',
    fix: '',
    restartable: true,
  },
  [StopReason.DATA_CONNECTION_INTERRUPTED]: {
    action: 'reconnect-media',
    cause: 'a media connection was interrupted',
    fix: '',
    restartable: true,
  },
  [StopReason.SIGNAL_CONNECTION_CLOSED_ABNORMALLY]: {
    action: 'reconnect-all',
    cause: 'the signaling connection closed abnormally',
    fix: '',
    restartable: true,
  },
  [StopReason.DATA_CONNECTION_CLOSED_ABNORMALLY]: {
    action: 'reconnect-media',
    cause: 'a media connection closed abnormally',
    fix: '',
    restartable: true,
  },
  [StopReason.EXIT_SIGNAL]: over('the RTMS server exited', true, 'start the stream again'),
  [StopReason.AUTHENTICATION_FAILURE]: {
    action: 'fatal',
    cause: 'authentication failed',
    fix: STATUS_TABLE[StatusCode.STATUS_INVALID_SIGNATURE].fix,
    restartable: true,
  },
  [StopReason.AWAIT_RECONNECTION_TIMEOUT]: over(
    'the app did not reconnect inside Zoom’s window',
    true,
    'start the stream again; check network reachability of the RTMS servers',
  ),
  [StopReason.RECEIVER_REQUEST_CLOSE]: over('the app asked to close the stream'),
  [StopReason.CUSTOMER_DISCONNECTED]: over('the customer disconnected'),
  [StopReason.AGENT_DISCONNECTED]: over('the agent disconnected'),
  [StopReason.ADMIN_DISABLED_APP]: over('an admin disabled the app'),
  [StopReason.KEEP_ALIVE_TIMEOUT]: over(
    'three keep-alives went unanswered',
    true,
    'start the stream again; the app must answer msg 12 with msg 13 on every socket',
  ),
  [StopReason.MANUAL_API_TRIGGERED]: over('stopped through the API'),
  [StopReason.STREAMING_NOT_SUPPORTED]: over('streaming is not supported for this queue'),
};

/** What to do about a `status_code`. Unknown codes are treated as fatal: retrying blindly hides bugs. */
export function recoveryForStatus(status: number): Recovery {
  return (
    STATUS_TABLE[status as StatusCode] ??
    fatal(`unknown status code ${status}`, 'upgrade rtmskit, or report the status code with the log line')
  );
}

/** What a failed connection attempt leads to: give up with this recovery, or try again (within a limit). */
export type AttemptVerdict =
  | { retry: false; recovery: Recovery }
  | { retry: true; limit?: { group: string; maxAttempts: number } };

/** The error of a failed attempt, as far as the decision needs it (an `RtmsError` fits). */
export interface AttemptError {
  code?: string;
  statusCode?: number | undefined;
}

/**
 * Decides a failed connection attempt from the table: a rejected handshake by its status (fatal ones
 * end the stream, but status 2 is retried once the stream has been live), a refusal of our own options
 * or server URL is fatal, and anything else (timeouts, resets, closes) is retried inside the window.
 */
export function recoveryForAttempt(error: unknown, everLive: boolean): AttemptVerdict {
  const { code, statusCode } = (typeof error === 'object' && error !== null ? error : {}) as AttemptError;
  if (code === RTMS_ERROR_CODES.SERVER_URL_NOT_ALLOWED || code === RTMS_ERROR_CODES.INVALID_OPTIONS) {
    return { retry: false, recovery: fatal('the stream cannot connect as configured', '') };
  }
  if (code !== RTMS_ERROR_CODES.HANDSHAKE_REJECTED || statusCode === undefined) return { retry: true };
  const recovery = recoveryForStatus(statusCode);
  if (recovery.action === 'fatal' && !(recovery.retryWhenLive && everLive)) return { retry: false, recovery };
  if (recovery.maxAttempts !== undefined && recovery.limitGroup !== undefined) {
    return { retry: true, limit: { group: recovery.limitGroup, maxAttempts: recovery.maxAttempts } };
  }
  return { retry: true };
}

/**
 * What to do about a stop reason reported with an interruption (msg 8 state INTERRUPTED). Once a stream
 * is TERMINATED or `rtms_stopped` arrives it is over whatever the reason; `restartable` then says whether
 * starting it again makes sense.
 */
export function recoveryForStopReason(reason: number): StopRecovery {
  return STOP_TABLE[reason as StopReason] ?? over(`stopped (unknown reason ${reason})`);
}

/**
 * What to do when a socket closes with a WebSocket close code before the stream ended. Every close of a
 * live stream is recoverable inside Zoom's window: 1000 right after a failed handshake is handled by the
 * handshake status instead.
 */
export function recoveryForClose(code: number, socket: 'signaling' | 'media'): Recovery {
  const action: RecoveryAction = socket === 'signaling' ? 'reconnect-all' : 'reconnect-media';
  switch (code) {
    case CloseCode.NORMAL:
      return {
        action,
        cause: `the server closed the ${socket} socket normally before the stream ended`,
        fix: '',
      };
    case CloseCode.GOING_AWAY:
      return { action, cause: `the ${socket} server is going away`, fix: '' };
    case CloseCode.NO_STATUS:
    case CloseCode.ABNORMAL:
      return { action, cause: `the ${socket} socket closed abnormally`, fix: '' };
    case CloseCode.POLICY_VIOLATION:
      return { action, cause: `the ${socket} server closed the socket for a policy violation`, fix: '' };
    case CloseCode.INTERNAL_ERROR:
    case CloseCode.SERVICE_RESTART:
    case CloseCode.TRY_AGAIN_LATER:
    case CloseCode.BAD_GATEWAY:
      return { action, cause: `the ${socket} server failed or is restarting`, fix: '' };
    default:
      return { action, cause: `the ${socket} socket closed unexpectedly`, fix: '' };
  }
}

/** Every status code with its recovery, for documentation and tests. */
export function statusTable(): ReadonlyArray<readonly [StatusCode, Recovery]> {
  return Object.entries(STATUS_TABLE).map(([code, r]) => [Number(code) as StatusCode, r] as const);
}

/** Every stop reason with its recovery, for documentation and tests. */
export function stopReasonTable(): ReadonlyArray<readonly [StopReason, StopRecovery]> {
  return Object.entries(STOP_TABLE).map(([code, r]) => [Number(code) as StopReason, r] as const);
}
