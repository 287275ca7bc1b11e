/**
 * What the live outputs write to Redis, in one place: the key and channel names, the fields of an event
 * entry and of a media entry, and the binary form of a frame relayed to another instance. `P` is the key
 * prefix (default `rtmskit:`), as for the store's keys.
 *
 * | key or channel                     | type            | bound                                      |
 * |------------------------------------|-----------------|--------------------------------------------|
 * | `P events`                         | stream          | `MAXLEN ~` (`RTMSKIT_REDIS_EVENTS_MAXLEN`) |
 * | `P media:<streamId>`               | stream          | `MAXLEN ~` (`RTMSKIT_REDIS_MEDIA_MAXLEN`), expires an hour after its last entry |
 * | `P live-interest:<streamId>`       | string (kinds)  | expires {@link INTEREST_TTL_MS} after its last refresh |
 * | `P live-interest` (channel)        | pub/sub         | an instance wants a stream's frames        |
 * | `P live:<streamId>` (channel)      | pub/sub         | the frames of a stream, while wanted       |
 */
import {
  BUS_EVENT_TYPES,
  type BusEvent,
  type BusEventType,
  type MediaFrameOut,
  type MediaKindOut,
} from './EventBus.js';

/** An interest key lives this long unless refreshed; its holder relays frames no longer than that after. */
export const INTEREST_TTL_MS = 5_000;

/** The keys and channels of one prefix. */
export class LiveKeys {
  readonly events: string;
  readonly interestChannel: string;
  private readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
    this.events = `${prefix}events`;
    this.interestChannel = `${prefix}live-interest`;
  }

  media(streamId: string): string {
    return `${this.prefix}media:${streamId}`;
  }

  interest(streamId: string): string {
    return `${this.prefix}live-interest:${streamId}`;
  }

  live(streamId: string): string {
    return `${this.prefix}live:${streamId}`;
  }

  /** The stream id of a `live:<streamId>` channel, or undefined for another channel. */
  liveStreamOf(channel: string): string | undefined {
    const head = `${this.prefix}live:`;
    return channel.startsWith(head) ? channel.slice(head.length) : undefined;
  }
}

/** The field/value pairs of an event entry in `P events`. */
export function eventFields(event: BusEvent): string[] {
  const fields = [
    'id',
    event.id,
    'type',
    event.type,
    'streamId',
    event.streamId,
    'product',
    event.product,
    'instanceId',
    event.instanceId,
  ];
  if (event.meetingId !== undefined) fields.push('meetingId', event.meetingId);
  fields.push('at', String(event.at), 'origin', event.origin, 'data', JSON.stringify(event.data));
  return fields;
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(BUS_EVENT_TYPES);

/**
 * An event entry read back; `'own'` for one `self` published (known before its data is parsed), and
 * undefined for an entry that is not an event this version reads.
 */
export function eventOf(fields: readonly string[], self: string): BusEvent | 'own' | undefined {
  const value = (name: string): string | undefined => {
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
    return undefined;
  };
  const origin = value('origin');
  if (origin === self) return 'own';
  if (origin === undefined) return undefined;
  const type = value('type');
  const id = value('id');
  const streamId = value('streamId');
  const product = value('product');
  const instanceId = value('instanceId');
  const data = value('data');
  if (type === undefined || !KNOWN_TYPES.has(type) || id === undefined || streamId === undefined)
    return undefined;
  if (product === undefined || instanceId === undefined || data === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  return {
    id,
    type: type as BusEventType,
    streamId,
    product: product as BusEvent['product'],
    instanceId,
    meetingId: value('meetingId'),
    at: Number(value('at')),
    origin,
    data: parsed as Record<string, unknown>,
  };
}

/** The field/value pairs of a media entry in `P media:<streamId>`; `data` is the frame's own bytes. */
export function mediaFields(frame: MediaFrameOut): (string | Buffer)[] {
  const fields: (string | Buffer)[] = ['kind', frame.kind, 'userId', String(frame.userId)];
  if (frame.userName !== undefined) fields.push('userName', frame.userName);
  fields.push('timestamp', String(frame.timestamp), 'codec', String(frame.codec));
  if (frame.sampleRate !== undefined) fields.push('sampleRate', String(frame.sampleRate));
  if (frame.channels !== undefined) fields.push('channels', String(frame.channels));
  fields.push('data', frame.data);
  return fields;
}

/** Bytes of the length in front of a relayed frame's header. */
const RELAY_LENGTH_BYTES = 2;
/** A relayed frame's header (JSON) is never longer than this. */
const RELAY_MAX_HEADER_BYTES = 4_096;
/** A longer user name is cut in a relayed frame, so that its header always fits. */
const RELAY_MAX_USER_NAME_CHARS = 512;
const RELAY_KINDS: ReadonlySet<string> = new Set<MediaKindOut>(['audio', 'video', 'deskshare']);

interface RelayHeader {
  kind: MediaKindOut;
  userId: number;
  userName?: string;
  timestamp: number;
  codec: number;
  sampleRate?: number;
  channels?: number;
}

/**
 * A frame as published on `P live:<streamId>`: a 2-byte big-endian header length, the header (JSON:
 * kind, userId, userName, timestamp, codec, sampleRate, channels), then the frame's bytes as received.
 */
export function encodeRelayFrame(frame: MediaFrameOut): Buffer {
  const header: RelayHeader = {
    kind: frame.kind,
    userId: frame.userId,
    timestamp: frame.timestamp,
    codec: frame.codec,
  };
  if (frame.userName !== undefined) header.userName = frame.userName.slice(0, RELAY_MAX_USER_NAME_CHARS);
  if (frame.sampleRate !== undefined) header.sampleRate = frame.sampleRate;
  if (frame.channels !== undefined) header.channels = frame.channels;
  const head = Buffer.from(JSON.stringify(header));
  const out = Buffer.allocUnsafe(RELAY_LENGTH_BYTES + head.length + frame.data.length);
  out.writeUInt16BE(head.length, 0);
  head.copy(out, RELAY_LENGTH_BYTES);
  frame.data.copy(out, RELAY_LENGTH_BYTES + head.length);
  return out;
}

/** A relayed frame read back, or undefined when the message is not one. */
export function decodeRelayFrame(streamId: string, message: Buffer): MediaFrameOut | undefined {
  if (message.length < RELAY_LENGTH_BYTES) return undefined;
  const length = message.readUInt16BE(0);
  if (length > RELAY_MAX_HEADER_BYTES || message.length < RELAY_LENGTH_BYTES + length) return undefined;
  let header: RelayHeader;
  try {
    header = JSON.parse(
      message.toString('utf8', RELAY_LENGTH_BYTES, RELAY_LENGTH_BYTES + length),
    ) as RelayHeader;
  } catch {
    return undefined;
  }
  if (!RELAY_KINDS.has(header.kind) || typeof header.userId !== 'number') return undefined;
  return {
    kind: header.kind,
    streamId,
    userId: header.userId,
    userName: header.userName,
    timestamp: header.timestamp,
    codec: header.codec,
    sampleRate: header.sampleRate,
    channels: header.channels,
    data: message.subarray(RELAY_LENGTH_BYTES + length),
  };
}

/** What the interest key and announcement hold: the stream and the kinds wanted. */
export interface Interest {
  streamId: string;
  kinds: MediaKindOut[];
}

export function encodeInterest(interest: Interest): string {
  return JSON.stringify(interest);
}

export function decodeInterest(text: string): Interest | undefined {
  try {
    const value = JSON.parse(text) as Partial<Interest>;
    if (typeof value.streamId !== 'string' || !Array.isArray(value.kinds)) return undefined;
    const kinds = value.kinds.filter((k): k is MediaKindOut => RELAY_KINDS.has(k));
    return { streamId: value.streamId, kinds };
  } catch {
    return undefined;
  }
}
