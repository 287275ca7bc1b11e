/**
 * The keys of `media_server.server_urls` in SIGNALING_HAND_SHAKE_RESP: the one Zoom uses for each media
 * kind, and the spellings a client should also accept (reference §4.1, §10.1).
 */
import type { MediaKind } from './enums.js';

/** The key of the URL that serves every kind on one socket. */
export const ALL_MEDIA_URL_KEY = 'all';

/**
 * What Zoom's servers name each kind's URL. Screen share is `sharescreen`: that is the key both of
 * Zoom's RTMSManager libraries (JavaScript and Python) read, so a server naming it `deskshare` makes
 * them skip screen share.
 */
export const ZOOM_MEDIA_URL_KEYS: Readonly<Record<MediaKind, string>> = {
  audio: 'audio',
  video: 'video',
  deskshare: 'sharescreen',
  transcript: 'transcript',
  chat: 'chat',
};

/**
 * Keys a client tries, in order, for each kind's URL: Zoom's key, the other spellings seen in Zoom's
 * documents and samples, and finally the unified URL.
 */
export const MEDIA_URL_KEY_SPELLINGS: Readonly<Record<MediaKind, readonly string[]>> = {
  audio: ['audio', ALL_MEDIA_URL_KEY],
  video: ['video', ALL_MEDIA_URL_KEY],
  transcript: ['transcript', ALL_MEDIA_URL_KEY],
  deskshare: ['sharescreen', 'deskshare', 'share', ALL_MEDIA_URL_KEY],
  chat: ['chat', ALL_MEDIA_URL_KEY],
};
