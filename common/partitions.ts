/**
 * Partition planning: pure, deterministic functions shared by the CLI (plan, validation) and the
 * parent workflow. A partition key is a string in the granularity's own format:
 * year "2019", month "2019-03", day "2019-03-05", hour "2019-03-05T07".
 */
import type { BackfillSpec } from './spec';

export type Granularity = 'hour' | 'day' | 'month' | 'year';

export const PARTITION_COLUMNS = ['year', 'month', 'day', 'hour'] as const;
export type PartitionColumn = (typeof PARTITION_COLUMNS)[number];

const KEY_PATTERNS: Record<Granularity, RegExp> = {
  year: /^(\d{4})$/,
  month: /^(\d{4})-(\d{2})$/,
  day: /^(\d{4})-(\d{2})-(\d{2})$/,
  hour: /^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/,
};

const KEY_EXAMPLES: Record<Granularity, string> = {
  year: '2019',
  month: '2019-03',
  day: '2019-03-05',
  hour: '2019-03-05T07',
};

export interface PartitionValues {
  year: number;
  month?: number;
  day?: number;
  hour?: number;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Parses a key of the given granularity; throws with an example of the expected form. */
export function parsePartitionKey(key: string, granularity: Granularity): PartitionValues {
  const match = KEY_PATTERNS[granularity].exec(key);
  if (!match) {
    throw new Error(
      `"${key}" is not a ${granularity} partition (expected e.g. ${KEY_EXAMPLES[granularity]})`,
    );
  }
  const [, y, mo, d, h] = match;
  const values: PartitionValues = { year: Number(y) };
  if (mo !== undefined) values.month = Number(mo);
  if (d !== undefined) values.day = Number(d);
  if (h !== undefined) values.hour = Number(h);
  const asDate = new Date(Date.UTC(values.year, (values.month ?? 1) - 1, values.day ?? 1, values.hour ?? 0));
  if (
    asDate.getUTCFullYear() !== values.year ||
    asDate.getUTCMonth() + 1 !== (values.month ?? 1) ||
    asDate.getUTCDate() !== (values.day ?? 1) ||
    asDate.getUTCHours() !== (values.hour ?? 0)
  ) {
    throw new Error(`"${key}" is not a valid ${granularity} (no such date or hour)`);
  }
  return values;
}

function keyOf(date: Date, granularity: Granularity): string {
  const y = pad(date.getUTCFullYear(), 4);
  const m = pad(date.getUTCMonth() + 1);
  const d = pad(date.getUTCDate());
  const h = pad(date.getUTCHours());
  switch (granularity) {
    case 'year':
      return y;
    case 'month':
      return `${y}-${m}`;
    case 'day':
      return `${y}-${m}-${d}`;
    case 'hour':
      return `${y}-${m}-${d}T${h}`;
  }
}

function startOf(values: PartitionValues): Date {
  return new Date(Date.UTC(values.year, (values.month ?? 1) - 1, values.day ?? 1, values.hour ?? 0));
}

function next(date: Date, granularity: Granularity): Date {
  const d = new Date(date.getTime());
  if (granularity === 'year') d.setUTCFullYear(d.getUTCFullYear() + 1);
  else if (granularity === 'month') d.setUTCMonth(d.getUTCMonth() + 1);
  else if (granularity === 'day') d.setUTCDate(d.getUTCDate() + 1);
  else d.setUTCHours(d.getUTCHours() + 1);
  return d;
}

/** Number of partitions in [from, to] without materialising them (for limits and validation). */
export function countPartitions(from: string, to: string, granularity: Granularity): number {
  const a = startOf(parsePartitionKey(from, granularity));
  const b = startOf(parsePartitionKey(to, granularity));
  if (b < a) return 0;
  switch (granularity) {
    case 'year':
      return b.getUTCFullYear() - a.getUTCFullYear() + 1;
    case 'month':
      return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth() + 1;
    case 'day':
      return Math.round((b.getTime() - a.getTime()) / 86_400_000) + 1;
    case 'hour':
      return Math.round((b.getTime() - a.getTime()) / 3_600_000) + 1;
  }
}

/** All keys from `from` to `to` inclusive, oldest first. */
export function planPartitionKeys(from: string, to: string, granularity: Granularity): string[] {
  const end = startOf(parsePartitionKey(to, granularity));
  const keys: string[] = [];
  for (let d = startOf(parsePartitionKey(from, granularity)); d <= end; d = next(d, granularity)) {
    keys.push(keyOf(d, granularity));
  }
  return keys;
}

/**
 * The partitions a backfill runs, in run order: `only` (an explicit list), else the spec's
 * `partitions`, else the whole range; sorted, newest first when `order` is newest. The parent
 * workflow and `backfill plan` both use it, so a plan lists what a start would run.
 */
export function plannedKeys(
  spec: Pick<BackfillSpec, 'partitions' | 'range' | 'order'>,
  only?: string[],
): string[] {
  const keys = [
    ...(only ?? spec.partitions ?? planPartitionKeys(spec.range.from, spec.range.to, spec.range.granularity)),
  ].sort();
  return spec.order === 'newest' ? keys.reverse() : keys;
}

/**
 * Renders a layout template for one partition: {yyyy} {mm} {dd} {hh} and {key}.
 * Tokens finer than the granularity are an error caught at spec validation.
 */
export function renderLayout(template: string, key: string, granularity: Granularity): string {
  const v = parsePartitionKey(key, granularity);
  return template
    .replaceAll('{yyyy}', pad(v.year, 4))
    .replaceAll('{mm}', v.month === undefined ? '{mm}' : pad(v.month))
    .replaceAll('{dd}', v.day === undefined ? '{dd}' : pad(v.day))
    .replaceAll('{hh}', v.hour === undefined ? '{hh}' : pad(v.hour))
    .replaceAll('{key}', key);
}

/** Layout tokens a granularity can fill. */
export const LAYOUT_TOKENS: Record<Granularity, string[]> = {
  year: ['{yyyy}', '{key}'],
  month: ['{yyyy}', '{mm}', '{key}'],
  day: ['{yyyy}', '{mm}', '{dd}', '{key}'],
  hour: ['{yyyy}', '{mm}', '{dd}', '{hh}', '{key}'],
};

/** Partition columns a granularity can fill. */
export const GRANULARITY_COLUMNS: Record<Granularity, PartitionColumn[]> = {
  year: ['year'],
  month: ['year', 'month'],
  day: ['year', 'month', 'day'],
  hour: ['year', 'month', 'day', 'hour'],
};

/** What freshness counts in a partition's window: its months, days, hours or minutes. */
export const COVERAGE_UNIT: Record<Granularity, 'month' | 'day' | 'hour' | 'minute'> = {
  year: 'month',
  month: 'day',
  day: 'hour',
  hour: 'minute',
};

/** A partition's time window [start, end) as ISO timestamps (UTC), and how many coverage units it has. */
export function partitionWindow(
  key: string,
  granularity: Granularity,
): { start: string; end: string; unit: 'month' | 'day' | 'hour' | 'minute'; units: number } {
  const start = startOf(parsePartitionKey(key, granularity));
  const end = next(start, granularity);
  const units =
    granularity === 'year'
      ? 12
      : granularity === 'month'
        ? Math.round((end.getTime() - start.getTime()) / 86_400_000)
        : granularity === 'day'
          ? 24
          : 60;
  const iso = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
  return { start: iso(start), end: iso(end), unit: COVERAGE_UNIT[granularity], units };
}
