/**
 * A bare `ws` RTMS client for driving the simulator in tests. Deliberately independent of rtmskit's own
 * client: it speaks the protocol by hand (plain JSON), using only the signature helper.
 */
import { createHmac } from 'node:crypto';
import WebSocket from 'ws';

export interface RawMessage {
  msg_type: number;
  [key: string]: unknown;
}

/** One socket with a message log, an auto-answer for keep-alives, and waits on messages. */
export class RawSocket {
  readonly ws: WebSocket;
  readonly received: RawMessage[] = [];
  /** Whether each received frame was binary, in order. */
  readonly binary: boolean[] = [];
  readonly undecodable: string[] = [];
  answerKeepAlive = true;
  closeCode: number | undefined;
  closeError: Error | undefined;
  private readonly waiters = new Set<() => void>();
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code) => {
        this.closeCode = code;
        resolve(code);
        this.notify();
      });
    });
    this.ws.on('error', (err) => {
      this.closeError = err;
    });
    this.ws.on('message', (data, isBinary) => {
      const text = (data as Buffer).toString('utf8');
      let msg: RawMessage;
      try {
        msg = JSON.parse(text) as RawMessage;
      } catch {
        this.undecodable.push(text);
        this.notify();
        return;
      }
      this.received.push(msg);
      this.binary.push(isBinary);
      if (msg.msg_type === 12 && this.answerKeepAlive) this.send({ msg_type: 13, timestamp: msg.timestamp });
      this.notify();
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  send(msg: Record<string, unknown>): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  /** Messages of one type received so far. */
  ofType(type: number): RawMessage[] {
    return this.received.filter((m) => m.msg_type === type);
  }

  /** Resolves with the first message (from `from` on) matching, or rejects after `timeoutMs`. */
  waitFor(match: (m: RawMessage) => boolean, timeoutMs = 5_000, from = 0): Promise<RawMessage> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.received.slice(from).find(match);
        if (found) {
          cleanup();
          resolve(found);
        } else if (this.closeCode !== undefined) {
          cleanup();
          reject(new Error(`socket closed (${this.closeCode}) before the awaited message`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a message`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  waitForType(type: number, timeoutMs = 5_000): Promise<RawMessage> {
    return this.waitFor((m) => m.msg_type === type, timeoutMs);
  }

  /** Resolves once `count` messages of a type have arrived. */
  async waitForCount(type: number, count: number, timeoutMs = 5_000): Promise<void> {
    await this.waitFor(() => this.ofType(type).length >= count, timeoutMs);
  }

  close(code = 1000): void {
    this.ws.close(code);
  }

  terminate(): void {
    this.ws.terminate();
  }
}

export interface StreamCredentials {
  clientId: string;
  clientSecret: string;
}

export interface StreamIds {
  streamId: string;
  instanceId: string;
  /** Handshake key for the instance id (meeting_uuid, webinar_uuid, session_id, engagement_id). */
  instanceKey: string;
}

/** The handshake signature, computed independently of rtmskit. */
export function sign(creds: StreamCredentials, ids: StreamIds): string {
  return createHmac('sha256', creds.clientSecret)
    .update(`${creds.clientId},${ids.instanceId},${ids.streamId}`)
    .digest('hex');
}

export function signalingHandshake(creds: StreamCredentials, ids: StreamIds): Record<string, unknown> {
  return {
    msg_type: 1,
    protocol_version: 1,
    sequence: 1,
    [ids.instanceKey]: ids.instanceId,
    rtms_stream_id: ids.streamId,
    signature: sign(creds, ids),
  };
}

export function mediaHandshake(
  creds: StreamCredentials,
  ids: StreamIds,
  mediaType: number,
  mediaParams?: Record<string, unknown>,
): Record<string, unknown> {
  return {
    msg_type: 3,
    protocol_version: 1,
    sequence: 0,
    [ids.instanceKey]: ids.instanceId,
    rtms_stream_id: ids.streamId,
    signature: sign(creds, ids),
    media_type: mediaType,
    payload_encryption: false,
    ...(mediaParams ? { media_params: mediaParams } : {}),
  };
}

/** Connects signaling and waits for the handshake response. */
export async function connectSignaling(
  url: string,
  creds: StreamCredentials,
  ids: StreamIds,
  subscribe: readonly number[] = [2, 3, 4, 5, 6, 8, 9],
): Promise<{ socket: RawSocket; response: RawMessage }> {
  const socket = new RawSocket(url);
  await socket.opened;
  socket.send(signalingHandshake(creds, ids));
  const response = await socket.waitForType(2);
  if (response.status_code === 0 && subscribe.length > 0) {
    socket.send({ msg_type: 5, events: subscribe.map((event_type) => ({ event_type, subscribe: true })) });
  }
  return { socket, response };
}

/** Connects one media socket, handshakes, and (when accepted) sends CLIENT_READY_ACK on signaling. */
export async function connectMedia(
  url: string,
  creds: StreamCredentials,
  ids: StreamIds,
  signaling: RawSocket,
  mediaType: number,
  mediaParams?: Record<string, unknown>,
): Promise<{ socket: RawSocket; response: RawMessage }> {
  const socket = new RawSocket(url);
  await socket.opened;
  socket.send(mediaHandshake(creds, ids, mediaType, mediaParams));
  const response = await socket.waitForType(4);
  if (response.status_code === 0) signaling.send({ msg_type: 7, rtms_stream_id: ids.streamId });
  return { socket, response };
}

/** Decodes base64 media data. */
export function mediaBytes(msg: RawMessage): Buffer {
  const content = msg.content as { data: string };
  return Buffer.from(content.data, 'base64');
}
