/**
 * The service's logger: pino, pretty on a terminal, JSON otherwise, with every secret redacted.
 */
import { type DestinationStream, type Logger, type LoggerOptions as PinoOptions, pino } from 'pino';

/** Paths of values that must never reach a log line. */
export const REDACTED_PATHS = [
  'clientSecret',
  'secretToken',
  'signature',
  'adminToken',
  'redisPassword',
  'password',
  'token',
  'access_token',
  'secret',
  '*.secret',
  '*.clientSecret',
  '*.secretToken',
  '*.signature',
  '*.adminToken',
  '*.redisPassword',
  '*.access_token',
  'app.clientSecret',
  'app.secretToken',
  'videoSdk.clientSecret',
  'videoSdk.secretToken',
  'rest.clientSecret',
  '*.*.clientSecret',
  '*.*.secretToken',
  '*.*.signature',
  '*.*.adminToken',
  '*.headers.authorization',
  '*.headers["x-zm-signature"]',
  '*.*.headers.authorization',
  'req.headers.authorization',
  'req.headers["x-zm-signature"]',
  'headers.authorization',
  'headers["x-zm-signature"]',
];

export interface LoggerOptions {
  level: string;
  /** Human-readable output (default: when stdout is a terminal). */
  pretty?: boolean;
  /** Where JSON lines go (default stdout). */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  const base: PinoOptions = {
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: null,
  };
  if (pretty) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  return options.destination ? pino(base, options.destination as DestinationStream) : pino(base);
}
