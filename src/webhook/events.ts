/**
 * Typed webhook events, parsed from Zoom's envelopes. RTMS lifecycle payloads are flat under `payload`
 * (Zoom's OpenAPI); the `payload.object` layout some guides show is accepted too.
 */

import type { InstanceIdKey } from '../protocol/messages.js';
import {
  CONCURRENCY_EVENTS,
  type LifecycleKind,
  PRODUCT_INFO,
  type Product,
  parseLifecycleEventName,
} from '../protocol/products.js';

interface RtmsEventBase {
  /** The Zoom event name, e.g. `meeting.rtms_started`. */
  event: string;
  product: Product;
  /** The signed id: meeting_uuid, webinar_uuid, session_id, engagement_id or call_id. */
  instanceId: string;
  /** The payload key the instance id came from. */
  instanceKey: InstanceIdKey;
  streamId: string;
  /** `event_ts`, milliseconds. */
  eventTs: number;
  /**
   * `event:streamId:eventTs`. The same key again is a delivery retry; a new `rtms_started` key for a
   * known stream is a server failover.
   */
  deliveryKey: string;
  operatorId?: string;
  accountId?: string;
  /** Numeric meeting or webinar id (April 2026 payloads). */
  meetingId?: string;
  /** Video SDK session name. */
  sessionKey?: string;
  /** The payload as received (flattened when it came as `payload.object`). */
  payload: Readonly<Record<string, unknown>>;
}

export interface RtmsStartedEvent extends RtmsEventBase {
  kind: 'started';
  /** Signaling URLs, `wss://` first. */
  serverUrls: string[];
  /**
   * Contact Center: the call's "custom fields" (SIP data such as headers the trunk passed), as Zoom sent
   * them under `custom_fields`. Their names are set per account, so they stay a loose record.
   */
  customFields?: Readonly<Record<string, unknown>>;
}

export interface RtmsStoppedEvent extends RtmsEventBase {
  kind: 'stopped';
  /** RTMS_STOP_REASON; 0 (UNDEFINED) when Zoom sent none. */
  stopReason: number;
}

export interface RtmsInterruptedEvent extends RtmsEventBase {
  kind: 'interrupted';
}

export interface ConcurrencyNearLimitEvent {
  kind: 'concurrency_near_limit';
  event: string;
  eventTs: number;
  deliveryKey: string;
  limit: number;
  current: number;
  percentage: number;
  payload: Readonly<Record<string, unknown>>;
}

export interface ConcurrencyLimitedEvent {
  kind: 'concurrency_limited';
  event: string;
  eventTs: number;
  deliveryKey: string;
  current?: number;
  operatorId?: string;
  /** The id of the instance that could not start, when Zoom says. */
  instanceId?: string;
  payload: Readonly<Record<string, unknown>>;
}

export type RtmsLifecycleEvent = RtmsStartedEvent | RtmsStoppedEvent | RtmsInterruptedEvent;
export type WebhookEvent = RtmsLifecycleEvent | ConcurrencyNearLimitEvent | ConcurrencyLimitedEvent;

/** Why an event could not be parsed: the field that is missing or malformed. */
export interface EventFieldError {
  field: string;
  message: string;
}

export type ParseEventResult =
  | { ok: true; event: WebhookEvent }
  | { ok: false; error: EventFieldError }
  | { ok: true; event: undefined };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Flat payload fields, merged over `payload.object` when that wrapper is present. */
function flattenPayload(payload: Record<string, unknown>): Record<string, unknown> {
  const object = payload.object;
  if (!isPlainObject(object)) return payload;
  const { object: _wrapper, ...rest } = payload;
  return { ...object, ...rest };
}

function idString(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * `server_urls` may be one URL, a comma-separated string or an array. Returns the URLs with `wss://`
 * ones first, order otherwise kept.
 */
export function normalizeServerUrls(value: unknown): string[] {
  const parts: unknown[] = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  const urls: string[] = [];
  for (const part of parts) {
    if (typeof part !== 'string') continue;
    const url = part.trim();
    if (url.length > 0 && !urls.includes(url)) urls.push(url);
  }
  const secure = urls.filter((u) => u.toLowerCase().startsWith('wss://'));
  return [...secure, ...urls.filter((u) => !u.toLowerCase().startsWith('wss://'))];
}

function optionalFields(payload: Record<string, unknown>) {
  const out: Pick<RtmsEventBase, 'operatorId' | 'accountId' | 'meetingId' | 'sessionKey'> = {};
  const operatorId = idString(payload.operator_id);
  const accountId = idString(payload.account_id);
  const meetingId = idString(payload.meeting_id ?? payload.webinar_id);
  const sessionKey = idString(payload.session_key);
  if (operatorId !== undefined) out.operatorId = operatorId;
  if (accountId !== undefined) out.accountId = accountId;
  if (meetingId !== undefined) out.meetingId = meetingId;
  if (sessionKey !== undefined) out.sessionKey = sessionKey;
  return out;
}

function missing(field: string, what = 'is required'): { ok: false; error: EventFieldError } {
  return { ok: false, error: { field, message: `field "${field}" ${what}` } };
}

function parseLifecycle(
  event: string,
  product: Product,
  kind: LifecycleKind,
  eventTs: number,
  rawPayload: Record<string, unknown>,
): ParseEventResult {
  const payload = flattenPayload(rawPayload);
  const info = PRODUCT_INFO[product];
  let instanceKey: InstanceIdKey | undefined;
  let instanceId: string | undefined;
  for (const key of info.instanceKeys) {
    instanceId = idString(payload[key]);
    if (instanceId !== undefined) {
      instanceKey = key;
      break;
    }
  }
  if (instanceId === undefined || instanceKey === undefined) return missing(`payload.${info.instanceKey}`);
  const streamId = idString(payload.rtms_stream_id);
  if (streamId === undefined) return missing('payload.rtms_stream_id');
  const base: RtmsEventBase = {
    event,
    product,
    instanceId,
    instanceKey,
    streamId,
    eventTs,
    deliveryKey: `${event}:${streamId}:${eventTs}`,
    ...optionalFields(payload),
    payload,
  };
  switch (kind) {
    case 'started': {
      const serverUrls = normalizeServerUrls(payload.server_urls);
      if (serverUrls.length === 0) return missing('payload.server_urls', 'must hold at least one URL');
      const customFields = payload.custom_fields ?? payload.customFields;
      return {
        ok: true,
        event: { ...base, kind, serverUrls, ...(isPlainObject(customFields) ? { customFields } : {}) },
      };
    }
    case 'stopped': {
      const reason = payload.stop_reason;
      if (reason !== undefined && reason !== null && !Number.isInteger(reason)) {
        return missing('payload.stop_reason', 'must be an integer');
      }
      return { ok: true, event: { ...base, kind, stopReason: (reason as number | undefined | null) ?? 0 } };
    }
    case 'interrupted':
      return { ok: true, event: { ...base, kind } };
  }
}

function intField(payload: Record<string, unknown>, name: string): number | undefined {
  const value = payload[name];
  return Number.isInteger(value) ? (value as number) : undefined;
}

/**
 * Parses a Zoom event envelope into a typed {@link WebhookEvent}. Events rtmskit does not handle give
 * `{ ok: true, event: undefined }`.
 */
export function parseWebhookEvent(envelope: Record<string, unknown>): ParseEventResult {
  const event = envelope.event;
  if (typeof event !== 'string' || event.length === 0) return missing('event');
  const lifecycle = parseLifecycleEventName(event);
  const isConcurrency =
    event === CONCURRENCY_EVENTS.NEAR_LIMIT ||
    event === CONCURRENCY_EVENTS.LIMITED ||
    event === CONCURRENCY_EVENTS.MEETING_LIMITED;
  if (lifecycle === undefined && !isConcurrency) return { ok: true, event: undefined };

  const eventTs = envelope.event_ts;
  if (typeof eventTs !== 'number' || !Number.isFinite(eventTs))
    return missing('event_ts', 'must be a number');
  if (!isPlainObject(envelope.payload)) return missing('payload', 'must be an object');

  if (lifecycle) return parseLifecycle(event, lifecycle.product, lifecycle.kind, eventTs, envelope.payload);

  const payload = flattenPayload(envelope.payload);
  const deliveryKey = `${event}:${eventTs}`;
  if (event === CONCURRENCY_EVENTS.NEAR_LIMIT) {
    const limit = intField(payload, 'concurrency_limit');
    const current = intField(payload, 'concurrency_number');
    const percentage = intField(payload, 'percentage');
    if (limit === undefined) return missing('payload.concurrency_limit');
    if (current === undefined) return missing('payload.concurrency_number');
    if (percentage === undefined) return missing('payload.percentage');
    return {
      ok: true,
      event: {
        kind: 'concurrency_near_limit',
        event,
        eventTs,
        deliveryKey,
        limit,
        current,
        percentage,
        payload,
      },
    };
  }
  const limited: ConcurrencyLimitedEvent = {
    kind: 'concurrency_limited',
    event,
    eventTs,
    deliveryKey,
    payload,
  };
  const current = intField(payload, 'concurrency_number');
  const operatorId = idString(payload.operator_id);
  const ids = isPlainObject(payload.id_field) ? payload.id_field : payload;
  const instanceId = idString(ids.meeting_uuid ?? ids.webinar_uuid ?? ids.session_id);
  if (current !== undefined) limited.current = current;
  if (operatorId !== undefined) limited.operatorId = operatorId;
  if (instanceId !== undefined) limited.instanceId = instanceId;
  return { ok: true, event: limited };
}
