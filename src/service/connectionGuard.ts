/**
 * Caps on the HTTP server's connections that Node does not enforce itself:
 *
 * - Connections open at once. Past the cap the oldest connection that is not sending a response is
 *   closed to make room, so that a flood of slow or idle sockets (slowloris) cannot lock out Zoom's next
 *   webhook: a legitimate request lives for milliseconds, the sockets holding the cap are the old ones.
 *   Responses already streaming (event feeds) are never cut for this.
 * - Requests per connection. Node's `maxRequestsPerSocket` only marks the last response
 *   `Connection: close` and answers later requests 503 on the same socket; here the socket is closed once
 *   that last response is written.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** At most one log line about the cap per this interval; the line says how many were closed since. */
export const CONNECTION_LIMIT_LOG_INTERVAL_MS = 10_000;

export interface ConnectionGuardOptions {
  maxConnections: number;
  /** Requests one connection may carry; the socket is closed after the last one's response. */
  maxRequestsPerConnection: number;
  /**
   * The cap was hit: `closed` connections were closed (or refused) since the last call. Called at most
   * once per {@link CONNECTION_LIMIT_LOG_INTERVAL_MS}, and at once the first time.
   */
  onLimit?: (info: { open: number; closed: number; maxConnections: number }) => void;
  now?: () => number;
}

/** What a {@link ConnectionGuard} counted. */
export interface ConnectionCounters {
  /** Connections open now. */
  open: number;
  /** Connections closed (or refused) to stay under the cap, in all. */
  evicted: number;
}

export class ConnectionGuard {
  /** Open sockets, oldest first (Map order), with the response each is sending, if any. */
  private readonly sockets = new Map<Socket, ServerResponse | undefined>();
  /** Requests each socket has carried. */
  private readonly requests = new WeakMap<Socket, number>();
  private readonly maxConnections: number;
  private readonly maxRequests: number;
  private readonly onLimit: ConnectionGuardOptions['onLimit'];
  private readonly now: () => number;
  private evictedTotal = 0;
  private unreported = 0;
  private lastReportMs = Number.NEGATIVE_INFINITY;
  private reportTimer: NodeJS.Timeout | undefined;

  constructor(server: Server, options: ConnectionGuardOptions) {
    this.maxConnections = options.maxConnections;
    this.maxRequests = options.maxRequestsPerConnection;
    this.onLimit = options.onLimit;
    this.now = options.now ?? Date.now;
    server.on('connection', (socket: Socket) => this.admit(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.track(req, res));
    server.once('close', () => this.close());
  }

  get counters(): ConnectionCounters {
    return { open: this.sockets.size, evicted: this.evictedTotal };
  }

  private admit(socket: Socket): void {
    this.sockets.set(socket, undefined);
    socket.once('close', () => this.sockets.delete(socket));
    if (this.sockets.size <= this.maxConnections) return;
    const victim = this.oldestIdle() ?? socket;
    this.sockets.delete(victim);
    victim.destroy();
    this.evictedTotal++;
    this.unreported++;
    this.report();
  }

  private track(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    const count = (this.requests.get(socket) ?? 0) + 1;
    this.requests.set(socket, count);
    if (count >= this.maxRequests) {
      res.once('finish', () => socket.end(() => socket.destroy()));
    }
    if (!this.sockets.has(socket)) return;
    this.sockets.set(socket, res);
    res.once('close', () => {
      if (this.sockets.get(socket) === res) this.sockets.set(socket, undefined);
    });
  }

  /** The oldest socket that is not sending a response: idle, or still receiving its request. */
  private oldestIdle(): Socket | undefined {
    for (const [socket, res] of this.sockets) {
      if (res === undefined || !res.headersSent) return socket;
    }
    return undefined;
  }

  /** Reports now, or once the interval since the last report is over, so a burst gives one line. */
  private report(): void {
    if (this.reportTimer !== undefined) return;
    const waitMs = this.lastReportMs + CONNECTION_LIMIT_LOG_INTERVAL_MS - this.now();
    if (waitMs <= 0) {
      this.flushReport();
      return;
    }
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      this.flushReport();
    }, waitMs);
    this.reportTimer.unref();
  }

  private flushReport(): void {
    this.lastReportMs = this.now();
    const closed = this.unreported;
    this.unreported = 0;
    if (closed > 0) this.onLimit?.({ open: this.sockets.size, closed, maxConnections: this.maxConnections });
  }

  /** Stops the pending report timer. Idempotent. */
  close(): void {
    clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
  }
}
