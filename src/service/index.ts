export {
  BUS_EVENT_TYPES,
  type BusEvent,
  type BusEventType,
  EventBus,
} from '../outputs/EventBus.js';
export { Notifier, type NotifierOptions } from '../outputs/notify/Notifier.js';
export { type NotifyRetryPolicy, notifyRetryPolicy } from '../outputs/notify/retryPolicy.js';
export { type AppCredentials, type ConfigFlags, loadConfig, SETTINGS, type ServiceConfig } from './config.js';
export { createLogger, REDACTED_PATHS } from './logger.js';
export { ServiceMetrics } from './metrics.js';
export { REGISTRY_HEARTBEAT_MS, RtmsService, type ServiceOptions } from './Service.js';
