/**
 * What rtmskit's outbound webhooks are: their types, their body, and the headers that sign them. A
 * receiver needs only this and `verifyNotification`; nothing here loads a service dependency.
 */

/** Every notification type, in the order a stream produces them. */
export const NOTIFICATION_TYPES = [
  'stream.started',
  'transcript.segment',
  'stream.ended',
  'recording.completed',
] as const;

export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** The types sent unless `RTMSKIT_NOTIFY_EVENTS` says otherwise; `transcript.segment` is opt-in. */
export const DEFAULT_NOTIFICATION_TYPES: readonly NotificationType[] = [
  'stream.started',
  'stream.ended',
  'recording.completed',
];

/** The stream a notification is about. */
export interface NotificationStream {
  /** Zoom's `rtms_stream_id`. */
  streamId: string;
  /** `meeting`, `webinar`, `session`, `contact_center` or `phone`. */
  product: string;
  /** Zoom's instance id: meeting uuid, session id, engagement id… */
  instanceId: string;
  /** The meeting (or webinar) number, when Zoom gave one. */
  meetingId: string | null;
}

/** The JSON body of every notification. */
export interface NotificationBody<Data = Record<string, unknown>> {
  /** Unique and the same on every attempt: dedupe on it. Also in `x-rtmskit-event-id`. */
  id: string;
  type: NotificationType;
  /** When it happened, ISO 8601 (UTC). */
  at: string;
  stream: NotificationStream;
  data: Data;
}

/** The signature scheme version, as Zoom's own webhooks use it. */
export const NOTIFY_SIGNATURE_VERSION = 'v0';

/** The `user-agent` of every notification request: the format's version, not the package's. */
export const NOTIFY_USER_AGENT = 'rtmskit-notifications/1';

/** The headers of a notification request, lower-case. */
export const NOTIFY_HEADERS = {
  /** `v0=` + hex HMAC-SHA256(secret, `v0:{timestamp}:{body}`). */
  signature: 'x-rtmskit-signature',
  /** Seconds since the epoch when this attempt was sent, as signed: new on every attempt. */
  timestamp: 'x-rtmskit-request-timestamp',
  /** The notification's `id`. */
  eventId: 'x-rtmskit-event-id',
} as const;
