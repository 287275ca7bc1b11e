/** A refused `media_params`: the status code and reason Zoom answers with, and checks every kind shares. */
import type { StatusCode } from '../protocol/enums.js';

export interface Rejection {
  ok: false;
  status: StatusCode;
  reason: string;
}

export function reject(status: StatusCode, reason: string): Rejection {
  return { ok: false, status, reason };
}

export function isRejection<T>(value: T | Rejection): value is Rejection {
  return typeof value === 'object' && value !== null && 'ok' in value && value.ok === false;
}

/** A JSON object: arrays are refused too, since Zoom's parser would not read keys from one. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
