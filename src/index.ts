/**
 * rtmskit: Zoom Realtime Media Streams for Node.js.
 */
export * from './protocol/index.js';
export * from './simulator/index.js';
export * from './webhook/index.js';
