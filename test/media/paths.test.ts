/**
 * Recording paths: Zoom uuids become readable, unique, safe folder names; traversal is refused.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_PATH_PART_CHARS, recordingDir, sanitizePathPart } from '../../src/media/paths.js';
import { RTMS_ERROR_CODES, RtmsError } from '../../src/protocol/errors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof RtmsError ? err.code : 'not an RtmsError';
  }
  return undefined;
}

describe('sanitizePathPart', () => {
  it('maps a base64 uuid to base64url, without padding or hash', () => {
    expect(sanitizePathPart('4Bv/aS+Tq5eQ2Y7zHfWh1A==')).toBe('4Bv_aS-Tq5eQ2Y7zHfWh1A');
    expect(sanitizePathPart('abc+/def')).toBe('abc-_def');
    expect(sanitizePathPart('rtms-stream_01.a')).toBe('rtms-stream_01.a');
  });

  it('keeps ids apart when the mapping alone could make them equal', () => {
    const slashed = sanitizePathPart('a/b');
    expect(slashed).toMatch(/^a_b~h[0-9a-f]{8}$/);
    expect(slashed).not.toBe(sanitizePathPart('a_b'));
    expect(sanitizePathPart('ab=')).not.toBe(sanitizePathPart('ab'));
    expect(sanitizePathPart('ab=')).toMatch(/^ab~h[0-9a-f]{8}$/);
  });

  it('escapes other unsafe characters and edge dots', () => {
    expect(sanitizePathPart('x:y')).toBe('x~3ay');
    expect(sanitizePathPart('a\\b')).toBe('a~5cb');
    expect(sanitizePathPart('.hidden')).toBe('~2ehidden');
    expect(sanitizePathPart('name.')).toBe('name~2e');
    expect(sanitizePathPart('~')).toBe('~7e');
    expect(sanitizePathPart('é')).toBe('~c3~a9');
    expect(sanitizePathPart('CON')).toBe('CON~');
  });

  it('refuses empty parts and parts with ..', () => {
    expect(codeOf(() => sanitizePathPart(''))).toBe(RTMS_ERROR_CODES.INVALID_OPTIONS);
    expect(codeOf(() => sanitizePathPart('..'))).toBe(RTMS_ERROR_CODES.INVALID_OPTIONS);
    expect(codeOf(() => sanitizePathPart('a/../b'))).toBe(RTMS_ERROR_CODES.INVALID_OPTIONS);
    expect(codeOf(() => sanitizePathPart('ok', 4))).toBe(RTMS_ERROR_CODES.INVALID_OPTIONS);
  });

  it('limits the length, with a hash that keeps long ids apart', () => {
    const a = sanitizePathPart(`${'x'.repeat(200)}a`);
    const b = sanitizePathPart(`${'x'.repeat(200)}b`);
    expect(a).toHaveLength(MAX_PATH_PART_CHARS);
    expect(b).toHaveLength(MAX_PATH_PART_CHARS);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^x+~h[0-9a-f]{8}$/);
    expect(sanitizePathPart('y'.repeat(40), 20)).toHaveLength(20);
  });
});

describe('recordingDir', () => {
  it('builds <dataDir>/recordings/<utc day>/<instance>/<stream>', () => {
    const dir = recordingDir('/data', new Date('2025-03-04T23:59:00Z'), '4Bv/aS+Tq5eQ2Y7zHfWh1A==', 'abc123');
    expect(dir).toBe(join('/data', 'recordings', '2025-03-04', '4Bv_aS-Tq5eQ2Y7zHfWh1A', 'abc123'));
  });

  it('refuses an invalid date and a traversing id', () => {
    expect(codeOf(() => recordingDir('/data', new Date(Number.NaN), 'm', 's'))).toBe(
      RTMS_ERROR_CODES.INVALID_OPTIONS,
    );
    expect(codeOf(() => recordingDir('/data', new Date(), '..', 's'))).toBe(RTMS_ERROR_CODES.INVALID_OPTIONS);
  });
});
