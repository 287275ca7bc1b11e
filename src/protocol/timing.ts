/**
 * Zoom's timing facts (RTMS-PROTOCOL.md §6, §7): keep-alives, reconnect windows and the audio buffer.
 * The client waits inside these windows; the simulator enforces them.
 */

/** Zoom sends KEEP_ALIVE_REQ every 10 s on each socket. */
export const KEEP_ALIVE_INTERVAL_MS = 10_000;
/** Zoom drops a socket after three unanswered keep-alives. */
export const KEEP_ALIVE_MAX_MISSED = 3;
/** After signaling is lost Zoom keeps the stream one minute for the app to reconnect. */
export const SIGNALING_RECONNECT_WINDOW_MS = 60_000;
/** After a media socket is lost Zoom keeps it 65 s for the app to reconnect. */
export const MEDIA_RECONNECT_WINDOW_MS = 65_000;
/** Zoom buffers up to 60 s of audio before the app connects, and across interruptions. */
export const AUDIO_BUFFER_MS = 60_000;
/** A new socket that sends no handshake within 10 s is closed by Zoom. */
export const HANDSHAKE_WAIT_MS = 10_000;
/** The `protocol_version` of the signaling handshake. */
export const PROTOCOL_VERSION = 1;
