/** Human output: partition tables, totals and a live progress bar. Machines use --json instead. */
import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import type { PartitionState } from '../workflows/state';
import type { BackfillStatus } from './backfills';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const int = (n: number) => n.toLocaleString('en-US');

export function partitionTable(partitions: PartitionState[]): string {
  const table = new Table({
    head: [
      'partition',
      'status',
      'files',
      'bytes',
      'rows read',
      'merged',
      'dupes',
      'rejected',
      'attempts',
      'duration',
      'last error',
    ],
    style: { head: [], border: [] },
    colWidths: [null, null, null, null, null, null, null, null, null, null, 60] as unknown as number[],
    wordWrap: true,
  });
  for (const p of partitions) {
    const s = p.stats;
    table.push([
      p.key,
      p.status,
      s ? int(s.files) : '',
      s ? int(s.bytes) : '',
      s ? int(s.rowsRead) : '',
      s ? int(s.rowsMerged) : '',
      s ? int(s.duplicatesRemoved) : '',
      s ? int(s.rowsRejected) : '',
      s ? String(s.attempts) : '',
      s ? seconds(s.durationMs) : '',
      p.lastError ?? '',
    ]);
  }
  return table.toString();
}

export function totalsLine(status: BackfillStatus): string {
  const { counts, totals, total } = status;
  const parts = (['succeeded', 'empty', 'failed', 'cancelled', 'skipped', 'running', 'pending'] as const)
    .filter((k) => counts[k] > 0)
    .map((k) => `${counts[k]} ${k}`);
  return (
    `${status.backfillId}: ${status.state} (${status.workflowStatus.toLowerCase()}) — ${total} partitions: ${parts.join(', ') || 'none'}\n` +
    `rows read ${int(totals.rowsRead)}, merged ${int(totals.rowsMerged)}, duplicates removed ${int(totals.duplicatesRemoved)}, ` +
    `rejected ${int(totals.rowsRejected)}, files ${int(totals.files)}, bytes ${int(totals.bytes)}`
  );
}

export const doneCount = (s: BackfillStatus) =>
  s.counts.succeeded + s.counts.empty + s.counts.failed + s.counts.cancelled + s.counts.skipped;

/** A progress bar fed by progress snapshots; plain lines when stdout is not a terminal. */
export function progressBar(stream: NodeJS.WriteStream = process.stderr) {
  const bar = new SingleBar({
    format:
      '{bar} {percentage}% | {value}/{total} partitions | {running} running | {failed} failed | {rate} rows/s | ETA {eta_formatted}',
    stream,
    noTTYOutput: !stream.isTTY,
    notTTYSchedule: 5000,
    hideCursor: true,
    etaBuffer: 20,
  });
  let started = false;
  return {
    update(status: BackfillStatus) {
      const elapsedS = Math.max(1, (Date.now() - status.startedAt) / 1000);
      const payload = {
        running: status.counts.running,
        failed: status.counts.failed,
        rate: int(Math.round(status.totals.rowsRead / elapsedS)),
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
