/** Human output: partition tables, totals and a live progress bar. Machines use --json instead. */
import { Format, SingleBar, type GenericFormatter, type Options, type Params } from 'cli-progress';
import { checksSummary } from '../common/check-summary';
import type { ShardStats } from '../common/types';
import type { BackfillStatus } from './backfills';
import { CHILD_RESULTS_LIMIT } from './backfill-runs';
import type { PartitionView } from './run-merge';
import { type Column, formatTable } from './table';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const int = (n: number) => n.toLocaleString('en-US');

const num = (header: string): Column => ({ header, align: 'right' });

/**
 * One line per partition; with `runs`, the run each outcome came from (a backfill with several);
 * a CHECKS column when any partition has check outcomes (`2 ok, 1 warn, 1 drop(12)`, `FAIL volume`).
 */
export function partitionTable(partitions: PartitionView[], options: { runs?: boolean } = {}): string {
  const checks = partitions.some((p) => p.stats?.checks?.length);
  // Sharded partitions show shards done / total (and how many a retry reused).
  const sharded = partitions.some((p) => p.stats?.shards);
  const columns: Column[] = [
    { header: 'partition' },
    { header: 'status' },
    ...(options.runs ? [num('run')] : []),
    ...(sharded ? [num('shards')] : []),
    num('files'),
    num('bytes'),
    num('rows read'),
    num('accepted'),
    num('dupes'),
    num('rejected'),
    num('attempts'),
    num('duration'),
    ...(checks ? [{ header: 'checks' }] : []),
    { header: 'last error' },
  ];
  const rows = partitions.map((p) => {
    // Live stats of a running partition carry only its shards: its counts are not known yet.
    const s = p.stats?.live ? undefined : p.stats;
    return [
      p.key,
      p.status,
      ...(options.runs ? [p.run ?? ''] : []),
      ...(sharded ? [shardCell(p.stats?.shards)] : []),
      s ? int(s.files) : '',
      s ? int(s.bytes) : '',
      s ? int(s.rowsRead) : '',
      s ? int(s.rowsAccepted) : '',
      s ? int(s.duplicatesRemoved) : '',
      s ? int(s.rowsRejected) : '',
      s ? String(s.attempts) : '',
      s ? seconds(s.durationMs) : '',
      ...(checks ? [checksSummary(s?.checks)] : []),
      p.lastError ?? '',
    ];
  });
  return formatTable(columns, rows);
}

const shardCell = (shards: ShardStats | undefined) =>
  shards
    ? `${int(shards.done)}/${int(shards.total)}${shards.reused ? ` (${int(shards.reused)} reused)` : ''}`
    : '';

export function totalsLine(status: BackfillStatus): string {
  const { counts, totals, total } = status;
  const parts = (['succeeded', 'empty', 'failed', 'cancelled', 'skipped', 'running', 'pending'] as const)
    .filter((k) => counts[k] > 0)
    .map((k) => `${counts[k]} ${k}`);
  return (
    `${status.backfillId}: ${stateLabel(status.state, status.workflowStatus)} — ${total} partitions` +
    `${status.runs > 1 ? ` over ${status.runs} runs` : ''}: ${parts.join(', ') || 'none'}\n` +
    `rows read ${int(totals.rowsRead)}, accepted ${int(totals.rowsAccepted)}, written ${int(totals.rowsWritten)}, duplicates removed ${int(totals.duplicatesRemoved)}, ` +
    `rejected ${int(totals.rowsRejected)}, files ${int(totals.files)}, bytes ${int(totals.bytes)}`
  );
}

/** The controller's state and Temporal's status of the run, said once when they agree. */
export function stateLabel(state: string, workflowStatus: string): string {
  const temporal = workflowStatus.toLowerCase();
  return temporal === state ? state : `${state} (${temporal})`;
}

const BAR_FORMAT =
  '{bar} {percentage}% | {value}/{total} partitions | {running} running | {failed} failed | {rate} rows/s | ETA {eta_text}';

/**
 * cli-progress's time format, but `--` while there is no estimate: before any partition ends (or
 * while none does) the rate is zero and the library hands over 0, 'INF' or 'NULL', which its
 * formatter prints as `0s` or `NFs`.
 */
export function etaText(params: Params, options: Options): string {
  if (params.value >= params.total) return '0s';
  const eta = params.eta as number | string;
  return typeof eta === 'number' && Number.isFinite(eta) && eta > 0
    ? Format.TimeFormat(eta, options, 5)
    : '--';
}

const formatBar: GenericFormatter = (options, params, payload: Record<string, unknown>) =>
  Format.Formatter({ ...options, format: BAR_FORMAT }, params, {
    ...payload,
    eta_text: etaText(params, options),
  });

/** Where a status came from when no worker answered, and what to do about it. */
export function sourceNotes(status: BackfillStatus): string[] {
  return [
    ...(status.source === 'server'
      ? [
          `note: no worker answered, so this view is from the server's record (children's close status; stats of at most ${CHILD_RESULTS_LIMIT} of them)`,
        ]
      : []),
    ...(status.hint ? [`hint: ${status.hint}`] : []),
  ];
}

export const doneCount = (s: BackfillStatus) =>
  s.counts.succeeded + s.counts.empty + s.counts.failed + s.counts.cancelled + s.counts.skipped;

/** A progress bar fed by progress snapshots; plain lines when stdout is not a terminal. */
export function progressBar(stream: NodeJS.WriteStream = process.stderr) {
  const bar = new SingleBar({
    format: formatBar,
    stream,
    noTTYOutput: !stream.isTTY,
    notTTYSchedule: 5000,
    hideCursor: true,
    etaBuffer: 20,
  });
  let started = false;
  let seen: { rows: number; at: number } | undefined;
  return {
    update(status: BackfillStatus) {
      // Totals over several runs include earlier runs' rows: the rate is then what this watch saw.
      seen ??= { rows: status.totals.rowsRead, at: Date.now() };
      const since = status.runs > 1 ? seen : { rows: 0, at: status.startedAt };
      const elapsedS = Math.max(1, (Date.now() - since.at) / 1000);
      const payload = {
        running: status.counts.running,
        failed: status.counts.failed,
        rate: int(Math.round((status.totals.rowsRead - since.rows) / elapsedS)),
      };
      if (!started) {
        bar.start(status.total, doneCount(status), payload);
        started = true;
      } else {
        bar.setTotal(status.total);
        bar.update(doneCount(status), payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
