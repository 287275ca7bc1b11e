export { voiceParticipantOf } from './eventReaders.js';
export * from './events.js';
export { DEFAULT_MAX_CONCURRENT_HANDSHAKES, type HandshakeGate } from './handshakeGate.js';
export {
  CLOSE_TIMEOUT_MS,
  CONNECT_TIMEOUT_MS,
  type Credentials,
  DEAD_SOCKET_MS,
  DEFAULT_EVENTS,
  defaultEventsFor,
  HANDSHAKE_TIMEOUT_MS,
  MEDIA_WINDOW_MS,
  type RtmsStreamOptions,
  SIGNALING_WINDOW_MS,
  type StreamTimeouts,
} from './options.js';
export { RtmsStream, type StreamCounters } from './RtmsStream.js';
export * from './reconnectPolicy.js';
export { checkServerUrl } from './serverUrls.js';
