/**
 * Where recordings live: `<dataDir>/recordings/<yyyy-mm-dd>/<meeting-or-session>/<streamId>/`.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { RtmsError } from '../protocol/errors.js';

/** The folder under the data dir that holds every recording. */
export const RECORDINGS_DIR = 'recordings';

/** Longest path part {@link sanitizePathPart} returns, in characters, by default. */
export const MAX_PATH_PART_CHARS = 96;

/** Hex characters of the hash that keeps shortened or ambiguous parts unique. */
const HASH_CHARS = 8;

/** Characters kept as they are: safe in file names on every OS and in shells. */
const SAFE_CHAR = /[A-Za-z0-9._-]/;

/** A padded base64 string: mapped to base64url, it cannot collide with another base64 string. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Names Windows reserves whatever the extension. */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, HASH_CHARS);
}

function escapeChar(ch: string): string {
  let out = '';
  for (const byte of Buffer.from(ch, 'utf8')) out += `~${byte.toString(16).padStart(2, '0')}`;
  return out;
}

/**
 * Turns an id into one safe path part. Zoom uuids are base64 (`/`, `+`, `=`): they become base64url
 * (`/` → `_`, `+` → `-`, padding dropped), which stays readable and, for base64 input, unique. Any other
 * unsafe character (and a leading or trailing dot) becomes `~` and its UTF-8 bytes in hex. When the
 * mapping could make two ids equal (non-base64 input with `+`, `/` or `=`), or the part is cut to
 * `maxLength`, `~h` and a hash of the original are appended.
 *
 * @throws RtmsError `INVALID_OPTIONS` for an empty part or one containing `..`.
 */
export function sanitizePathPart(part: string, maxLength: number = MAX_PATH_PART_CHARS): string {
  if (part.length === 0) {
    throw RtmsError.invalidOptions('a recording path part is empty', 'pass the stream or meeting id');
  }
  if (part.includes('..')) {
    throw RtmsError.invalidOptions(
      `a recording path part contains '..': ${JSON.stringify(part)}`,
      'ids with ".." are refused so that no id can name a folder outside the data dir',
    );
  }
  if (!Number.isInteger(maxLength) || maxLength < 2 * HASH_CHARS) {
    throw RtmsError.invalidOptions(`maxLength ${maxLength} is too small`, `use at least ${2 * HASH_CHARS}`);
  }
  const base64 = part.length % 4 === 0 && BASE64.test(part);
  const body = part.replace(/=+$/, '');
  let out = '';
  let ambiguous = body.length !== part.length;
  const chars = [...body];
  chars.forEach((ch, i) => {
    if (ch === '+' || ch === '/') {
      out += ch === '+' ? '-' : '_';
      ambiguous = true;
    } else if (ch === '.' && (i === 0 || i === chars.length - 1)) {
      out += escapeChar(ch);
    } else {
      out += SAFE_CHAR.test(ch) ? ch : escapeChar(ch);
    }
  });
  if (out.length === 0) out = escapeChar('=');
  if (WINDOWS_RESERVED.test(out)) out = `${out}~`;
  if (ambiguous && !base64) out = `${out}~h${shortHash(part)}`;
  if (out.length > maxLength) out = `${out.slice(0, maxLength - HASH_CHARS - 2)}~h${shortHash(part)}`;
  return out;
}

/**
 * The folder of one stream's recording: `<dataDir>/recordings/<yyyy-mm-dd>/<instance>/<streamId>`, the
 * day in UTC, `instance` the meeting uuid, webinar uuid, session id or engagement id.
 *
 * @throws RtmsError `INVALID_OPTIONS` for an invalid date or an id {@link sanitizePathPart} refuses.
 */
export function recordingDir(dataDir: string, startedAt: Date, instance: string, streamId: string): string {
  if (Number.isNaN(startedAt.getTime())) {
    throw RtmsError.invalidOptions('the recording start date is invalid', 'pass a valid Date');
  }
  const day = startedAt.toISOString().slice(0, 10);
  return join(dataDir, RECORDINGS_DIR, day, sanitizePathPart(instance), sanitizePathPart(streamId));
}
