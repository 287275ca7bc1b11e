import { StatusCode } from './enums.js';
import { recoveryForStatus } from './recovery.js';

/**
 * Stable error codes. Each is documented in `docs/errors.md`; tests assert on `err.code`, never on text.
 */
export const RTMS_ERROR_CODES = {
  /** Zoom answered a signaling or media handshake with a non-zero status. `statusCode` says which. */
  HANDSHAKE_REJECTED: 'HANDSHAKE_REJECTED',
  /** Zoom answered a request (video subscription, stream close…) with a non-zero status. */
  REQUEST_REJECTED: 'REQUEST_REJECTED',
  /** Options given to rtmskit break a rule of the protocol; nothing was sent. */
  INVALID_OPTIONS: 'INVALID_OPTIONS',
  /** A server URL from a webhook or handshake is not on the allow-list. */
  SERVER_URL_NOT_ALLOWED: 'SERVER_URL_NOT_ALLOWED',
  /** A stream could not be recovered inside Zoom's reconnect window. */
  CONNECTION_LOST: 'CONNECTION_LOST',
  /** A wait ran out of time. */
  TIMEOUT: 'TIMEOUT',
  /** A wait was aborted by its signal or by teardown. */
  ABORTED: 'ABORTED',
  /** The object was already closed. */
  CLOSED: 'CLOSED',
  /** A webhook's `x-zm-signature` does not match its body, or is missing. */
  WEBHOOK_BAD_SIGNATURE: 'WEBHOOK_BAD_SIGNATURE',
  /** A webhook's `x-zm-request-timestamp` is missing or outside the tolerance. */
  WEBHOOK_STALE_TIMESTAMP: 'WEBHOOK_STALE_TIMESTAMP',
  /** A webhook body is not JSON, or not a Zoom event envelope. */
  WEBHOOK_INVALID_BODY: 'WEBHOOK_INVALID_BODY',
  /** An RTMS webhook event lacks a field rtmskit needs. */
  WEBHOOK_MISSING_FIELD: 'WEBHOOK_MISSING_FIELD',
  /** A webhook body is larger than the receiver accepts. */
  WEBHOOK_TOO_LARGE: 'WEBHOOK_TOO_LARGE',
  /** The raw request body was consumed before rtmskit could read it (for example by `express.json()`). */
  RAW_BODY_UNAVAILABLE: 'RAW_BODY_UNAVAILABLE',
  /** An application handler threw or rejected. */
  HANDLER_FAILED: 'HANDLER_FAILED',
  /** Zoom's OAuth token endpoint refused the credentials. */
  AUTH_FAILED: 'AUTH_FAILED',
  /** A Zoom REST call failed; `statusCode` is the HTTP status, `reason` Zoom's error code and message. */
  API_ERROR: 'API_ERROR',
  /** Configuration is missing or malformed. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /**
   * A networked store (Redis) cannot serve the call right now: not connected, the connection dropped,
   * no answer in time, or the server refused (LOADING, READONLY, OOM, NOAUTH…). The store reconnects by
   * itself; the call was not retried.
   */
  STORE_UNREACHABLE: 'STORE_UNREACHABLE',
  /**
   * An external program rtmskit runs (FFmpeg, ffprobe) is not installed, failed, or ran out of time;
   * `reason` says which (`missing`, `failed`, `timeout`), `cause` holds its last lines on stderr.
   */
  TOOL_FAILED: 'TOOL_FAILED',
} as const;

export type RtmsErrorCode = (typeof RTMS_ERROR_CODES)[keyof typeof RTMS_ERROR_CODES];

export interface RtmsErrorOptions {
  /** A Zoom `status_code` (RTMS_STATUS_CODE), when Zoom reported one. */
  statusCode?: number;
  /** Zoom's `reason` text, when it sent one. */
  reason?: string;
  /** One line telling a person what to do about it. */
  fix?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The one error class of rtmskit. `message` says what went wrong, `fix` what to do about it, `code` is
 * stable for programs.
 */
export class RtmsError extends Error {
  override readonly name = 'RtmsError';
  readonly code: RtmsErrorCode;
  readonly statusCode: number | undefined;
  readonly reason: string | undefined;
  readonly fix: string | undefined;

  constructor(code: RtmsErrorCode, message: string, options: RtmsErrorOptions = {}) {
    super(options.fix ? `${message} — ${options.fix}` : message, { cause: options.cause });
    this.code = code;
    this.statusCode = options.statusCode;
    this.reason = options.reason;
    this.fix = options.fix;
  }

  /** A `code: message` line for logs. */
  override toString(): string {
    return `RtmsError[${this.code}${this.statusCode === undefined ? '' : ` status ${this.statusCode}`}]: ${this.message}`;
  }

  /** Zoom refused a handshake: the message and fix come from the recovery table. */
  static handshakeRejected(socket: 'signaling' | 'media', statusCode: number, reason?: string): RtmsError {
    const recovery = recoveryForStatus(statusCode);
    const name = StatusCode[statusCode] ?? `status ${statusCode}`;
    const said = reason ? ` (Zoom said: ${reason})` : '';
    return new RtmsError(
      RTMS_ERROR_CODES.HANDSHAKE_REJECTED,
      `${socket} handshake rejected with ${name}: ${recovery.cause}${said}`,
      { statusCode, fix: recovery.fix, ...(reason === undefined ? {} : { reason }) },
    );
  }

  static invalidOptions(message: string, fix: string): RtmsError {
    return new RtmsError(RTMS_ERROR_CODES.INVALID_OPTIONS, message, { fix });
  }

  static timeout(what: string, ms: number): RtmsError {
    return new RtmsError(RTMS_ERROR_CODES.TIMEOUT, `${what} did not happen within ${ms} ms`);
  }

  static aborted(what: string, cause?: unknown): RtmsError {
    return new RtmsError(RTMS_ERROR_CODES.ABORTED, `${what} was aborted`, { cause });
  }

  static closed(what: string): RtmsError {
    return new RtmsError(RTMS_ERROR_CODES.CLOSED, `${what} is closed`);
  }
}

/** True when `err` is an {@link RtmsError}, optionally with the given code. */
export function isRtmsError(err: unknown, code?: RtmsErrorCode): err is RtmsError {
  return err instanceof RtmsError && (code === undefined || err.code === code);
}
