/**
 * Partition layouts `backfill init` recognises: hive-style `year=2019/month=01/day=05/hour=07/`
 * and plain `2019/01/05/07/`. Pure: directory names in, layout template and partition keys out.
 */
import type { Granularity } from '../../common/partitions';

export type LayoutStyle = 'hive' | 'plain';

interface Level {
  granularity: Granularity;
  token: string;
  hive: RegExp;
  plain: RegExp;
  max: number;
  min: number;
}

// Only zero-padded names: the spec's tokens render padded, so `month=1/` could never be found again.
const LEVELS: readonly Level[] = [
  { granularity: 'year', token: '{yyyy}', hive: /^year=(\d{4})$/, plain: /^(\d{4})$/, min: 1000, max: 9999 },
  { granularity: 'month', token: '{mm}', hive: /^month=(\d{2})$/, plain: /^(\d{2})$/, min: 1, max: 12 },
  { granularity: 'day', token: '{dd}', hive: /^day=(\d{2})$/, plain: /^(\d{2})$/, min: 1, max: 31 },
  { granularity: 'hour', token: '{hh}', hive: /^hour=(\d{2})$/, plain: /^(\d{2})$/, min: 0, max: 23 },
];

export const MAX_DEPTH = LEVELS.length;

/** The value a directory name holds at a depth (0 = year) in a style, or undefined. */
export function levelValue(name: string, depth: number, style: LayoutStyle): number | undefined {
  const level = LEVELS[depth];
  const match = level?.[style].exec(name);
  if (!level || !match) return undefined;
  const value = Number(match[1]);
  return value >= level.min && value <= level.max ? value : undefined;
}

/** The style of a source's top level: the one most of its year directories follow. */
export function detectStyle(rootDirs: readonly string[]): LayoutStyle | undefined {
  const hive = rootDirs.filter((d) => levelValue(d, 0, 'hive') !== undefined).length;
  const plain = rootDirs.filter((d) => levelValue(d, 0, 'plain') !== undefined).length;
  if (hive === 0 && plain === 0) return undefined;
  return hive >= plain ? 'hive' : 'plain';
}

/** The spec's layout for a style and depth (1 = year only ... 4 = down to the hour). */
export function layoutTemplate(style: LayoutStyle, depth: number): string {
  return LEVELS.slice(0, depth)
    .map((l) => (style === 'hive' ? `${l.granularity}=${l.token}` : l.token))
    .join('/')
    .concat('/');
}

export const granularityOf = (depth: number): Granularity => LEVELS[depth - 1]!.granularity;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The partition key of a path's values (year, month, day, hour as deep as given). */
export function keyOf(values: readonly number[]): string {
  const [y, mo, d, h] = values;
  let key = pad(y!, 4);
  if (mo !== undefined) key += `-${pad(mo)}`;
  if (d !== undefined) key += `-${pad(d)}`;
  if (h !== undefined) key += `T${pad(h)}`;
  return key;
}
