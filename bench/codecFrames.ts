/**
 * The frames the codec benchmark decodes: a 20 ms L16 audio message and a transcript message, as the JSON
 * Zoom sends (the same bytes serve as a text frame and as a binary frame).
 */
import { DataMessageAttribute, MessageType, TranscriptLanguage } from '../src/protocol/enums.js';

/** 20 ms of 16 kHz mono L16 (320 samples, 640 bytes): a 440 Hz tone with a quieter 1 kHz overtone. */
function l16Frame(): Buffer {
  const samples = 320;
  const buf = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    const t = i / 16_000;
    const v = 9_000 * Math.sin(2 * Math.PI * 440 * t) + 3_000 * Math.sin(2 * Math.PI * 1_000 * t);
    buf.writeInt16LE(Math.round(v), i * 2);
  }
  return buf;
}

export function audioFrame(): Buffer {
  const pcm = l16Frame();
  return Buffer.from(
    JSON.stringify({
      msg_type: MessageType.MEDIA_DATA_AUDIO,
      content: {
        user_id: 16_778_240,
        user_name: 'Ada Lovelace',
        data: pcm.toString('base64'),
        length: pcm.length,
        timestamp: 1_727_384_349_000,
      },
    }),
  );
}

export function transcriptFrame(): Buffer {
  return Buffer.from(
    JSON.stringify({
      msg_type: MessageType.MEDIA_DATA_TRANSCRIPT,
      content: {
        user_id: 16_778_240,
        user_name: 'Ada Lovelace',
        data:
          'Let us move the quarterly review to Thursday so that ' +
          'the whole team can look at the final numbers.',
        start_time: 1_727_384_349_000,
        end_time: 1_727_384_352_480,
        timestamp: 1_727_384_349_000,
        language: TranscriptLanguage.ENGLISH,
        attribute: DataMessageAttribute.ATTR_NEW,
      },
    }),
  );
}
