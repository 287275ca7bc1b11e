/**
 * rtmskit: Zoom Realtime Media Streams for Node.js.
 */

export * from './client/index.js';
export * from './manager/index.js';
export * from './media/index.js';
export * from './protocol/index.js';
export * from './rest/index.js';
export * from './service/index.js';
export * from './simulator/index.js';
export * from './store/index.js';
export * from './webhook/index.js';
