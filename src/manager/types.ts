/**
 * The manager's types: the ids it tags events with, what starts a stream, its options, its outcomes and
 * its events.
 */
import type { ClosedEvent, ParticipantInfo, StreamEvents, StreamStatus } from '../client/events.js';
import type { Credentials, RtmsStreamOptions } from '../client/options.js';
import type { RtmsStream, StreamCounters } from '../client/RtmsStream.js';
import type { Product } from '../protocol/products.js';
import type { RtmsStartedEvent, WebhookEvent } from '../webhook/events.js';
import type { DeliveryLedger } from './DeliveryLedger.js';
import type { Ownership } from './ownership.js';

/** The ids attached to every event the manager re-emits. One object per stream, reused. */
export interface StreamRef {
  readonly streamId: string;
  readonly product: Product;
  readonly instanceId: string;
  readonly meetingId: string | undefined;
}

export type ManagerOutcome =
  /** A new stream: connecting. */
  | 'connecting'
  /** The same delivery again (a retry): nothing done. */
  | 'duplicate'
  /** A new `rtms_started` for a live stream: reconnecting to the new servers. */
  | 'failover'
  /** `rtms_interrupted`: reconnecting everything. */
  | 'reconnecting'
  /** `rtms_stopped`: the stream was closed. */
  | 'stopped'
  /** About a stream another instance of the fleet holds: handed to it. */
  | 'routed'
  /** Not about a stream this manager holds. */
  | 'ignored';

type Forwarded = { [K in keyof StreamEvents]: [ref: StreamRef, ...args: StreamEvents[K]] };

/**
 * Why a stream left the manager: how it closed, or `released` when another instance of the fleet took
 * it over (the stream goes on there; it did not end).
 */
export interface RemovedEvent extends Omit<ClosedEvent, 'reason'> {
  reason: ClosedEvent['reason'] | 'released';
}

export interface ManagerEvents extends Forwarded {
  streamAdded: [ref: StreamRef];
  streamRemoved: [ref: StreamRef, removed: RemovedEvent];
  webhookHandled: [event: WebhookEvent, outcome: ManagerOutcome];
}

export type StreamDefaults = Partial<
  Omit<RtmsStreamOptions, 'streamId' | 'instanceId' | 'product' | 'serverUrls' | 'credentials'>
>;

/**
 * What the manager needs to open a stream: from an `rtms_started` webhook, or from the registry after a
 * restart (then without `event`).
 */
export interface StreamStart {
  streamId: string;
  instanceId: string;
  product: Product;
  /** Signaling URLs, best first. */
  serverUrls: readonly string[];
  meetingId?: string;
  /** The `rtms_started` that started it; absent for a stream resumed after a restart. */
  event?: RtmsStartedEvent;
}

/** The start of a stream an `rtms_started` webhook announces. */
export function startOf(event: RtmsStartedEvent): StreamStart {
  return {
    streamId: event.streamId,
    instanceId: event.instanceId,
    product: event.product,
    serverUrls: event.serverUrls,
    ...(event.meetingId === undefined ? {} : { meetingId: event.meetingId }),
    event,
  };
}

export interface StreamManagerOptions {
  /** App credentials, or a resolver per product (meetings use the General app, sessions the Video SDK app). */
  credentials: Credentials | ((product: Product, start: StreamStart) => Credentials);
  /** Options for every stream, or per stream. */
  stream?: StreamDefaults | ((start: StreamStart) => StreamDefaults);
  ledger?: DeliveryLedger;
  /** How long delivery keys are remembered. Default 2 h. */
  deliveryTtlMs?: number;
  /** Builds streams (tests inject fakes). */
  createStream?: (options: RtmsStreamOptions) => RtmsStream;
  /**
   * Sockets of all streams that may handshake at once; the others wait their turn. Default
   * {@link DEFAULT_MAX_CONCURRENT_HANDSHAKES}.
   */
  maxConcurrentHandshakes?: number;
  /**
   * Who holds which stream when several managers serve one app (a fleet). Default: this manager holds
   * every stream it opens.
   */
  ownership?: Ownership;
}

/** What a restarted service knows of a stream it held. */
export type ResumeInfo = Omit<StreamStart, 'event'>;

export interface StreamSnapshot {
  streamId: string;
  product: Product;
  instanceId: string;
  meetingId: string | undefined;
  status: StreamStatus;
  startedAt: number;
  participants: ParticipantInfo[];
  counters: StreamCounters;
}
