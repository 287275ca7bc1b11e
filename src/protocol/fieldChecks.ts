/** Checks an object's fields against a table of names and kinds; INVALID_FIELD names the one that fails. */
import type { DecodeError } from './codec.js';
import { MessageType } from './enums.js';

export type FieldKind = 'int' | 'number' | 'string' | 'bool' | 'object' | 'array' | 'id';
/** [field, kind, required] */
export type FieldSpec = readonly (readonly [string, FieldKind, boolean])[];

const KIND_TEXT: Readonly<Record<FieldKind, string>> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  bool: 'a boolean',
  object: 'an object',
  array: 'an array',
  id: 'a number or string',
};

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function invalidField(msgType: number, field: string, expected: string): DecodeError {
  return {
    code: 'INVALID_FIELD',
    message: `${MessageType[msgType] ?? `msg_type ${msgType}`}: field "${field}" must be ${expected}`,
    msgType,
    field,
  };
}

function matches(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'int':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'object':
      return isPlainObject(value);
    case 'array':
      return Array.isArray(value);
    case 'id':
      return typeof value === 'string' || Number.isInteger(value);
  }
}

/**
 * The first field of `obj` that breaks `spec`, as an error whose field is `prefix` + its name. A `null`
 * optional field is deleted, so that the message's types (`field?: T`) hold.
 */
export function checkFields(
  obj: Record<string, unknown>,
  spec: FieldSpec,
  msgType: number,
  prefix: string,
): DecodeError | undefined {
  for (let i = 0; i < spec.length; i++) {
    const [name, kind, required] = spec[i]!;
    const value = obj[name];
    if (value === undefined || value === null) {
      if (required) return invalidField(msgType, prefix + name, `present (${KIND_TEXT[kind]})`);
      if (value === null) delete obj[name];
      continue;
    }
    if (!matches(value, kind)) return invalidField(msgType, prefix + name, KIND_TEXT[kind]);
  }
  return undefined;
}
