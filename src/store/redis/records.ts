/**
 * Stream records as Redis hashes and tombstones as JSON strings, both ways. A hash holds a field only for
 * a value that is present, so an absent optional field comes back absent, never `null` or `undefined`.
 */
import type { Product } from '../../protocol/products.js';
import type { StreamRecord, StreamRecordPatch, StreamRecordState, Tombstone } from '../Store.js';

/** The record's fields a hash holds (the id is in the key), and how each is written. */
const FIELDS = {
  product: 'text',
  instanceId: 'text',
  meetingId: 'text',
  serverUrls: 'json',
  state: 'text',
  startedAt: 'number',
  updatedAt: 'number',
  endedAt: 'number',
  stopReason: 'number',
  recordingDir: 'text',
  lastStartedEventTs: 'number',
} as const satisfies Record<Exclude<keyof StreamRecord, 'streamId'>, 'text' | 'number' | 'json'>;

type Field = keyof typeof FIELDS;

const FIELD_NAMES = Object.keys(FIELDS) as Field[];

/**
 * `field, value, field, value…` for every field of `patch` whose value is not `undefined` (`streamId`
 * is never one: it is the key).
 */
export function hashPairs(patch: StreamRecordPatch): string[] {
  const pairs: string[] = [];
  for (const field of FIELD_NAMES) {
    const value = patch[field];
    if (value === undefined) continue;
    pairs.push(field, FIELDS[field] === 'json' ? JSON.stringify(value) : String(value));
  }
  return pairs;
}

/** The record a hash holds, or `undefined` for an empty hash (no such key). */
export function recordOf(streamId: string, hash: Record<string, string>): StreamRecord | undefined {
  if (hash.state === undefined) return undefined;
  const record: StreamRecord = {
    streamId,
    product: (hash.product ?? '') as Product,
    instanceId: hash.instanceId ?? '',
    serverUrls: serverUrlsOf(hash.serverUrls),
    state: hash.state as StreamRecordState,
    startedAt: Number(hash.startedAt),
    updatedAt: Number(hash.updatedAt),
    lastStartedEventTs: Number(hash.lastStartedEventTs),
  };
  if (hash.meetingId !== undefined) record.meetingId = hash.meetingId;
  if (hash.endedAt !== undefined) record.endedAt = Number(hash.endedAt);
  if (hash.stopReason !== undefined) record.stopReason = Number(hash.stopReason);
  if (hash.recordingDir !== undefined) record.recordingDir = hash.recordingDir;
  return record;
}

export function tombstoneJson(tombstone: Tombstone): string {
  const { streamId, product, instanceId, meetingId, revokedAt, deleted } = tombstone;
  return JSON.stringify({ streamId, product, instanceId, meetingId, revokedAt, deleted });
}

/** The tombstone a JSON string holds (`JSON.stringify` left out an absent `meetingId`). */
export function tombstoneOf(json: string): Tombstone {
  const parsed = JSON.parse(json) as Tombstone;
  const tombstone: Tombstone = {
    streamId: parsed.streamId,
    product: parsed.product,
    instanceId: parsed.instanceId,
    revokedAt: parsed.revokedAt,
    deleted: parsed.deleted,
  };
  if (parsed.meetingId !== undefined) tombstone.meetingId = parsed.meetingId;
  return tombstone;
}

function serverUrlsOf(text: string | undefined): string[] {
  if (text === undefined) return [];
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.filter((url): url is string => typeof url === 'string') : [];
}
