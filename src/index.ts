/**
 * rtmskit: Zoom Realtime Media Streams for Node.js.
 *
 * The root entry holds what an app needs to take Zoom's streams: the protocol (enums, message types,
 * codec, signatures, the recovery table, `RtmsError`), the webhook receiver and its adapters, the stream
 * client and the manager, the REST client, and the verifier of rtmskit's own outbound webhooks. It loads no native module and none of the service's
 * dependencies. Recording sinks, stores, the service and the simulator have entries of their own:
 * `rtmskit/media`, `rtmskit/store`, `rtmskit/service`, `rtmskit/simulator`.
 */

export * from './client/index.js';
export * from './manager/index.js';
export * from './outputs/notify/index.js';
export * from './protocol/index.js';
export * from './rest/index.js';
export * from './webhook/index.js';
