/**
 * Worker metrics (prom-client) and the /metrics and /healthz endpoints. The Temporal SDK runtime
 * exports its own metrics on a loopback-only port; /metrics appends them, so one scrape gets both.
 * The names are the contract of deploy/grafana's dashboard.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ActivityMetrics } from '../activities/deps';

export function createMetrics(): ActivityMetrics & { registry: Registry } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'backfill_worker_' });
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const partitions = {
    started: counter('backfill_partitions_started_total', 'Partition load attempts started'),
    succeeded: counter(
      'backfill_partitions_succeeded_total',
      'Partition loads that succeeded (empty ones included)',
    ),
    failed: counter('backfill_partitions_failed_total', 'Partition load attempts that failed', ['type']),
    cancelled: counter('backfill_partitions_cancelled_total', 'Partition loads cancelled (rolled back)'),
  };
  const rows = {
    read: counter('backfill_rows_read_total', 'Records read from source files'),
    accepted: counter(
      'backfill_rows_accepted_total',
      'Rows in the deduped batches offered to the target (rows read minus duplicates and rejects)',
    ),
    written: counter(
      'backfill_rows_written_total',
      'Rows the target reported inserted or updated (a merge skips rows older than what it holds)',
    ),
    rejected: counter('backfill_rows_rejected_total', 'Bad records quarantined or dropped'),
    duplicates: counter('backfill_rows_duplicate_total', 'Rows removed as duplicates of a key'),
  };
  const bytes = counter('backfill_bytes_downloaded_total', 'Bytes of source files read or downloaded');
  const files = counter('backfill_files_processed_total', 'Source files staged');
  const s3Errors = counter('backfill_s3_request_errors_total', 'S3 requests that failed', ['code']);
  const conflicts = counter(
    'backfill_commit_conflicts_retried_total',
    'DuckLake commits refused by a concurrent writer and re-run from the staged batch',
  );
  const conflictSeconds = counter(
    'backfill_commit_conflict_seconds_total',
    'Seconds lost to DuckLake commit conflicts: the refused attempts and the waits before their re-runs',
  );
  const lockWaitSeconds = counter(
    'backfill_commit_lock_wait_seconds_total',
    "Seconds DuckLake commits waited for the table's commit lock (another worker was committing)",
  );
  const checks = counter(
    'backfill_checks_total',
    'Outcomes of declared checks (spec checks) by check name and outcome: passed, warned, dropped, failed',
    ['check', 'outcome'],
  );
  const activityDuration = new Histogram({
    name: 'backfill_activity_duration_seconds',
    help: 'Duration of one partition load attempt',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [registry],
  });
  const checksDuration = new Histogram({
    name: 'backfill_checks_duration_seconds',
    help: "Duration of one partition's declared checks (spec checks), before its commit",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const mergeDuration = new Histogram({
    name: 'backfill_merge_duration_seconds',
    help: 'Duration of the commit transaction (MERGE or overwrite) of one partition',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  return {
    registry,
    partitionStarted: () => partitions.started.inc(),
    partitionLoaded(result) {
      partitions.succeeded.inc();
      rows.read.inc(result.rowsRead);
      rows.accepted.inc(result.rowsAccepted);
      rows.written.inc(result.rowsWritten);
      rows.rejected.inc(result.rowsRejected);
      rows.duplicates.inc(result.duplicatesRemoved);
      activityDuration.observe(result.durationMs / 1000);
    },
    partitionFailed: (type, durationMs) => {
      partitions.failed.inc({ type });
      activityDuration.observe(durationMs / 1000);
    },
    partitionCancelled: () => partitions.cancelled.inc(),
    checked: (outcomes) => {
      for (const o of outcomes) checks.inc({ check: o.name, outcome: o.outcome });
    },
    fileStaged: (size) => {
      files.inc();
      bytes.inc(size);
    },
    merged: (durationMs) => mergeDuration.observe(durationMs / 1000),
    checksRan: (durationMs) => checksDuration.observe(durationMs / 1000),
    s3Error: (code) => s3Errors.inc({ code }),
    commitConflict: (seconds) => {
      conflicts.inc();
      conflictSeconds.inc(seconds);
    },
    commitLockWait: (seconds) => lockWaitSeconds.inc(seconds),
  };
}

export interface MetricsServer {
  port: number;
  close: () => Promise<void>;
}

/** Serves /metrics (ours + the SDK runtime's) and /healthz (200 while the worker runs). */
export async function serveMetrics(options: {
  registry: Registry;
  host: string;
  port: number;
  sdkMetricsUrl?: string;
  healthy: () => boolean;
}): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.url === '/healthz' || req.url === '/readyz') {
        const ok = options.healthy();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not running\n');
        return;
      }
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      let body = await options.registry.metrics();
      if (options.sdkMetricsUrl) {
        try {
          const sdk = await fetch(options.sdkMetricsUrl, { signal: AbortSignal.timeout(2000) });
          if (sdk.ok) body += `\n${await sdk.text()}`;
        } catch {
          // the SDK's exporter is best effort; our own metrics are still served
        }
      }
      res.writeHead(200, { 'content-type': options.registry.contentType }).end(body);
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
