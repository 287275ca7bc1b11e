/**
 * A cap on the HTTP connections open at once. Past the cap the oldest connection that is not sending a
 * response is closed to make room, so that a flood of slow or idle sockets (slowloris) cannot lock out
 * Zoom's next webhook: a legitimate request lives for milliseconds, the sockets holding the cap are the
 * old ones. Responses already streaming (event feeds) are never cut for this.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** At most one log line about the cap per this interval; the line says how many were closed since. */
export const CONNECTION_LIMIT_LOG_INTERVAL_MS = 10_000;

export interface ConnectionLimitOptions {
  maxConnections: number;
  /**
   * The cap was hit: `closed` connections were closed (or refused) since the last call. Called at most
   * once per {@link CONNECTION_LIMIT_LOG_INTERVAL_MS}, and at once the first time.
   */
  onLimit?: (info: { open: number; closed: number; maxConnections: number }) => void;
  now?: () => number;
}

/** What a {@link ConnectionLimit} counted. */
export interface ConnectionLimitCounters {
  /** Connections open now. */
  open: number;
  /** Connections closed (or refused) to stay under the cap, in all. */
  evicted: number;
}

export class ConnectionLimit {
  /** Open sockets, oldest first (Map order), with the response each is sending, if any. */
  private readonly sockets = new Map<Socket, ServerResponse | undefined>();
  private readonly maxConnections: number;
  private readonly onLimit: ConnectionLimitOptions['onLimit'];
  private readonly now: () => number;
  private evictedTotal = 0;
  private unreported = 0;
  private lastReportMs = Number.NEGATIVE_INFINITY;
  private reportTimer: NodeJS.Timeout | undefined;

  constructor(server: Server, options: ConnectionLimitOptions) {
    this.maxConnections = options.maxConnections;
    this.onLimit = options.onLimit;
    this.now = options.now ?? Date.now;
    server.on('connection', (socket: Socket) => this.admit(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.track(req, res));
    server.once('close', () => this.close());
  }

  get counters(): ConnectionLimitCounters {
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
