/** Markdown for the Temporal UI's "current details" of a backfill: counts, rate, ETA, failures. */
import type { BackfillProgress } from './state';

const MAX_LISTED = 10;

export function renderDetails(progress: BackfillProgress, now: number): string {
  const { counts, totals, total } = progress;
  const done = counts.succeeded + counts.empty + counts.failed + counts.cancelled + counts.skipped;
  const elapsedS = Math.max(1, (now - progress.startedAt) / 1000);
  const rowsPerS = Math.round(totals.rowsRead / elapsedS);
  const remaining = total - done;
  const etaS = done > 0 && remaining > 0 ? Math.round((elapsedS / done) * remaining) : undefined;
  const lines = [
    `## Backfill ${progress.backfillId} — ${progress.state}`,
    '',
    `**${done} / ${total}** partitions done · ${counts.running} running (max ${progress.maxConcurrency}) · ${counts.pending} pending`,
    '',
    '| succeeded | empty | failed | cancelled | skipped | rows read | rows accepted | rows/s | ETA |',
    '|---|---|---|---|---|---|---|---|---|',
    `| ${counts.succeeded} | ${counts.empty} | ${counts.failed} | ${counts.cancelled} | ${counts.skipped} | ${totals.rowsRead} | ${totals.rowsAccepted} | ${rowsPerS} | ${etaS === undefined ? '—' : `${etaS}s`} |`,
  ];
  const partitions = progress.partitions ?? [];
  const running = partitions.filter((p) => p.status === 'running').slice(0, MAX_LISTED);
  if (running.length) lines.push('', `**Running:** ${running.map((p) => p.key).join(', ')}`);
  const failed = partitions.filter((p) => p.status === 'failed');
  if (failed.length) {
    lines.push('', '### Failures');
    for (const p of failed.slice(0, MAX_LISTED))
      lines.push(`- \`${p.key}\`: ${(p.lastError ?? '').slice(0, 300)}`);
    if (failed.length > MAX_LISTED) lines.push(`- … and ${failed.length - MAX_LISTED} more`);
  }
  return lines.join('\n');
}
