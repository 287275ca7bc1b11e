/**
 * The outbound webhooks' settings: where to POST (`RTMSKIT_NOTIFY_URL`), the secret that signs each
 * request (`RTMSKIT_NOTIFY_SECRET`) and which notifications go (`RTMSKIT_NOTIFY_EVENTS`). The URL comes
 * from configuration only, so a webhook cannot point the service elsewhere; the secret is never echoed.
 */
import {
  DEFAULT_NOTIFICATION_TYPES,
  NOTIFICATION_TYPES,
  type NotificationType,
} from '../outputs/notify/types.js';
import { type Problems, readChoiceList, type Sourced } from './configValues.js';

/** Shorter secrets are refused: the HMAC is only as strong as its key. */
export const MIN_NOTIFY_SECRET_LENGTH = 16;

export interface NotifyConfig {
  /** `http:` or `https:` URL, without user name or password. */
  url: string;
  /** Signs every request; never logged. */
  secret: string;
  /** The notification types sent. */
  events: NotificationType[];
}

/** The outbound webhooks' configuration, or undefined when `RTMSKIT_NOTIFY_URL` is not set. */
export function readNotify(
  inputs: { url: Sourced | undefined; secret: Sourced | undefined; events: Sourced | undefined },
  problems: Problems,
): NotifyConfig | undefined {
  const { url, secret, events } = inputs;
  if (url === undefined) {
    if (secret !== undefined || events !== undefined) {
      const set = [secret?.source, events?.source].filter(Boolean).join(' and ');
      problems.push(
        `${set} ${secret && events ? 'are' : 'is'} set but RTMSKIT_NOTIFY_URL is not: set the URL outbound webhooks go to, or unset ${set}`,
      );
    }
    return undefined;
  }
  const target = readUrl(url, problems);
  let secretOk = false;
  if (secret === undefined) {
    problems.push(
      `RTMSKIT_NOTIFY_URL is set but RTMSKIT_NOTIFY_SECRET is not: every notification is signed; generate a secret (openssl rand -hex 32) and give the receiver the same one`,
    );
  } else if (secret.value.length < MIN_NOTIFY_SECRET_LENGTH) {
    // The value itself is never repeated: it is a secret, even a bad one.
    problems.push(
      `${secret.source} is ${secret.value.length} characters, fewer than ${MIN_NOTIFY_SECRET_LENGTH}: generate a longer one (openssl rand -hex 32)`,
    );
  } else secretOk = true;
  const types =
    events === undefined
      ? [...DEFAULT_NOTIFICATION_TYPES]
      : events.value.toLowerCase() === 'all'
        ? [...NOTIFICATION_TYPES]
        : readChoiceList(events, problems, NOTIFICATION_TYPES);
  if (target === undefined || !secretOk || types === undefined) return undefined;
  return { url: target, secret: (secret as Sourced).value, events: types };
}

function readUrl(input: Sourced, problems: Problems): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(input.value);
  } catch {
    problems.push(
      `${input.source} ${JSON.stringify(input.value)} is not a URL: write it as https://host/path`,
    );
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    problems.push(`${input.source} must be an http: or https: URL, got ${parsed.protocol}`);
    return undefined;
  }
  if (parsed.username !== '' || parsed.password !== '') {
    // Credentials in the URL would reach logs and error messages; the signature authenticates instead.
    problems.push(
      `${input.source} holds a user name or password: remove it; the receiver authenticates requests by their signature (RTMSKIT_NOTIFY_SECRET)`,
    );
    return undefined;
  }
  return parsed.href;
}
