/**
 * WebSocket close codes (RFC 6455 §7.4, IANA registry) as rtmskit meets them, and the rule of which of
 * them a close frame may carry.
 */

export enum CloseCode {
  NORMAL = 1000,
  GOING_AWAY = 1001,
  PROTOCOL_ERROR = 1002,
  UNSUPPORTED_DATA = 1003,
  /** Reserved: no code was in the close frame. Never sent. */
  NO_STATUS = 1005,
  /** Reserved: the connection dropped without a close frame. Never sent. */
  ABNORMAL = 1006,
  INVALID_PAYLOAD = 1007,
  POLICY_VIOLATION = 1008,
  MESSAGE_TOO_BIG = 1009,
  MANDATORY_EXTENSION = 1010,
  INTERNAL_ERROR = 1011,
  SERVICE_RESTART = 1012,
  TRY_AGAIN_LATER = 1013,
  BAD_GATEWAY = 1014,
  /** Reserved: the TLS handshake failed. Never sent. */
  TLS_HANDSHAKE = 1015,
}

/** First and last code of the range registered for libraries and frameworks, and for applications. */
const REGISTERED_MIN = 3000;
const APPLICATION_MAX = 4999;

/**
 * True for a code a close frame may carry: 1000–1003, 1007–1014, and 3000–4999. The reserved codes
 * (1004–1006, 1015) describe what happened locally and must never be put on the wire.
 */
export function isSendableCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= CloseCode.NORMAL && code <= CloseCode.UNSUPPORTED_DATA) return true;
  if (code >= CloseCode.INVALID_PAYLOAD && code <= CloseCode.BAD_GATEWAY) return true;
  return code >= REGISTERED_MIN && code <= APPLICATION_MAX;
}
