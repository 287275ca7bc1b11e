/**
 * The sockets of one live stream: the signaling socket and the planned media sockets (one per kind, or
 * one for every kind), how each is opened and handshaken, and their teardown.
 */
import {
  MEDIA_KINDS,
  type MediaKind,
  MessageType,
  mediaKindsOf,
  mediaMaskOf,
  StatusCode,
} from '../protocol/enums.js';
import { isRtmsError, RTMS_ERROR_CODES, RtmsError } from '../protocol/errors.js';
import type { MediaParams, ServerMessage } from '../protocol/messages.js';
import { handshakeSignature } from '../protocol/signature.js';
import { PROTOCOL_VERSION } from '../protocol/timing.js';
import { type AudioFormat, audioFormatOf } from './dispatch.js';
import { type HandshakeContext, handshake } from './handshake.js';
import type { ResolvedStreamOptions } from './options.js';
import type { RtmsSocket, SocketCloseInfo } from './RtmsSocket.js';
import { checkServerUrl, mediaUrlFor } from './serverUrls.js';

/** One planned media socket: a kind (split mode) or every kind (unified mode). */
export interface MediaSlot {
  key: MediaKind | 'all';
  kinds: MediaKind[];
  mask: number;
  socket: RtmsSocket | undefined;
  /** CLIENT_READY_ACK sent for this socket: its media may be delivered. */
  ready: boolean;
  format: AudioFormat;
  params: MediaParams;
  /** The running reconnect of this slot, if any. */
  recovery: AbortController | undefined;
}

/**
 * After a failover, the old server's media sockets are read for this long at most (it is going away),
 * so that frames already on their way are not thrown out with the sockets.
 */
export const RETIRED_SOCKET_GRACE_MS = 5_000;

/** What the connection tells the stream. Steady-state handlers are installed once a socket is ready. */
export interface ConnectionEvents {
  signalingMessage(msg: ServerMessage): void;
  mediaMessage(slot: MediaSlot, msg: ServerMessage): void;
  signalingClosed(socket: RtmsSocket, info: SocketCloseInfo): void;
  mediaClosed(slot: MediaSlot, socket: RtmsSocket, info: SocketCloseInfo): void;
  /** A signaling handshake succeeded: what the old session said is void. */
  signalingOpened(): void;
}

export class StreamConnection {
  signaling: RtmsSocket | undefined;
  slots: MediaSlot[] = [];
  /** Media sockets of a failed-over server, still being read. */
  private readonly retired = new Set<RtmsSocket>();
  private mediaUrls: Readonly<Record<string, string>> = {};
  private readonly options: ResolvedStreamOptions;
  private readonly events: ConnectionEvents;
  private readonly handshakes: HandshakeContext;

  constructor(options: ResolvedStreamOptions, events: ConnectionEvents, handshakes: HandshakeContext) {
    this.options = options;
    this.events = events;
    this.handshakes = handshakes;
  }

  /** Confirmed media parameters, merged across media sockets. */
  get mediaParams(): MediaParams {
    const out: MediaParams = {};
    for (const slot of this.slots) Object.assign(out, slot.params);
    return out;
  }

  private signatureFields() {
    const o = this.options;
    return {
      [o.instanceKey]: o.instanceId,
      rtms_stream_id: o.streamId,
      signature: handshakeSignature({
        clientId: o.credentials.clientId,
        clientSecret: o.credentials.clientSecret,
        instanceId: o.instanceId,
        streamId: o.streamId,
      }),
    };
  }

  /**
   * Signaling handshake, subscription, then every media socket: the whole stream, from nothing. With
   * `retireMedia` (a failover to other servers) the old media sockets are read until they close instead
   * of being dropped at once.
   */
  async open(serverUrls: readonly string[], signal: AbortSignal, retireMedia = false): Promise<void> {
    if (retireMedia) this.retireMedia();
    this.dropCurrent();
    const url = serverUrls.find((u) => {
      try {
        checkServerUrl(u, this.options.allowedHosts, this.options.allowLoopback);
        return true;
      } catch {
        return false;
      }
    });
    if (!url) throw noUsableUrl(serverUrls, this.options);
    const { socket, response, early } = await handshake(
      this.handshakes,
      url,
      {
        msg_type: MessageType.SIGNALING_HAND_SHAKE_REQ,
        protocol_version: PROTOCOL_VERSION,
        sequence: 1,
        ...this.signatureFields(),
        ...(this.options.bufferData ? {} : { buffer_data: false }),
      },
      MessageType.SIGNALING_HAND_SHAKE_RESP,
      signal,
    );
    const resp = response as Extract<ServerMessage, { msg_type: MessageType.SIGNALING_HAND_SHAKE_RESP }>;
    if (resp.status_code !== StatusCode.STATUS_OK) {
      socket.terminate();
      throw RtmsError.handshakeRejected('signaling', resp.status_code, resp.reason || undefined);
    }
    this.signaling = socket;
    this.events.signalingOpened();
    socket.setHandlers({
      message: (msg) => this.events.signalingMessage(msg as ServerMessage),
      decodeError: this.handshakes.onDecodeError,
      close: (info) => this.events.signalingClosed(socket, info),
    });
    this.mediaUrls = resp.media_server?.server_urls ?? {};
    // Stream and session state sent right behind the answer: handled as if they came just now.
    for (const msg of early) this.events.signalingMessage(msg);
    if (this.options.events.length > 0) {
      socket.send({
        msg_type: MessageType.EVENT_SUBSCRIPTION,
        // Zoom Phone names its events by V2 `event_code` only; every other product by `event_type`.
        events: this.options.events.map((number) =>
          this.options.product === 'phone'
            ? { event_code: number, subscribe: true }
            : { event_type: number, subscribe: true },
        ),
      });
    }
    this.slots = this.planSlots();
    await Promise.all(this.slots.map((slot) => this.openMedia(slot, signal)));
  }

  private planSlots(): MediaSlot[] {
    const { kinds, mediaMode, mediaParams } = this.options;
    const make = (key: MediaKind | 'all', slotKinds: MediaKind[]): MediaSlot => ({
      key,
      kinds: slotKinds,
      mask: mediaMaskOf(slotKinds),
      socket: undefined,
      ready: false,
      format: audioFormatOf(mediaParams),
      params: {},
      recovery: undefined,
    });
    if (mediaMode === 'unified') return [make('all', [...kinds])];
    return kinds.map((kind) => make(kind, [kind]));
  }

  private slotParams(slot: MediaSlot): MediaParams {
    const out: MediaParams = {};
    const given = this.options.mediaParams;
    for (const kind of slot.kinds) {
      const params = given[kind];
      if (params) (out as Record<string, unknown>)[kind] = params;
    }
    return out;
  }

  /** Opens (again) one media socket and tells signaling it is ready. */
  async openMedia(slot: MediaSlot, signal: AbortSignal): Promise<void> {
    const url = mediaUrlFor(slot.key, this.mediaUrls);
    if (!url) {
      throw new RtmsError(RTMS_ERROR_CODES.HANDSHAKE_REJECTED, `Zoom offered no media URL for ${slot.key}`, {
        statusCode: StatusCode.STATUS_MEDIA_TYPE_INVALID_VALUE,
        fix: `add the RTMS scope for ${slot.key} to the app, or stop requesting it (offered: ${Object.keys(this.mediaUrls).join(', ') || 'none'})`,
      });
    }
    checkServerUrl(url, this.options.allowedHosts, this.options.allowLoopback);
    this.dropMedia(slot);
    const params = this.slotParams(slot);
    const { socket, response, early } = await handshake(
      this.handshakes,
      url,
      {
        msg_type: MessageType.DATA_HAND_SHAKE_REQ,
        protocol_version: PROTOCOL_VERSION,
        sequence: 0,
        ...this.signatureFields(),
        media_type: slot.mask,
        payload_encryption: false,
        ...(Object.keys(params).length > 0 ? { media_params: params } : {}),
      },
      MessageType.DATA_HAND_SHAKE_RESP,
      signal,
    );
    const resp = response as Extract<ServerMessage, { msg_type: MessageType.DATA_HAND_SHAKE_RESP }>;
    if (resp.status_code !== StatusCode.STATUS_OK) {
      socket.terminate();
      throw RtmsError.handshakeRejected('media', resp.status_code, resp.reason || undefined);
    }
    slot.params = resp.media_params ?? params;
    slot.format = audioFormatOf(slot.params);
    if (slot.key === 'all' && resp.media_params) {
      slot.kinds = MEDIA_KINDS.filter((k) => resp.media_params?.[k] !== undefined);
      if (slot.kinds.length === 0) slot.kinds = mediaKindsOf(slot.mask);
    }
    slot.socket = socket;
    socket.setHandlers({
      message: (msg) => this.events.mediaMessage(slot, msg as ServerMessage),
      decodeError: this.handshakes.onDecodeError,
      close: (info) => this.events.mediaClosed(slot, socket, info),
    });
    const signaling = this.signaling;
    if (!signaling?.isOpen)
      throw new RtmsError(RTMS_ERROR_CODES.ABORTED, 'signaling closed during the media handshake');
    signaling.send({ msg_type: MessageType.CLIENT_READY_ACK, rtms_stream_id: this.options.streamId });
    slot.ready = true;
    // Media the server sent right behind its answer (it may start as soon as any socket of the stream
    // is ready): delivered and counted like every later frame, in order, ahead of them.
    for (const msg of early) this.events.mediaMessage(slot, msg);
  }

  /** Drops one media socket; its slot waits to be opened again. */
  dropMedia(slot: MediaSlot): void {
    slot.socket?.terminate();
    slot.socket = undefined;
    slot.ready = false;
  }

  /**
   * Moves the open media sockets aside: their slots leave the plan but stay ready, so what the sockets
   * still deliver is dispatched (duplicates are dropped as ever); a slot without its socket is never
   * recovered; each socket is dropped after {@link RETIRED_SOCKET_GRACE_MS} at the latest.
   */
  private retireMedia(): void {
    for (const slot of this.slots) {
      const socket = slot.socket;
      if (socket === undefined) continue;
      slot.recovery?.abort();
      slot.socket = undefined;
      this.retired.add(socket);
      void socket.closed.then(() => this.retired.delete(socket));
      setTimeout(() => socket.terminate(), RETIRED_SOCKET_GRACE_MS).unref();
    }
    this.slots = [];
  }

  /** Every socket goes, retired ones included, and every media reconnect stops. Idempotent. */
  teardown(): void {
    for (const socket of this.retired) socket.terminate();
    this.retired.clear();
    this.dropCurrent();
  }

  /** The signaling socket and the planned media sockets go. */
  private dropCurrent(): void {
    this.signaling?.terminate();
    this.signaling = undefined;
    for (const slot of this.slots) {
      slot.recovery?.abort();
      this.dropMedia(slot);
    }
  }

  /** The sockets open now, signaling first. */
  sockets(): RtmsSocket[] {
    const out: RtmsSocket[] = [];
    if (this.signaling) out.push(this.signaling);
    for (const slot of this.slots) if (slot.socket) out.push(slot.socket);
    return out;
  }
}

function noUsableUrl(urls: readonly string[], options: ResolvedStreamOptions): RtmsError {
  try {
    for (const url of urls) checkServerUrl(url, options.allowedHosts, options.allowLoopback);
  } catch (err) {
    if (isRtmsError(err)) return err;
  }
  return new RtmsError(RTMS_ERROR_CODES.SERVER_URL_NOT_ALLOWED, 'no usable server URL', {
    fix: 'server_urls must come from Zoom’s webhook',
  });
}
