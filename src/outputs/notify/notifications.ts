/**
 * Which bus events become notifications, and the notification each one becomes: its type, its body and
 * an id derived from the bus event, so the same event always gives the same id.
 */
import { createHash } from 'node:crypto';
import { StopReason } from '../../protocol/enums.js';
import type { NewNotification } from '../../store/outbox.js';
import type { BusEvent, BusEventType } from '../EventBus.js';
import type { NotificationBody, NotificationType } from './types.js';

/** The bus event each notification type is made from. */
export const NOTIFICATION_SOURCES = {
  'stream.started': 'streamStarted',
  'transcript.segment': 'transcript',
  'stream.ended': 'streamEnded',
  'recording.completed': 'recordingFinished',
} as const satisfies Record<NotificationType, BusEventType>;

const TYPE_OF = new Map<string, NotificationType>(
  Object.entries(NOTIFICATION_SOURCES).map(([type, source]) => [source, type as NotificationType]),
);

/** Characters of the hex digest kept in an id: 128 bits. */
const ID_HEX_CHARS = 32;

/**
 * The notification `event` becomes, when its type is one of `types`; undefined otherwise. A stream that
 * left this instance because another one of the fleet took it over (`released`) did not end, so it is
 * no `stream.ended`.
 */
export function notificationOf(
  event: BusEvent,
  types: ReadonlySet<NotificationType>,
): NewNotification | undefined {
  const type = TYPE_OF.get(event.type);
  if (type === undefined || !types.has(type)) return undefined;
  if (type === 'stream.ended' && event.data.reason === 'released') return undefined;
  const id = notificationId(event, type);
  const body: NotificationBody = {
    id,
    type,
    at: new Date(event.at).toISOString(),
    stream: {
      streamId: event.streamId,
      product: event.product,
      instanceId: event.instanceId,
      meetingId: event.meetingId ?? null,
    },
    data: dataOf(type, event.data),
  };
  return { id, streamId: event.streamId, type, body: JSON.stringify(body), createdAt: event.at };
}

/**
 * `ntf_` and 128 bits of SHA-256 over what makes the notification one of a kind, the same wherever and
 * whenever it is computed: a stream starts and ends once, whichever instance or process says so (a
 * restart resuming it, a fleet member taking it over), so its `stream.started` and `stream.ended` are
 * named by the stream, and each recording run's `recording.completed` by the stream and the run; the
 * outbox and receivers see a repeat as the same notification. A transcript segment is named by the bus
 * event that carried it.
 */
export function notificationId(event: BusEvent, type: NotificationType): string {
  const key =
    type === 'transcript.segment'
      ? `${event.origin}\n${event.id}`
      : type === 'recording.completed'
        ? `${event.streamId}\n${String(event.data.run ?? '')}`
        : event.streamId;
  const digest = createHash('sha256').update(`${type}\n${key}`).digest('hex');
  return `ntf_${digest.slice(0, ID_HEX_CHARS)}`;
}

function dataOf(type: NotificationType, data: Readonly<Record<string, unknown>>): Record<string, unknown> {
  switch (type) {
    case 'stream.started':
      return {};
    case 'stream.ended': {
      const stopReason = typeof data.stopReason === 'number' ? data.stopReason : null;
      return {
        reason: data.reason ?? null,
        stopReason,
        stopReasonName: stopReason === null ? null : (StopReason[stopReason] ?? null),
        ...(data.error === undefined ? {} : { error: data.error }),
      };
    }
    case 'recording.completed':
    case 'transcript.segment':
      return { ...data };
  }
}
