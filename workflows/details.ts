/**
 * Markdown for the Temporal UI's "current details": of a backfill (counts, rate, ETA, failures,
 * partitions whose checks fired) and of a partition's child (its check outcomes).
 */
import { checksSummary, findingLines, hasFindings } from '../common/check-summary';
import type { PartitionOutcome, ShardStats } from '../common/types';
import type { OverRuns } from './earlier-runs';
import type { BackfillProgress, PartitionState } from './state';

/** The first partitions whose checks fired (at most MAX_LISTED), and how many fired in all. */
export interface FiredChecks {
  partitions: PartitionState[];
  count: number;
}

/** Partitions whose checks fired, for the details: the first MAX_LISTED and the count. */
export function firedChecks(partitions: readonly PartitionState[]): FiredChecks {
  const fired: PartitionState[] = [];
  let count = 0;
  for (const p of partitions)
    if (hasFindings(p.stats?.checks)) {
      count += 1;
      if (fired.length < MAX_LISTED) fired.push(p);
    }
  return { partitions: fired, count };
}

const MAX_LISTED = 10;
/** A child lists the outcomes of at most this many of its partitions (a batch may hold hundreds). */
const MAX_PARTITIONS_DETAILED = 20;

/**
 * The details of this run, or with `over` (a run of a backfill id that has run before), each
 * partition's latest outcome across all runs and totals over them; the rate and ETA stay this run's.
 */
export function renderDetails(
  progress: BackfillProgress,
  now: number,
  over?: OverRuns,
  fired?: FiredChecks,
): string {
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
  // The partitions whose checks fired (warned and dropped ones too, beyond the page of running and failed).
  const flagged = fired?.partitions ?? partitions.filter((p) => hasFindings(p.stats?.checks));
  const flaggedCount = fired?.count ?? flagged.length;
  if (flagged.length) {
    lines.push('', '### Checks that fired');
    for (const p of flagged.slice(0, MAX_LISTED))
      lines.push(
        `- \`${p.key}\` (${p.status}): ${checksSummary(p.stats?.checks)} — ${findingLines(p.stats?.checks, 3).join('; ').slice(0, 300)}`,
      );
    if (flaggedCount > MAX_LISTED) lines.push(`- … and ${flaggedCount - MAX_LISTED} more`);
  }
  if (over?.approximate)
    lines.push(
      '',
      `_≈ totals: earlier runs' stats were cut to a bounded summary; \`backfill status\` has them exactly._`,
    );
  return lines.join('\n');
}

/** A child's details when it ends: each partition's outcome and its checks, one table row per check. */
export function renderPartitionDetails(results: Record<string, PartitionOutcome>): string {
  const entries = Object.entries(results);
  const lines: string[] = [];
  for (const [key, outcome] of entries.slice(0, MAX_PARTITIONS_DETAILED)) {
    const checks = outcome.checks ?? [];
    lines.push(`## Partition ${key} — ${outcome.status}`, '');
    if (outcome.status === 'failed') lines.push(`${outcome.error.slice(0, 300)}`, '');
    const shards = outcome.status === 'failed' ? undefined : outcome.shards;
    if (shards) lines.push(`**Shards:** ${shardsLine(shards)}`, '');
    if (!checks.length) {
      lines.push('_no check outcomes_', '');
      continue;
    }
    lines.push(`**Checks:** ${checksSummary(checks)}`, '');
    lines.push('| check | action | outcome | violations | checked | sample |', '|---|---|---|---|---|---|');
    for (const c of checks.slice(0, MAX_LISTED * 5))
      lines.push(
        `| ${cell(c.name)} | ${c.action} | ${c.outcome} | ${c.violations} | ${c.checked} | ${cell(c.samples.slice(0, 3).join(', '))} |`,
      );
    lines.push('');
  }
  if (entries.length > MAX_PARTITIONS_DETAILED)
    lines.push(`… and ${entries.length - MAX_PARTITIONS_DETAILED} more partitions`);
  return lines.join('\n').trimEnd();
}

/** A sharded partition's shards in one line: done / total, reused, and who staged them. */
const shardsLine = (s: ShardStats) =>
  `${s.done} / ${s.total} done · ${s.reused} reused · ` +
  Object.entries(s.workers)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([worker, n]) => `${cell(worker)}: ${n}`)
    .join(', ');

/** A table cell: no pipes or line breaks from the data, bounded. */
const cell = (text: string) => text.replace(/[|\n\r]/g, ' ').slice(0, 80);
