/**
 * Faults the simulator can inject, typed, and their text form `NAME[@TIME][:ARG]` for the CLI.
 */
import { CloseCode, isSendableCloseCode } from '../protocol/closeCodes.js';
import { MEDIA_KINDS, type MediaKind } from '../protocol/enums.js';
import { RtmsError } from '../protocol/errors.js';

export type Fault =
  /** A new RTMS server: a fresh `rtms_started` with new `server_urls` on a new port; old sockets closed. */
  | { type: 'failover' }
  /** Close the signaling socket without a close frame (the client sees 1006). */
  | { type: 'drop-signaling' }
  /** Close one media socket (or every one) without a close frame. */
  | { type: 'drop-media'; kind?: MediaKind }
  /** Reset the TCP connection (ECONNRESET) of signaling (default) or every media socket. */
  | { type: 'reset'; target: 'signaling' | 'media' }
  /** Close the signaling socket with this close code (default 1000). */
  | { type: 'close'; code: number }
  /** Stop sending keep-alive requests on every socket of the stream. */
  | { type: 'stop-keepalive' }
  /** Stop sending media (keep-alives continue). */
  | { type: 'stop-media' }
  /** Answer the next signaling handshake with this status code. */
  | { type: 'reject-handshake'; status: number }
  /** Delay every later handshake answer by this many real milliseconds. */
  | { type: 'delay-handshake'; ms: number }
  /** Send a frame that is not valid JSON on signaling. */
  | { type: 'malformed-frame' }
  /** Deliver the stream's `rtms_started` again now, identical bytes. */
  | { type: 'duplicate-webhook' }
  /** Deliver the stream's `rtms_started` again after the stream has stopped, identical bytes. */
  | { type: 'late-retry' }
  /** Delay every later webhook of the stream by this many real milliseconds. */
  | { type: 'slow-webhook'; ms: number }
  | { type: 'pause' }
  | { type: 'resume' }
  /** End the stream with this stop reason (default 1, HOST_TRIGGERED). */
  | { type: 'stop'; reason: number }
  /** End the stream as revoked (stop reason 8). */
  | { type: 'revoke' };

export type FaultType = Fault['type'];

/** A fault on a stream's timeline, `atMs` of simulated time after the stream started. */
export interface ScheduledFault {
  atMs: number;
  fault: Fault;
}

export const FAULT_NAMES: readonly FaultType[] = [
  'failover',
  'drop-signaling',
  'drop-media',
  'reset',
  'close',
  'stop-keepalive',
  'stop-media',
  'reject-handshake',
  'delay-handshake',
  'malformed-frame',
  'duplicate-webhook',
  'late-retry',
  'slow-webhook',
  'pause',
  'resume',
  'stop',
  'revoke',
];

const SPEC_FIX = `use NAME[@TIME][:ARG], e.g. drop-media@10s:audio; names: ${FAULT_NAMES.join(', ')}`;

/** Parses a duration: `500ms`, `5s`, `2m`, or a bare number of milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = match[2] ?? 'ms';
  return Math.round(unit === 'm' ? value * 60_000 : unit === 's' ? value * 1000 : value);
}

function intArg(spec: string, arg: string | undefined, what: string): number {
  if (arg === undefined || !/^\d+$/.test(arg)) {
    throw RtmsError.invalidOptions(`fault "${spec}" needs ${what}`, SPEC_FIX);
  }
  return Number(arg);
}

function faultOf(spec: string, name: string, arg: string | undefined): Fault {
  const noArg = () => {
    if (arg !== undefined) throw RtmsError.invalidOptions(`fault "${spec}" takes no argument`, SPEC_FIX);
  };
  switch (name) {
    case 'failover':
    case 'drop-signaling':
    case 'stop-keepalive':
    case 'stop-media':
    case 'malformed-frame':
    case 'duplicate-webhook':
    case 'late-retry':
    case 'pause':
    case 'resume':
    case 'revoke':
      noArg();
      return { type: name };
    case 'drop-media': {
      if (arg === undefined) return { type: name };
      if (!(MEDIA_KINDS as readonly string[]).includes(arg)) {
        throw RtmsError.invalidOptions(
          `fault "${spec}": unknown media kind "${arg}"`,
          `use ${MEDIA_KINDS.join(', ')}`,
        );
      }
      return { type: name, kind: arg as MediaKind };
    }
    case 'reset': {
      if (arg !== undefined && arg !== 'signaling' && arg !== 'media') {
        throw RtmsError.invalidOptions(`fault "${spec}": reset takes signaling or media`, SPEC_FIX);
      }
      return { type: name, target: arg ?? 'signaling' };
    }
    case 'close': {
      const code = arg === undefined ? CloseCode.NORMAL : intArg(spec, arg, 'a close code');
      if (!isSendableCloseCode(code)) {
        throw RtmsError.invalidOptions(
          `fault "${spec}": ${code} cannot be sent in a close frame`,
          'use 1000, 1001, 1002, 1003, 1007–1014 or 3000–4999 (1005 and 1006 only describe closes)',
        );
      }
      return { type: name, code };
    }
    case 'reject-handshake':
      return { type: name, status: intArg(spec, arg, 'a status code, e.g. reject-handshake:3') };
    case 'delay-handshake':
      return { type: name, ms: durationArg(spec, arg) };
    case 'slow-webhook':
      return { type: name, ms: durationArg(spec, arg) };
    case 'stop':
      return { type: name, reason: arg === undefined ? 1 : intArg(spec, arg, 'a stop reason') };
    default:
      throw RtmsError.invalidOptions(`unknown fault "${name}" in "${spec}"`, SPEC_FIX);
  }
}

function durationArg(spec: string, arg: string | undefined): number {
  const ms = arg === undefined ? undefined : parseDurationMs(arg);
  if (ms === undefined)
    throw RtmsError.invalidOptions(`fault "${spec}" needs a duration, e.g. :500ms`, SPEC_FIX);
  return ms;
}

/**
 * Parses `NAME[@TIME][:ARG]`, e.g. `drop-media@10s:audio`, `reject-handshake:3`, `stop@20s:6`. Without a
 * time the fault applies when the stream starts.
 */
export function parseFault(spec: string): ScheduledFault {
  const match = /^([a-z-]+)(?:@([^:]+))?(?::(.+))?$/.exec(spec.trim());
  if (!match) throw RtmsError.invalidOptions(`malformed fault "${spec}"`, SPEC_FIX);
  const [, name = '', time, arg] = match;
  let atMs = 0;
  if (time !== undefined) {
    const parsed = parseDurationMs(time);
    if (parsed === undefined) throw RtmsError.invalidOptions(`fault "${spec}": bad time "${time}"`, SPEC_FIX);
    atMs = parsed;
  }
  return { atMs, fault: faultOf(spec, name, arg) };
}

/** Throws `INVALID_OPTIONS` for a typed fault the simulator cannot carry out. */
export function checkFault(fault: Fault): void {
  if (fault.type === 'close' && !isSendableCloseCode(fault.code)) {
    throw RtmsError.invalidOptions(
      `close code ${fault.code} cannot be sent in a close frame`,
      'use 1000, 1001, 1002, 1003, 1007–1014 or 3000–4999 (1005 and 1006 only describe closes)',
    );
  }
}

/** The text form of a fault, for logs. */
export function describeFault(fault: Fault): string {
  const { type, ...args } = fault;
  const values = Object.values(args);
  return values.length === 0 ? type : `${type}:${values.join(',')}`;
}
