/** Zoom's answer to `media_params.transcript` and `.chat`: confirmed text parameters, or a refusal. */
import { PROTOCOL_DEFAULT_PARAMS } from '../protocol/defaults.js';
import { ContentType, StatusCode } from '../protocol/enums.js';
import { isValidTranscriptLanguage } from '../protocol/mediaRules.js';
import type { ChatParams, TranscriptParams } from '../protocol/messages.js';
import { type Rejection, reject } from './mediaParamsRejection.js';

export function negotiateTranscript(raw: Record<string, unknown>): Required<TranscriptParams> | Rejection {
  const defaults = PROTOCOL_DEFAULT_PARAMS.transcript;
  const contentType = raw.content_type ?? defaults.content_type;
  if (contentType !== ContentType.TEXT) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_TRANSCRIPT_CONTENT_TYPE,
      'transcript.content_type must be 5 (TEXT)',
    );
  }
  // Older RTMSManager versions send `language`; Zoom's Python library rewrites it to `src_language` (§4.2).
  const languageKey = raw.src_language == null && raw.language != null ? 'language' : 'src_language';
  const srcLanguage = raw[languageKey] ?? defaults.src_language;
  if (!isValidTranscriptLanguage(srcLanguage)) {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_TRANSCRIPT_SOURCE_LANGUAGE,
      `transcript.${languageKey} must be an integer from -1 (NONE) to 36 (VIETNAMESE)`,
    );
  }
  // Zoom has no status code of its own for enable_lid; the kind-wide one is the closest.
  const enableLid = raw.enable_lid ?? defaults.enable_lid;
  if (typeof enableLid !== 'boolean') {
    return reject(
      StatusCode.STATUS_INVALID_MEDIA_TRANSCRIPT_PARAMS,
      'transcript.enable_lid must be true or false',
    );
  }
  return { content_type: contentType, src_language: srcLanguage, enable_lid: enableLid };
}

export function negotiateChat(raw: Record<string, unknown>): Required<ChatParams> | Rejection {
  const contentType = raw.content_type ?? PROTOCOL_DEFAULT_PARAMS.chat.content_type;
  if (contentType !== ContentType.TEXT) {
    return reject(StatusCode.STATUS_INVALID_MEDIA_CHAT_CONTENT_TYPE, 'chat.content_type must be 5 (TEXT)');
  }
  return { content_type: contentType };
}
