/**
 * Who may read the admin routes (`/api/*`, `/metrics`): a request that reaches the socket from this
 * machine directly, or one that carries the admin token.
 *
 * "Directly" is judged from the request itself, never from the address the server is bound to: a tunnel
 * (ngrok, cloudflared) or a reverse proxy on this machine connects from 127.0.0.1 too, so a loopback peer
 * alone proves nothing. A request is direct only when all three hold: the peer address is loopback, the
 * `Host` header names a loopback host (which also stops DNS-rebinding pages in a local browser), and no
 * proxy added a forwarding header.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isLoopbackHost } from './config.js';

/** Headers that proxies and tunnels add; any of them means the request came through one. */
export const FORWARDING_HEADERS: readonly string[] = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-server',
  'x-forwarded-prefix',
  'x-real-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'cf-connecting-ip',
  'cf-ray',
  'true-client-ip',
  'fastly-client-ip',
  'x-original-forwarded-for',
  'via',
];

/** What an admin request looked like, as far as the guard cares. */
export interface AdminRequest {
  /** The TCP peer's address (`socket.remoteAddress`). */
  peerAddress: string | undefined;
  headers: IncomingHttpHeaders;
}

/** Why a request is not direct loopback, or `undefined` when it is. */
export function notDirectLoopback(request: AdminRequest): string | undefined {
  if (request.peerAddress === undefined || !isLoopbackHost(request.peerAddress)) {
    return 'the request does not come from this machine';
  }
  const host = hostName(request.headers.host);
  if (host === undefined || !isLoopbackHost(host)) {
    return `the Host header ${JSON.stringify(request.headers.host ?? '')} is not a loopback name`;
  }
  const forwarded = FORWARDING_HEADERS.find((name) => request.headers[name] !== undefined);
  if (forwarded !== undefined) return `the request came through a proxy or tunnel (${forwarded} header)`;
  return undefined;
}

/** The host part of a `Host` header: without the port, brackets kept off IPv6. */
function hostName(header: string | undefined): string | undefined {
  if (header === undefined || header.length === 0) return undefined;
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    return end < 0 ? undefined : header.slice(1, end);
  }
  const colon = header.indexOf(':');
  return colon < 0 ? header : header.slice(0, colon);
}

/**
 * The bearer token of an `Authorization` header. The scheme is matched case-insensitively (RFC 9110),
 * the token exactly.
 */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

/** Compares two secrets in time independent of where they differ, and of their lengths. */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The answer to a refused admin request. */
export interface AdminRefusal {
  error: 'UNAUTHORIZED';
  message: string;
  fix: string;
}

/** Decides one request: `undefined` to let it through, or the refusal to send with 401. */
export function checkAdmin(request: AdminRequest, adminToken: string | undefined): AdminRefusal | undefined {
  const why = notDirectLoopback(request);
  if (why === undefined) return undefined;
  if (adminToken === undefined) {
    return {
      error: 'UNAUTHORIZED',
      message: `admin routes answer only requests made on this machine directly, and ${why}`,
      fix: 'set RTMSKIT_ADMIN_TOKEN and send Authorization: Bearer <token>',
    };
  }
  const token = bearerToken(request.headers.authorization);
  if (token === undefined) {
    return {
      error: 'UNAUTHORIZED',
      message: `${why}, and it carries no bearer token`,
      fix: 'send Authorization: Bearer <RTMSKIT_ADMIN_TOKEN>',
    };
  }
  if (!secretsEqual(token, adminToken)) {
    return {
      error: 'UNAUTHORIZED',
      message: 'the bearer token is wrong',
      fix: 'send the value of RTMSKIT_ADMIN_TOKEN as Authorization: Bearer <token>',
    };
  }
  return undefined;
}

/**
 * A Fastify `preHandler` enforcing {@link checkAdmin}. `queryToken`: the token may also come as
 * `?access_token=`, for the live routes a browser opens (EventSource and WebSocket cannot set headers).
 */
export function adminGuard(adminToken: string | undefined, options: { queryToken?: boolean } = {}) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const query = options.queryToken ? (request.query as { access_token?: unknown }).access_token : undefined;
    const headers =
      typeof query === 'string' ? { ...request.headers, authorization: `Bearer ${query}` } : request.headers;
    const refusal = checkAdmin({ peerAddress: request.socket.remoteAddress, headers }, adminToken);
    if (refusal === undefined) return;
    return reply.code(401).header('www-authenticate', 'Bearer realm="rtmskit"').send(refusal);
  };
}
