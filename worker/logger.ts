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

/** Masks URI credentials in every string of a logged object (errors go through the serializer). */
function maskStrings(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskUriCredentials(value);
  if (depth > 8 || value === null || typeof value !== 'object' || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => maskStrings(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskStrings(v, depth + 1)]));
}

function maskedError(err: Error): pino.SerializedError {
  const serialized = pino.stdSerializers.err(err);
  return maskStrings(serialized) as pino.SerializedError;
}

export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'temporal-backfill' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: maskedError },
      formatters: { log: (object) => maskStrings(object) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a) => (typeof a === 'string' ? maskUriCredentials(a) : a));
          // logger.error(err) takes its message from the error: give it the masked one.
          const [first] = masked;
          if (masked.length === 1 && first instanceof Error) masked.push(maskUriCredentials(first.message));
          method.apply(this, masked as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
}
