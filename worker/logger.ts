/** One pino logger for the worker, its activities and the Temporal SDK's own logs; secrets redacted. */
import pino, { type Logger } from 'pino';

export const REDACT_PATHS = [
  '*.password',
  '*.secretAccessKey',
  '*.accessKeyId',
  '*.sessionToken',
  '*.apiKey',
  '*.authorization',
  '*.AWS_SECRET_ACCESS_KEY',
  '*.TEMPORAL_API_KEY',
  'apiKey',
  'password',
];

/** user:password@ in URIs is masked in every message. */
const URI_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi;
export const maskUriCredentials = (text: string) => text.replace(URI_CREDENTIALS, '$1***:***@');

export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'temporal-backfill' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? maskUriCredentials(a) : a)) as Parameters<typeof method>,
          );
        },
      },
    },
    options.destination,
  );
}
