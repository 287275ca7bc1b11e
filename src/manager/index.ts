export * from './DeliveryLedger.js';
export * from './StreamManager.js';
