export { type AppCredentials, type ConfigFlags, loadConfig, SETTINGS, type ServiceConfig } from './config.js';
export { createLogger, REDACTED_PATHS } from './logger.js';
export { ServiceMetrics } from './metrics.js';
export { REGISTRY_HEARTBEAT_MS, RtmsService, type ServiceOptions } from './Service.js';
