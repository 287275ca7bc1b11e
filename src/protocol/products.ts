/**
 * The Zoom products that stream over RTMS, their webhook event names and the id each one signs with.
 */
import type { InstanceIdKey } from './messages.js';

export type Product = 'meeting' | 'webinar' | 'session' | 'contact_center' | 'phone';

export const PRODUCTS: readonly Product[] = ['meeting', 'webinar', 'session', 'contact_center', 'phone'];

export interface ProductInfo {
  product: Product;
  /** Prefix of the product's lifecycle events: `${prefix}started|stopped|interrupted`. */
  eventPrefix: string;
  /** The payload key holding the instance id, which is also the handshake key. */
  instanceKey: InstanceIdKey;
  /** Keys tried, in order, when reading the instance id from a webhook payload. */
  instanceKeys: readonly InstanceIdKey[];
}

export const PRODUCT_INFO: Readonly<Record<Product, ProductInfo>> = {
  meeting: {
    product: 'meeting',
    eventPrefix: 'meeting.rtms_',
    instanceKey: 'meeting_uuid',
    instanceKeys: ['meeting_uuid'],
  },
  webinar: {
    product: 'webinar',
    eventPrefix: 'webinar.rtms_',
    instanceKey: 'webinar_uuid',
    instanceKeys: ['webinar_uuid', 'meeting_uuid'],
  },
  session: {
    product: 'session',
    eventPrefix: 'session.rtms_',
    instanceKey: 'session_id',
    instanceKeys: ['session_id'],
  },
  contact_center: {
    product: 'contact_center',
    eventPrefix: 'contact_center.voice_rtms_',
    instanceKey: 'engagement_id',
    instanceKeys: ['engagement_id', 'session_id'],
  },
  phone: {
    product: 'phone',
    eventPrefix: 'phone.rtms_',
    instanceKey: 'call_id',
    instanceKeys: ['call_id'],
  },
};

export type LifecycleKind = 'started' | 'stopped' | 'interrupted';

export interface LifecycleEventName {
  product: Product;
  kind: LifecycleKind;
}

/** Names seen in Zoom's own sample libraries for the same events. */
const ALIAS_PREFIXES: ReadonlyArray<readonly [string, Product]> = [
  ['contactcenter.rtms_', 'contact_center'],
  ['phone.call_rtms_', 'phone'],
];

/** The product and kind of an RTMS lifecycle event name, or `undefined` for any other event. */
export function parseLifecycleEventName(event: string): LifecycleEventName | undefined {
  const underscore = event.lastIndexOf('_');
  if (underscore < 0) return undefined;
  const kind = event.slice(underscore + 1);
  if (kind !== 'started' && kind !== 'stopped' && kind !== 'interrupted') return undefined;
  const prefix = event.slice(0, underscore + 1);
  for (const info of Object.values(PRODUCT_INFO)) {
    if (info.eventPrefix === prefix) return { product: info.product, kind };
  }
  for (const [alias, product] of ALIAS_PREFIXES) {
    if (alias === prefix) return { product, kind };
  }
  return undefined;
}

/** The webhook event name of a product's lifecycle event. */
export function lifecycleEventName(product: Product, kind: LifecycleKind): string {
  return `${PRODUCT_INFO[product].eventPrefix}${kind}`;
}

/** Concurrency and other account-level RTMS events. */
export const CONCURRENCY_EVENTS = {
  NEAR_LIMIT: 'rtms.concurrency_near_limit',
  LIMITED: 'rtms.concurrency_limited',
  MEETING_LIMITED: 'meeting.rtms_concurrency_limited',
} as const;

/** The URL validation (CRC) event. */
export const URL_VALIDATION_EVENT = 'endpoint.url_validation';
