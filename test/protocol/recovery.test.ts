import { describe, expect, it } from 'vitest';
import { StatusCode, StopReason } from '../../src/protocol/enums.js';
import { RTMS_ERROR_CODES, RtmsError } from '../../src/protocol/errors.js';
import type { RecoveryAction } from '../../src/protocol/recovery.js';
import {
  DUPLICATE_CONNECTION_ATTEMPTS,
  recoveryForAttempt,
  recoveryForClose,
  recoveryForStatus,
  recoveryForStopReason,
  statusTable,
  stopReasonTable,
} from '../../src/protocol/recovery.js';

function numericValues<E extends Record<string, string | number>>(e: E): number[] {
  return Object.values(e).filter((v): v is number => typeof v === 'number');
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

const ACTIONS: readonly RecoveryAction[] = [
  'ok',
  'fatal',
  'retry',
  'reconnect-media',
  'reconnect-all',
  'stream-over',
];

describe('status code recovery', () => {
  const table = new Map(statusTable());

  it('covers every StatusCode member (0–47) and nothing else', () => {
    const codes = numericValues(StatusCode);
    expect(codes).toEqual(range(0, 47));
    expect([...table.keys()].sort((a, b) => a - b)).toEqual(codes);
  });

  it.each(numericValues(StatusCode))('status %i has a cause, a known action and a fix unless ok', (code) => {
    const entry = table.get(code);
    expect(entry).toBeDefined();
    expect(ACTIONS).toContain(entry!.action);
    expect(entry!.cause.trim()).not.toBe('');
    if (entry!.action !== 'ok') expect(entry!.fix.trim()).not.toBe('');
    expect(recoveryForStatus(code)).toStrictEqual(entry);
  });

  it('0 is ok, and the only ok', () => {
    expect(recoveryForStatus(StatusCode.STATUS_OK).action).toBe('ok');
    const ok = [...table].filter(([, r]) => r.action === 'ok').map(([code]) => code);
    expect(ok).toEqual([0]);
  });

  it('3 (invalid signature) is fatal and its fix names ZOOM_CLIENT_SECRET and meeting_uuid', () => {
    const r = recoveryForStatus(StatusCode.STATUS_INVALID_SIGNATURE);
    expect(r.action).toBe('fatal');
    expect(r.fix).toContain('ZOOM_CLIENT_SECRET');
    expect(r.fix).toContain('meeting_uuid');
  });

  it.each([2, 4, ...range(17, 39), 43])('%i is fatal', (code) => {
    expect(recoveryForStatus(code).action).toBe('fatal');
  });

  it.each([8, 15, 16, 45])('%i is retried', (code) => {
    expect(recoveryForStatus(code).action).toBe('retry');
  });

  it.each([-1, 48, 99, 1.5])('unknown status %d is fatal with a fix', (code) => {
    const r = recoveryForStatus(code);
    expect(r.action).toBe('fatal');
    expect(r.cause).toContain(String(code));
    expect(r.fix.trim()).not.toBe('');
  });
});

describe('stop reason recovery', () => {
  const table = new Map(stopReasonTable());

  it('covers every StopReason member (0–26) and nothing else', () => {
    const reasons = numericValues(StopReason);
    expect(reasons).toEqual(range(0, 26));
    expect([...table.keys()].sort((a, b) => a - b)).toEqual(reasons);
  });

  it.each(numericValues(StopReason))('stop reason %i has a cause and a known action', (reason) => {
    const entry = table.get(reason);
    expect(entry).toBeDefined();
    expect(ACTIONS).toContain(entry!.action);
    expect(entry!.action).not.toBe('ok');
    expect(entry!.cause.trim()).not.toBe('');
    expect(typeof entry!.restartable).toBe('boolean');
    expect(recoveryForStopReason(reason)).toStrictEqual(entry);
  });

  it.each([
    [StopReason.SIGNAL_CONNECTION_INTERRUPTED, 'reconnect-all'],
    [StopReason.SIGNAL_CONNECTION_CLOSED_ABNORMALLY, 'reconnect-all'],
    [StopReason.DATA_CONNECTION_INTERRUPTED, 'reconnect-media'],
    [StopReason.DATA_CONNECTION_CLOSED_ABNORMALLY, 'reconnect-media'],
    [StopReason.MEETING_ENDED, 'stream-over'],
    [StopReason.RECEIVER_REQUEST_CLOSE, 'stream-over'],
    [StopReason.AUTHENTICATION_FAILURE, 'fatal'],
  ] as const)('stop reason %i → %s', (reason, action) => {
    expect(recoveryForStopReason(reason).action).toBe(action);
  });

  it.each([10, 11, 17, 19, 24])('stop reason %i is restartable', (reason) => {
    expect(recoveryForStopReason(reason).restartable).toBe(true);
  });

  it.each([1, 2, 6, 8, 20])('stop reason %i is not restartable', (reason) => {
    expect(recoveryForStopReason(reason).restartable).toBe(false);
  });

  it('18 (authentication failure) carries the signature fix', () => {
    expect(recoveryForStopReason(StopReason.AUTHENTICATION_FAILURE).fix).toContain('ZOOM_CLIENT_SECRET');
  });

  it('8 (revoked) tells to delete the assets', () => {
    expect(recoveryForStopReason(StopReason.STREAM_REVOKED).fix).toMatch(/delete/i);
  });

  it('an unknown stop reason ends the stream', () => {
    const r = recoveryForStopReason(99);
    expect(r.action).toBe('stream-over');
    expect(r.cause).toContain('99');
    expect(r.restartable).toBe(false);
  });
});

describe('close code recovery', () => {
  it('reconnects the media socket after a media close', () => {
    expect(recoveryForClose(1006, 'media').action).toBe('reconnect-media');
    expect(recoveryForClose(1000, 'media').action).toBe('reconnect-media');
  });

  it('reconnects everything after a signaling close', () => {
    expect(recoveryForClose(1000, 'signaling').action).toBe('reconnect-all');
    expect(recoveryForClose(1006, 'signaling').action).toBe('reconnect-all');
  });

  it.each([1000, 1001, 1005, 1006, 1008, 1011, 1012, 1013, 1014, 4000])(
    'close %i names the socket',
    (code) => {
      expect(recoveryForClose(code, 'media').cause).toContain('media');
      expect(recoveryForClose(code, 'signaling').cause).toContain('signaling');
    },
  );
});

describe('RtmsError.handshakeRejected', () => {
  it('builds a HANDSHAKE_REJECTED error from the status table', () => {
    const err = RtmsError.handshakeRejected('signaling', 3, 'bad sig');
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(RtmsError);
    expect(err.name).toBe('RtmsError');
    expect(err.code).toBe('HANDSHAKE_REJECTED');
    expect(err.code).toBe(RTMS_ERROR_CODES.HANDSHAKE_REJECTED);
    expect(err.statusCode).toBe(3);
    expect(err.reason).toBe('bad sig');
    expect(err.fix).toContain('ZOOM_CLIENT_SECRET');
    expect(err.fix).toBe(recoveryForStatus(3).fix);
    expect(err.message).toContain('STATUS_INVALID_SIGNATURE');
    expect(err.message).toContain('signaling');
    expect(err.message).toContain('bad sig');
    expect(err.toString()).toContain('HANDSHAKE_REJECTED');
    expect(err.toString()).toContain('status 3');
  });

  it('leaves reason undefined when Zoom sent none, and names unknown statuses by number', () => {
    const err = RtmsError.handshakeRejected('media', 99);
    expect(err.reason).toBeUndefined();
    expect(err.statusCode).toBe(99);
    expect(err.message).toContain('media');
    expect(err.message).toContain('99');
  });
});

describe('recoveryForAttempt: the table decides every failed attempt', () => {
  const rejected = (statusCode: number) => ({ code: 'HANDSHAKE_REJECTED', statusCode });

  it('ends the stream on a fatal status, and retries status 2 only once the stream has been live', () => {
    expect(recoveryForAttempt(rejected(StatusCode.STATUS_INVALID_SIGNATURE), false).retry).toBe(false);
    expect(recoveryForAttempt(rejected(StatusCode.STATUS_INVALID_SIGNATURE), true).retry).toBe(false);
    expect(recoveryForAttempt(rejected(StatusCode.STATUS_INVALID_RTMS_STREAM_ID), false).retry).toBe(false);
    expect(recoveryForAttempt(rejected(StatusCode.STATUS_INVALID_RTMS_STREAM_ID), true)).toEqual({
      retry: true,
    });
    expect(recoveryForAttempt(rejected(9_999), true).retry).toBe(false);
    const onlyLive = statusTable().filter(([, r]) => r.retryWhenLive);
    expect(onlyLive.map(([code]) => code)).toEqual([StatusCode.STATUS_INVALID_RTMS_STREAM_ID]);
  });

  it('retries duplicate connections within one shared limit', () => {
    for (const status of [
      StatusCode.STATUS_DUPLICATE_SIGNAL_REQUEST,
      StatusCode.STATUS_MEDIA_DATA_ALL_CONNECTION_EXIST,
      StatusCode.STATUS_DUPLICATE_MEDIA_DATA_CONNECTION,
    ]) {
      expect(recoveryForAttempt(rejected(status), false)).toEqual({
        retry: true,
        limit: { group: 'duplicate-connection', maxAttempts: DUPLICATE_CONNECTION_ATTEMPTS },
      });
    }
    const limited = statusTable().filter(([, r]) => r.maxAttempts !== undefined);
    expect(limited).toHaveLength(3);
  });

  it('refuses our own bad options or server URL at once, and retries everything else', () => {
    expect(recoveryForAttempt({ code: 'SERVER_URL_NOT_ALLOWED' }, true).retry).toBe(false);
    expect(recoveryForAttempt({ code: 'INVALID_OPTIONS' }, false).retry).toBe(false);
    expect(recoveryForAttempt({ code: 'TIMEOUT' }, false)).toEqual({ retry: true });
    expect(recoveryForAttempt(new Error('ECONNRESET'), false)).toEqual({ retry: true });
    expect(recoveryForAttempt(rejected(StatusCode.STATUS_INTERNAL_EXCEPTION), false)).toEqual({
      retry: true,
    });
    expect(recoveryForAttempt(undefined, false)).toEqual({ retry: true });
  });
});
