/** Routes the Temporal SDK's runtime and worker logs into the service's pino logger (once per process). */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The SDK's level for a pino level (the SDK has no fatal or silent). */
export function sdkLogLevel(level: string): LogLevel {
  const upper = level.toUpperCase();
  if (upper === 'TRACE' || upper === 'DEBUG' || upper === 'INFO' || upper === 'WARN') return upper;
  return 'ERROR';
}

let installed = false;

export function installRuntime(logger: Logger, level: LogLevel = 'INFO', sdkMetricsAddress?: string): void {
  if (installed) return;
  installed = true;
  const sdkLogger = logger.child({ component: 'temporal-sdk' });
  Runtime.install({
    ...(sdkMetricsAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: sdkMetricsAddress } } } }
      : {}),
    logger: new DefaultLogger(level, (entry) => {
      sdkLogger[LEVELS[entry.level]]({ ...(entry.meta ?? {}) }, entry.message);
    }),
  });
}
