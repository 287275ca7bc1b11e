/** The signaling and media handshakes of one stream: who may connect, and Zoom's answers (msg 2, msg 4). */
import type WebSocket from 'ws';
import { CloseCode } from '../../protocol/closeCodes.js';
import { type MediaKind, MediaType, MessageType, mediaKindsOf, StatusCode } from '../../protocol/enums.js';
import {
  type DataHandshakeRequest,
  INSTANCE_ID_KEYS,
  type InstanceIdKey,
  type MediaParams,
  type SignalingHandshakeRequest,
} from '../../protocol/messages.js';
import { PRODUCT_INFO, type Product } from '../../protocol/products.js';
import { handshakeSignature } from '../../protocol/signature.js';
import { PROTOCOL_VERSION } from '../../protocol/timing.js';
import { negotiateMedia } from '../mediaParams.js';
import type { FrameMode } from '../options.js';
import { type SimSocket, sendUnwrapped } from '../SimSocket.js';
import type { StreamCounters } from './counters.js';
import { EVICTED, type Farewell, type MediaLink } from './state.js';
import type { StreamFaults } from './streamFaults.js';

/** What the simulator settles for every stream's handshakes. */
export interface HandshakeRules {
  frames: FrameMode;
  duplicateSignaling: 'reject' | 'evict';
  credentialsFor(product: Product): { clientId: string; clientSecret: string };
}

/** The stream the handshakes are for. */
export interface HandshakeStream {
  readonly streamId: string;
  readonly product: Product;
  readonly instanceId: string;
  readonly allowedKinds: ReadonlySet<MediaKind>;
  readonly counters: StreamCounters;
  /** Live, and served by the server `nodeId` (not the one it failed over from). */
  servedBy(nodeId: number): boolean;
  signaling(): SimSocket | undefined;
  media(): readonly MediaLink[];
  /** Binds an accepted signaling socket; `farewell` closes the one it replaces. */
  connectSignaling(ws: WebSocket, msg: SignalingHandshakeRequest, farewell: Farewell | undefined): void;
  connectMedia(ws: WebSocket, kinds: MediaKind[], params: MediaParams): void;
  log(line: string): void;
}

type Handshake = SignalingHandshakeRequest | DataHandshakeRequest;

export class Handshakes {
  private readonly rules: HandshakeRules;
  private readonly stream: HandshakeStream;
  /** Where `reject-handshake` and `delay-handshake` leave their settings. */
  private readonly faults: StreamFaults;

  constructor(rules: HandshakeRules, stream: HandshakeStream, faults: StreamFaults) {
    this.rules = rules;
    this.stream = stream;
    this.faults = faults;
  }

  /** A valid-looking SIGNALING_HAND_SHAKE_REQ for this stream arrived on `ws`, on server `nodeId`. */
  acceptSignaling(ws: WebSocket, msg: SignalingHandshakeRequest, nodeId: number): void {
    const { stream } = this;
    stream.counters.signalingSocket(ws);
    const reject = (status: number, reason: string): void => {
      stream.counters.rejected('signaling', status);
      stream.log(`signaling handshake rejected: ${StatusCode[status] ?? status} (${reason})`);
      sendUnwrapped(ws, this.rules.frames, {
        msg_type: MessageType.SIGNALING_HAND_SHAKE_RESP,
        protocol_version: PROTOCOL_VERSION,
        sequence: 0,
        status_code: status,
        reason,
      });
      ws.close(CloseCode.NORMAL);
    };
    this.later(() => {
      if (ws.readyState !== ws.OPEN) return;
      const forced = this.faults.rejectNext.shift();
      if (forced !== undefined) return reject(forced, 'rejected by fault injection');
      const status = this.authenticate(msg, nodeId);
      if (status === StatusCode.STATUS_INVALID_SIGNATURE) return reject(status, 'invalid signature');
      if (status !== StatusCode.STATUS_OK) return reject(status, StatusCode[status] ?? 'rejected');
      let farewell: Farewell | undefined;
      if (stream.signaling()?.isOpen) {
        if (this.rules.duplicateSignaling === 'reject') {
          return reject(StatusCode.STATUS_DUPLICATE_SIGNAL_REQUEST, 'duplicate signal request');
        }
        stream.log('second signaling connection evicts the first');
        farewell = EVICTED;
      }
      stream.connectSignaling(ws, msg, farewell);
    });
  }

  /** A DATA_HAND_SHAKE_REQ for this stream arrived on `ws`, on server `nodeId`. */
  acceptMedia(ws: WebSocket, msg: DataHandshakeRequest, nodeId: number): void {
    const { stream } = this;
    const requested =
      typeof msg.media_type === 'number'
        ? mediaKindsOf(msg.media_type).filter((k) => stream.allowedKinds.has(k))
        : [];
    stream.counters.mediaSocket(ws, requested);
    const answer = (status: number, reason: string, params?: MediaParams): void => {
      sendUnwrapped(ws, this.rules.frames, {
        msg_type: MessageType.DATA_HAND_SHAKE_RESP,
        protocol_version: PROTOCOL_VERSION,
        sequence: 0,
        status_code: status,
        reason,
        payload_encrypted: false,
        ...(params ? { media_params: params } : {}),
      });
    };
    const reject = (status: number, reason: string): void => {
      stream.counters.rejected('media', status);
      stream.log(`media handshake rejected: ${StatusCode[status] ?? status} (${reason})`);
      answer(status, reason);
      ws.close(CloseCode.NORMAL);
    };
    this.later(() => {
      if (ws.readyState !== ws.OPEN) return;
      const status = this.authenticate(msg, nodeId);
      if (status !== StatusCode.STATUS_OK) return reject(status, StatusCode[status] ?? 'rejected');
      const negotiated = negotiateMedia(msg.media_type, msg.media_params, stream.allowedKinds);
      if (!negotiated.ok) return reject(negotiated.status, negotiated.reason);
      const unified = (msg.media_type & MediaType.ALL) !== 0;
      for (const link of stream.media()) {
        if (!link.socket.isOpen) continue;
        if (link.kinds.length > 1 && link.kinds.length === stream.allowedKinds.size && !unified) {
          return reject(StatusCode.STATUS_MEDIA_DATA_ALL_CONNECTION_EXIST, 'an all-media connection exists');
        }
        if (link.kinds.some((k) => negotiated.kinds.includes(k))) {
          return reject(StatusCode.STATUS_DUPLICATE_MEDIA_DATA_CONNECTION, 'duplicate media connection');
        }
      }
      stream.connectMedia(ws, negotiated.kinds, negotiated.params);
      answer(StatusCode.STATUS_OK, '', negotiated.params);
    });
  }

  /** The id a handshake names its instance by: the product's own key first, then any other. */
  private instanceIdOf(msg: Handshake): string | undefined {
    const own = PRODUCT_INFO[this.stream.product].instanceKey;
    const keys: InstanceIdKey[] = [own, ...INSTANCE_ID_KEYS.filter((k) => k !== own)];
    for (const key of keys) {
      const value = msg[key];
      if (typeof value === 'string') return value;
    }
    return undefined;
  }

  /** Checks ids and signature; returns a status code (0 when good). */
  private authenticate(msg: Handshake, nodeId: number): StatusCode {
    const { stream } = this;
    if (!stream.servedBy(nodeId)) return StatusCode.STATUS_INVALID_RTMS_STREAM_ID;
    const instanceId = this.instanceIdOf(msg);
    if (instanceId === undefined) return StatusCode.STATUS_INVALID_PAYLOAD;
    const { clientId, clientSecret } = this.rules.credentialsFor(stream.product);
    const expected = handshakeSignature({
      clientId,
      clientSecret,
      instanceId: stream.instanceId,
      streamId: stream.streamId,
    });
    if (instanceId !== stream.instanceId || msg.signature !== expected)
      return StatusCode.STATUS_INVALID_SIGNATURE;
    return StatusCode.STATUS_OK;
  }

  /** Answers now, or after the `delay-handshake` fault's delay. */
  private later(answer: () => void): void {
    const delayMs = this.faults.handshakeDelayMs;
    if (delayMs > 0) setTimeout(answer, delayMs).unref();
    else answer();
  }
}
