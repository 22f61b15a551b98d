/** Markdown for the Temporal UI's "current details" of a backfill: counts, rate, ETA, failures. */
import type { OverRuns } from './earlier-runs';
import type { BackfillProgress } from './state';

const MAX_LISTED = 10;

/**
 * The details of this run, or with `over` (a run of a backfill id that has run before), each
 * partition's latest outcome across all runs and totals over them; the rate and ETA stay this run's.
 */
export function renderDetails(progress: BackfillProgress, now: number, over?: OverRuns): string {
  const { total } = progress;
  const counts = over?.counts ?? progress.counts;
  const totals = over?.totals ?? progress.totals;
  const doneOf = (c: BackfillProgress['counts']) =>
    c.succeeded + c.empty + c.failed + c.cancelled + c.skipped;
  const done = doneOf(counts);
  const runDone = doneOf(progress.counts);
  const elapsedS = Math.max(1, (now - progress.startedAt) / 1000);
  const rowsPerS = Math.round(progress.totals.rowsRead / elapsedS);
  const remaining = total - runDone;
  const etaS = runDone > 0 && remaining > 0 ? Math.round((elapsedS / runDone) * remaining) : undefined;
  const approx = over?.approximate ? '≈' : '';
  const lines = [
    `## Backfill ${progress.backfillId} — ${progress.state}`,
    '',
    `**${done} / ${total}** partitions done${over ? ` over ${over.runs} runs` : ''} · ${counts.running} running (max ${progress.maxConcurrency}) · ${counts.pending} pending`,
    '',
    '| succeeded | empty | failed | cancelled | skipped | rows read | rows accepted | rows/s | ETA |',
    '|---|---|---|---|---|---|---|---|---|',
    `| ${counts.succeeded} | ${counts.empty} | ${counts.failed} | ${counts.cancelled} | ${counts.skipped} | ${approx}${totals.rowsRead} | ${approx}${totals.rowsAccepted} | ${rowsPerS} | ${etaS === undefined ? '—' : `${etaS}s`} |`,
  ];
  const partitions = progress.partitions ?? [];
  const running = partitions.filter((p) => p.status === 'running').slice(0, MAX_LISTED);
  if (running.length) lines.push('', `**Running:** ${running.map((p) => p.key).join(', ')}`);
  const failed = over?.failed ?? partitions.filter((p) => p.status === 'failed');
  const failedCount = over ? counts.failed : failed.length;
  if (failed.length) {
    lines.push('', '### Failures');
    for (const p of failed.slice(0, MAX_LISTED))
      lines.push(`- \`${p.key}\`: ${(p.lastError ?? '').slice(0, 300)}`);
    if (failedCount > MAX_LISTED) lines.push(`- … and ${failedCount - MAX_LISTED} more`);
  }
  if (over?.approximate)
    lines.push(
      '',
      `_≈ totals: earlier runs' stats were cut to a bounded summary; \`backfill status\` has them exactly._`,
    );
  return lines.join('\n');
}
