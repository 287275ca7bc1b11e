/** What a receiver of rtmskit's outbound webhooks needs: their types, headers and the verifier. */
export {
  NOTIFY_TIMESTAMP_TOLERANCE_SEC,
  type NotificationHeaders,
  notificationSignature,
  type VerifiedNotification,
  type VerifyNotificationOptions,
  verifyNotification,
} from './signature.js';
export {
  DEFAULT_NOTIFICATION_TYPES,
  NOTIFICATION_TYPES,
  NOTIFY_HEADERS,
  NOTIFY_SIGNATURE_VERSION,
  type NotificationBody,
  type NotificationStream,
  type NotificationType,
} from './types.js';
