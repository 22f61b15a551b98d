/**
 * Connects a worker to Temporal, waiting for a server that is not up yet: compose and Kubernetes
 * start workers before or alongside their server. Retries with capped exponential backoff, one log
 * line per attempt, and gives up with one clear error after the configured deadline.
 */
import { NativeConnection, TransportError, type NativeConnectionOptions } from '@temporalio/worker';
import type { Logger } from 'pino';

export class TemporalUnreachableError extends Error {
  override name = 'TemporalUnreachableError';
}

export interface ConnectRetry {
  /** Give up after this long (BACKFILL_CONNECT_TIMEOUT). */
  timeoutMs: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * The readable part of a transport error: the OS's words from tonic's debug text
 * (`... Os { code: 111, kind: ConnectionRefused, message: "Connection refused" } ...`), else the
 * message's first line.
 */
export function shortReason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const os = /message: "([^"]+)"/.exec(text);
  if (os) return os[1]!;
  const tonic = /ConnectError\("([^"]+)"/.exec(text);
  if (tonic) return tonic[1]!;
  return text.split('\n')[0]!.slice(0, 200);
}

const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;

export async function connectWithRetry(
  options: NativeConnectionOptions & { address: string },
  retry: ConnectRetry,
  logger: Pick<Logger, 'warn'>,
  connect: (o: NativeConnectionOptions) => Promise<NativeConnection> = (o) => NativeConnection.connect(o),
): Promise<NativeConnection> {
  const started = Date.now();
  const deadline = started + retry.timeoutMs;
  let delay = retry.initialDelayMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect(options);
    } catch (err) {
      // Only a server that cannot be reached is worth waiting for; a refused key or bad TLS
      // configuration will not get better by itself.
      if (!(err instanceof TransportError)) throw err;
      const reason = shortReason(err);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new TemporalUnreachableError(
          `gave up waiting for Temporal at ${options.address} after ${seconds(Date.now() - started)} ` +
            `(${attempt} attempts): ${reason} (is the server up? check TEMPORAL_ADDRESS, or raise BACKFILL_CONNECT_TIMEOUT)`,
        );
      }
      logger.warn(
        { address: options.address, attempt, reason },
        `waiting for Temporal at ${options.address} (attempt ${attempt}): ${reason}`,
      );
      await new Promise((r) => setTimeout(r, Math.min(delay, left)));
      delay = Math.min(delay * 2, retry.maxDelayMs ?? 5000);
    }
  }
}
