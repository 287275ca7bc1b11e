/**
 * One simulated RTMS server on one port: REST and OAuth over HTTP, signaling on `/signaling`, media on
 * `/media/<kind>`. A failover brings up another node on another port.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export const SIGNALING_PATH = '/signaling';
export const MEDIA_PATH = '/media';
/** Largest frame a client may send; client messages are small. */
export const MAX_CLIENT_FRAME_BYTES = 1024 * 1024;

export interface NodeHandlers {
  http(req: http.IncomingMessage, res: http.ServerResponse): void;
  signaling(ws: WebSocket, node: RtmsNode): void;
  media(ws: WebSocket, node: RtmsNode): void;
}

export interface NodeTls {
  key: string;
  cert: string;
}

export class RtmsNode {
  readonly id: number;
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  private readonly server: http.Server | https.Server;
  private readonly wss: WebSocketServer;

  private constructor(
    id: number,
    host: string,
    server: http.Server | https.Server,
    wss: WebSocketServer,
    tls: boolean,
  ) {
    this.id = id;
    this.host = host;
    this.server = server;
    this.wss = wss;
    this.tls = tls;
    this.port = (server.address() as AddressInfo).port;
  }

  static async listen(
    id: number,
    host: string,
    port: number,
    handlers: NodeHandlers,
    tls?: NodeTls,
  ): Promise<RtmsNode> {
    const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }) : http.createServer();
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const node = new RtmsNode(id, host, server, wss, tls !== undefined);
    server.on('request', handlers.http);
    server.on('upgrade', (req, socket, head) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const isSignaling = path === SIGNALING_PATH;
      const isMedia = path === MEDIA_PATH || path.startsWith(`${MEDIA_PATH}/`);
      if (!isSignaling && !isMedia) {
        socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (isSignaling) handlers.signaling(ws, node);
        else handlers.media(ws, node);
      });
    });
    return node;
  }

  private origin(scheme: 'ws' | 'http'): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `${scheme}${this.tls ? 's' : ''}://${host}:${this.port}`;
  }

  /** `ws(s)://host:port/signaling`. */
  get signalingUrl(): string {
    return `${this.origin('ws')}${SIGNALING_PATH}`;
  }

  /** `ws(s)://host:port/media/<key>`. */
  mediaUrl(key: string): string {
    return `${this.origin('ws')}${MEDIA_PATH}/${key}`;
  }

  /** `http(s)://host:port`. */
  get httpUrl(): string {
    return this.origin('http');
  }

  /** Closes every socket and stops listening. Idempotent. */
  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
