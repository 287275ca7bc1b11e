import { createHmac } from 'node:crypto';

export interface HandshakeSignatureInput {
  /** The app's client id (Video SDK: the SDK key). */
  clientId: string;
  /** The app's client secret (Video SDK: the SDK secret). */
  clientSecret: string;
  /** meeting_uuid, webinar_uuid, session_id or engagement_id of the event. */
  instanceId: string;
  /** rtms_stream_id of the event. */
  streamId: string;
}

/** The exact string Zoom expects to be signed: `clientId,instanceId,streamId`. */
export function handshakeSignedString(input: Omit<HandshakeSignatureInput, 'clientSecret'>): string {
  return `${input.clientId},${input.instanceId},${input.streamId}`;
}

/**
 * The `signature` of SIGNALING_HAND_SHAKE_REQ and DATA_HAND_SHAKE_REQ: lowercase hex
 * HMAC-SHA256 of `clientId,instanceId,streamId`, keyed by the client secret.
 */
export function handshakeSignature(input: HandshakeSignatureInput): string {
  return createHmac('sha256', input.clientSecret).update(handshakeSignedString(input)).digest('hex');
}
