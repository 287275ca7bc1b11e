/** The SQLite store's rows, and the mapping between rows and records. */
import type { Product } from '../protocol/products.js';
import type { StreamRecord, StreamRecordPatch, StreamRecordState, Tombstone } from './Store.js';

export interface StreamRow {
  stream_id: string;
  product: string;
  instance_id: string;
  meeting_id: string | null;
  server_urls: string;
  state: string;
  started_at: number;
  updated_at: number;
  ended_at: number | null;
  stop_reason: number | null;
  recording_dir: string | null;
  last_started_event_ts: number;
}

export interface TombstoneRow {
  stream_id: string;
  product: string;
  instance_id: string;
  meeting_id: string | null;
  revoked_at: number;
  deleted: string;
}

export type StreamParams = {
  [K in keyof Omit<StreamRow, 'stream_id'>]: StreamRow[K] | null;
} & { stream_id: string };

export interface ClaimParams {
  key: string;
  now: number;
  expiresAt: number;
}

/** Binding parameters for a record or patch; `null` where a field is absent. */
export function toParams(record: StreamRecordPatch & { streamId: string }): StreamParams {
  return {
    stream_id: record.streamId,
    product: record.product ?? null,
    instance_id: record.instanceId ?? null,
    meeting_id: record.meetingId ?? null,
    server_urls: record.serverUrls === undefined ? null : JSON.stringify(record.serverUrls),
    state: record.state ?? null,
    started_at: record.startedAt ?? null,
    updated_at: record.updatedAt ?? null,
    ended_at: record.endedAt ?? null,
    stop_reason: record.stopReason ?? null,
    recording_dir: record.recordingDir ?? null,
    last_started_event_ts: record.lastStartedEventTs ?? null,
  };
}

export function fromRow(row: StreamRow): StreamRecord {
  const record: StreamRecord = {
    streamId: row.stream_id,
    product: row.product as Product,
    instanceId: row.instance_id,
    serverUrls: parseServerUrls(row.server_urls),
    state: row.state as StreamRecordState,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    lastStartedEventTs: row.last_started_event_ts,
  };
  if (row.meeting_id !== null) record.meetingId = row.meeting_id;
  if (row.ended_at !== null) record.endedAt = row.ended_at;
  if (row.stop_reason !== null) record.stopReason = row.stop_reason;
  if (row.recording_dir !== null) record.recordingDir = row.recording_dir;
  return record;
}

export function tombstoneOf(row: TombstoneRow): Tombstone {
  const tombstone: Tombstone = {
    streamId: row.stream_id,
    product: row.product as Product,
    instanceId: row.instance_id,
    revokedAt: row.revoked_at,
    deleted: JSON.parse(row.deleted) as Tombstone['deleted'],
  };
  if (row.meeting_id !== null) tombstone.meetingId = row.meeting_id;
  return tombstone;
}

function parseServerUrls(text: string): string[] {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.filter((url): url is string => typeof url === 'string') : [];
}
