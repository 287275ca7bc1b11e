/**
 * Audio metadata (META_DATA_AUDIO, msg 23): the AI interpreter's state, typed after Zoom's SDK
 * (`AiInterpreter`, `AiTargetLanguage`), and its decoder.
 *
 * Zoom documents only the message number; its SDK exposes the interpreter as `lid`, `timestamp`,
 * `channelNum`, `sampleRate` and up to 100 `targets` of `{ lid, toneId, voiceId, engine }`. On the wire
 * rtmskit expects Zoom's usual snake_case (`content.ai_interpreter.channel_num` …) and also reads the
 * SDK's camelCase spelling; a decoded message always has the snake_case shape below.
 */
import type { DecodeError } from './codec.js';
import { MessageType } from './enums.js';
import { invalidField, isPlainObject } from './fieldChecks.js';

/** Most target languages one interpreter carries (the SDK's fixed array). */
export const MAX_INTERPRETER_TARGETS = 100;

/** One language the interpreter renders the speech into. */
export interface AiTargetLanguage {
  /** Language id of the target (RTMS_TRANSCRIPT_LANGUAGE numbering). */
  lid: number;
  /** Tone (dialect or variant) of the target language. */
  tone_id?: number;
  /** The voice model rendering it. */
  voice_id?: string;
  /** The AI engine, e.g. `zoom_ai`. */
  engine?: string;
}

/** The AI interpreter attached to the audio stream. */
export interface AiInterpreterInfo {
  /** Language id of the source speech. */
  lid: number;
  /** Milliseconds. */
  timestamp?: number;
  /** Channels of the interpreted audio. */
  channel_num?: number;
  /** Sample rate of the interpreted audio, Hz. */
  sample_rate?: number;
  /** The active target languages, at most {@link MAX_INTERPRETER_TARGETS}. */
  targets: AiTargetLanguage[];
}

/** `content` of a metadata message. */
export interface MetadataContent {
  ai_interpreter?: AiInterpreterInfo;
  [key: string]: unknown;
}

const TYPE = MessageType.META_DATA_AUDIO;

/** The first of `names` that `obj` holds. */
function pick(obj: Record<string, unknown>, ...names: string[]): unknown {
  for (const name of names) if (obj[name] !== undefined && obj[name] !== null) return obj[name];
  return undefined;
}

function optionalInt(value: unknown): boolean {
  return value === undefined || Number.isInteger(value);
}

function target(raw: unknown, path: string): AiTargetLanguage | DecodeError {
  if (!isPlainObject(raw)) return invalidField(TYPE, path, 'an object');
  const lid = raw.lid;
  const toneId = pick(raw, 'tone_id', 'toneId');
  const voiceId = pick(raw, 'voice_id', 'voiceId');
  const engine = pick(raw, 'engine');
  if (!Number.isInteger(lid)) return invalidField(TYPE, `${path}.lid`, 'present (an integer)');
  if (!optionalInt(toneId)) return invalidField(TYPE, `${path}.tone_id`, 'an integer');
  if (voiceId !== undefined && typeof voiceId !== 'string')
    return invalidField(TYPE, `${path}.voice_id`, 'a string');
  if (engine !== undefined && typeof engine !== 'string')
    return invalidField(TYPE, `${path}.engine`, 'a string');
  return {
    lid: lid as number,
    ...(toneId === undefined ? {} : { tone_id: toneId as number }),
    ...(voiceId === undefined ? {} : { voice_id: voiceId as string }),
    ...(engine === undefined ? {} : { engine: engine as string }),
  };
}

function interpreter(raw: Record<string, unknown>, path: string): AiInterpreterInfo | DecodeError {
  const lid = raw.lid;
  const timestamp = pick(raw, 'timestamp');
  const channels = pick(raw, 'channel_num', 'channelNum');
  const rate = pick(raw, 'sample_rate', 'sampleRate');
  const targets = raw.targets;
  if (!Number.isInteger(lid)) return invalidField(TYPE, `${path}.lid`, 'present (an integer)');
  if (timestamp !== undefined && (typeof timestamp !== 'number' || !Number.isFinite(timestamp)))
    return invalidField(TYPE, `${path}.timestamp`, 'a number');
  if (!optionalInt(channels)) return invalidField(TYPE, `${path}.channel_num`, 'an integer');
  if (!optionalInt(rate)) return invalidField(TYPE, `${path}.sample_rate`, 'an integer');
  if (!Array.isArray(targets)) return invalidField(TYPE, `${path}.targets`, 'present (an array)');
  if (targets.length > MAX_INTERPRETER_TARGETS)
    return invalidField(TYPE, `${path}.targets`, `at most ${MAX_INTERPRETER_TARGETS} entries`);
  const out: AiTargetLanguage[] = [];
  for (let i = 0; i < targets.length; i++) {
    const t = target(targets[i], `${path}.targets.${i}`);
    if ('code' in t) return t;
    out.push(t);
  }
  return {
    lid: lid as number,
    ...(timestamp === undefined ? {} : { timestamp: timestamp as number }),
    ...(channels === undefined ? {} : { channel_num: channels as number }),
    ...(rate === undefined ? {} : { sample_rate: rate as number }),
    targets: out,
  };
}

/** Where an interpreter sits in `content`: `ai_interpreter`, `aiInterpreter`, or `content` itself. */
function located(content: Record<string, unknown>): { raw: unknown; path: string } | undefined {
  const nested = pick(content, 'ai_interpreter', 'aiInterpreter');
  if (nested !== undefined) return { raw: nested, path: 'content.ai_interpreter' };
  return Array.isArray(content.targets) ? { raw: content, path: 'content' } : undefined;
}

function decodeInterpreter(content: Record<string, unknown>): AiInterpreterInfo | DecodeError | undefined {
  const found = located(content);
  if (found === undefined) return undefined;
  if (!isPlainObject(found.raw)) return invalidField(TYPE, found.path, 'an object');
  return interpreter(found.raw, found.path);
}

/**
 * META_DATA_AUDIO: checks the interpreter under `content.ai_interpreter` (or `aiInterpreter`) and stores
 * it back as `content.ai_interpreter`, snake_case. An interpreter laid out flat in `content` is checked
 * and left as it came; metadata without an interpreter passes through.
 */
export function finishAudioMetadata(msg: Record<string, unknown>): DecodeError | undefined {
  const content = msg.content;
  if (content === undefined) return undefined;
  if (!isPlainObject(content)) return invalidField(TYPE, 'content', 'an object');
  const decoded = decodeInterpreter(content);
  if (decoded === undefined) return undefined;
  if ('code' in decoded) return decoded;
  if (located(content)?.path === 'content') return undefined;
  delete content.aiInterpreter;
  content.ai_interpreter = decoded;
  return undefined;
}

/** The interpreter a decoded META_DATA_AUDIO carries, whichever layout it came in. */
export function interpreterOf(content: MetadataContent | undefined): AiInterpreterInfo | undefined {
  if (content === undefined) return undefined;
  if (content.ai_interpreter !== undefined) return content.ai_interpreter;
  const decoded = decodeInterpreter(content);
  return decoded === undefined || 'code' in decoded ? undefined : decoded;
}
