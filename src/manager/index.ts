export * from './DeliveryLedger.js';
export * from './ownership.js';
export * from './StreamManager.js';
