/**
 * What each product adds to a stream: the shape of its instance id, and the parts of the script only it
 * plays (a Contact Center call's IVR phase, a Zoom Phone call's events, a meeting's chat group).
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Product } from '../protocol/products.js';
import type { ScenarioOptions } from './content/scenario.js';

/** Zoom Phone call ids are 19-digit decimal strings. */
const CALL_ID_DIGITS = 19;

/**
 * A fresh instance id: an `engm_` engagement id (Contact Center), a decimal call id (Zoom Phone), else
 * a base64 UUID like a meeting's (which may hold `/`, `+` and `=`).
 */
export function instanceIdFor(product: Product): string {
  switch (product) {
    case 'contact_center':
      return `engm_${randomBytes(12).toString('hex')}`;
    case 'phone': {
      let id = String(randomInt(1, 10));
      while (id.length < CALL_ID_DIGITS) id += String(randomInt(0, 10));
      return id;
    }
    default:
      return randomBytes(16).toString('base64');
  }
}

/** The script's product-specific parts; `interpretation` is the AI interpreter switch. */
export function scenarioExtras(
  product: Product,
  ivr: boolean,
  interpretation: boolean | undefined,
): Pick<ScenarioOptions, 'ivr' | 'callEvents' | 'chatGroups' | 'interpretation'> {
  return {
    ivr: product === 'contact_center' && ivr,
    callEvents: product === 'phone',
    chatGroups: product === 'meeting' || product === 'webinar',
    interpretation: interpretation ?? false,
  };
}

/** The simulated Contact Center entry number the caller dialled. */
const ZCC_ENTRY_NUMBER = '+15551199000';

/**
 * The "custom fields" object of `contact_center.voice_rtms_started`: SIP data about the call. Zoom names
 * the object, not its keys (they follow the account's SIP trunk); these are illustrative, derived from
 * the engagement id so a test can predict them.
 */
export function zccCustomFields(engagementId: string, callerNumber: string): Record<string, string> {
  return {
    sip_call_id: `${engagementId.replace(/^engm_/, '')}@sip.zcc.sim`,
    sip_from: `sip:${callerNumber}@pstn.sim`,
    sip_to: `sip:${ZCC_ENTRY_NUMBER}@zcc.sim`,
    x_customer_id: `CUST-${engagementId.slice(-6).toUpperCase()}`,
  };
}
