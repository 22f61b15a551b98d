/**
 * Lossless typing: one definition of "a value fits its declared type exactly", as SQL over the
 * value's text. Every reader (NDJSON, JSON arrays, CSV, Parquet) hands the typed pass each field as
 * text (Parquet through to_json), so these rules are the only ones. A value that does not fit is a
 * bad record whose reason names the column, the value and the rule; it is never rounded, truncated
 * or shifted. DuckDB's own casts are lenient (TRY_CAST('12.5' AS INTEGER) is 13, an offset cast to
 * TIMESTAMP is dropped), so each rule checks what the cast would lose.
 *
 * Each rule has a fast path for the common, canonical text (a cast and a comparison); only text that
 * fails it is examined further (grammar, digits beyond the scale, time of day), so the per-row cost
 * of clean data stays a cast or two. The README's table of types is generated from
 * loading/type-reference.ts (scripts/type-docs.ts) and its examples are checked against these expressions by a unit test.
 */
import type { TIMESTAMP_OFFSETS } from '../../common/spec';
import { parseColumnType, type ColumnType } from '../column-types';
import { literal as text } from './quote';

export type TimestampOffsets = (typeof TIMESTAMP_OFFSETS)[number];

export interface TypingOptions {
  /** convert: a TIMESTAMP value with an offset or Z lands as its UTC time; reject: it is a bad record. */
  timestampOffsets: TimestampOffsets;
}
export const DEFAULT_TYPING: TypingOptions = { timestampOffsets: 'convert' };

/**
 * SQL for one column. `cast` is computed once per row into a column; `value` (the typed value) and
 * `reason` (why the text does not fit; NULL when it does or is absent) refer to it by name.
 */
export interface ExactCast {
  cast: string;
  value: string;
  reason: string;
}

/** A plain decimal number: sign, digits with an optional point, optional exponent. No hex, no `_`, no NaN. */
const NUMBER = String.raw`\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*`;
/** A seconds fraction with a non-zero digit beyond the sixth (DuckDB would truncate it). */
const SUB_MICROSECOND = String.raw`:\d\d\.\d{6}\d*[1-9]`;

/**
 * The typing of one column. `v` is the SQL expression of the value's text (NULL when absent or
 * JSON null), `x` the name the caller gives the `cast` column; `column` only appears in messages.
 */
export function exactCast(
  column: string,
  declared: string,
  v: string,
  x: string,
  options: TypingOptions = DEFAULT_TYPING,
): ExactCast {
  const type = parseColumnType(declared);
  const say = (rule: string) => `${text(`column "${column}": `)} || left(${v}, 200) || ${text(` ${rule}`)}`;
  const rule = rules[type.family] as Rule<ColumnType>;
  return rule(type, { v, x, say, options });
}

interface Ctx {
  v: string;
  x: string;
  say: (rule: string) => string;
  options: TypingOptions;
}
type Rule<T extends ColumnType> = (type: T, ctx: Ctx) => ExactCast;
type Rules = { [F in ColumnType['family']]: Rule<Extract<ColumnType, { family: F }>> };

/** Digits after the point that are not trailing zeros, once the exponent has moved the point. */
function fractionDigits(v: string): string {
  const t = `lower(trim(${v}))`;
  const mantissa = `split_part(${t}, 'e', 1)`;
  const exponent = `coalesce(TRY_CAST(nullif(split_part(${t}, 'e', 2), '') AS DOUBLE), 0)`;
  const digits = `translate(${mantissa}, '+-.', '')`;
  return (
    `CASE WHEN ltrim(${digits}, '0') = '' THEN 0 ELSE ` +
    `length(split_part(${mantissa}, '.', 2)) - ${exponent} - (length(${digits}) - length(rtrim(${digits}, '0'))) END`
  );
}

/**
 * Integers and decimals. Fast path: the cast gives back the very text (`12` → 12), or, for text of
 * at most 15 characters (so at most 15 significant digits, which doubles tell apart), the same
 * double as the text. Otherwise grammar, digits beyond the scale, then range.
 */
function exactNumber(type: string, scale: number, outOfRange: string, ctx: Ctx): ExactCast {
  const { v, x, say } = ctx;
  const takes = scale === 0 ? `${type} takes whole numbers` : `${type} takes at most ${scale} decimal places`;
  const same = `(CAST(${x} AS VARCHAR) = ${v} OR (length(${v}) <= 15 AND NOT contains(${v}, '_') AND TRY_CAST(${v} AS DOUBLE) = CAST(${x} AS DOUBLE)))`;
  return {
    cast: `TRY_CAST(${v} AS ${type})`,
    value: x,
    reason:
      `CASE WHEN ${v} IS NULL OR ${same} THEN NULL ` +
      `WHEN NOT regexp_full_match(${v}, ${text(NUMBER)}) THEN ${say(`is not a number, ${takes}`)} ` +
      `WHEN ${fractionDigits(v)} > ${scale} ` +
      `THEN ${say(scale === 0 ? `has a fraction, ${takes}` : `has more than ${scale} decimal places, ${takes}`)} ` +
      `WHEN ${x} IS NULL THEN ${say(`is out of range, ${outOfRange}`)} END`,
  };
}

const rules: Rules = {
  integer: (type, ctx) => exactNumber(type.name, 0, `${type.name} takes ${type.min} to ${type.max}`, ctx),

  decimal: (type, ctx) =>
    exactNumber(
      type.name,
      type.scale,
      `${type.name} takes at most ${type.precision - type.scale} digits before the point`,
      ctx,
    ),

  float(type, { v, x, say }) {
    const takes = `${type.name} takes finite numbers`;
    // Zero and non-finite results are looked at again: NaN/Infinity text, overflow, or underflow to 0.
    return {
      cast: `TRY_CAST(${v} AS ${type.name})`,
      value: x,
      reason:
        `CASE WHEN ${v} IS NULL OR (isfinite(${x}) AND ${x} <> 0 AND NOT contains(${v}, '_')) THEN NULL ` +
        // A regex, not an IN list: DuckDB plans a long IN list as a join over every row.
        `WHEN regexp_full_match(${v}, ${text(String.raw`\s*[+-]?(?i:nan|inf|infinity)\s*`)}) ` +
        `THEN ${say(`is not finite, ${takes}`)} ` +
        `WHEN NOT regexp_full_match(${v}, ${text(NUMBER)}) THEN ${say(`is not a number, ${takes}`)} ` +
        `WHEN NOT isfinite(${x}) THEN ${say(`is out of range, ${type.name} takes magnitudes up to ${type.largest}`)} ` +
        `WHEN ${x} = 0 AND ltrim(translate(split_part(lower(trim(${v})), 'e', 1), '+-.', ''), '0') <> '' ` +
        `THEN ${say(`is too close to zero, ${type.name} would make it 0`)} END`,
    };
  },

  // DuckDB's own spellings, which are the documented ones: true/false, t/f, yes/no, y/n, 1/0.
  boolean: (_type, { v, x, say }) => ({
    cast: `TRY_CAST(${v} AS BOOLEAN)`,
    value: x,
    reason: `CASE WHEN ${v} IS NOT NULL AND ${x} IS NULL THEN ${say('is not a boolean, BOOLEAN takes true/false, t/f, yes/no, y/n, 1/0')} END`,
  }),

  date: (_type, { v, x, say }) => ({
    cast: `TRY_CAST(${v} AS DATE)`,
    value: x,
    reason:
      `CASE WHEN ${v} IS NULL OR (length(${v}) = 10 AND isfinite(${x})) THEN NULL ` +
      `WHEN ${x} IS NULL OR NOT isfinite(${x}) OR lower(trim(${v})) = 'epoch' ` +
      `THEN ${say('is not a date, DATE takes YYYY-MM-DD')} ` +
      `WHEN ${utcTimestamp(v)} IS DISTINCT FROM CAST(${x} AS TIMESTAMP) ` +
      `THEN ${say('has a time of day, DATE takes a date (a time part only when it is midnight UTC)')} END`,
  }),

  timestamp: (_type, { v, x, say, options }) =>
    options.timestampOffsets === 'reject'
      ? {
          cast: `TRY_CAST(${v} AS TIMESTAMP)`,
          value: x,
          reason: timeReason('TIMESTAMP', v, x, say, true),
        }
      : { cast: utcTimestamp(v), value: x, reason: timeReason('TIMESTAMP', v, x, say) },

  // Text without an offset is UTC whatever the worker's time zone (make_timestamptz takes epoch µs).
  timestamptz: (_type, { v, x, say }) => ({
    cast: utcTimestamp(v),
    value: `make_timestamptz(epoch_us(${x}))`,
    reason: timeReason('TIMESTAMPTZ', v, x, say),
  }),

  varchar: (_type, { v }) => ({ cast: v, value: v, reason: 'NULL' }),

  other: (type, { v, x, say }) => ({
    cast: `TRY_CAST(${v} AS ${type.name})`,
    value: x,
    reason: `CASE WHEN ${v} IS NOT NULL AND ${x} IS NULL THEN ${say(`cannot be cast to ${type.name}`)} END`,
  }),
};

/** Whether the text may carry a UTC offset or Z after its date (the TIMESTAMP cast would drop it). */
const mayHaveOffset = (v: string) => {
  const time = `substr(${v}, 12)`;
  return `(contains(${time}, '+') OR contains(${time}, '-') OR contains(${time}, 'Z') OR contains(${time}, 'z'))`;
};

/** The text as a UTC TIMESTAMP: an offset (or zone) converts, text without one is taken as it is. */
function utcTimestamp(v: string): string {
  // epoch_us of the instant, not a cast: a TIMESTAMPTZ → TIMESTAMP cast would use the session's zone.
  const instant = `make_timestamp(epoch_us(TRY_CAST(${v} AS TIMESTAMPTZ)))`;
  return `CASE WHEN ${mayHaveOffset(v)} THEN ${instant} ELSE coalesce(TRY_CAST(${v} AS TIMESTAMP), ${instant}) END`;
}

/**
 * Why a timestamp text does not fit. `x` holds its UTC time, or with `rejectOffsets` the plain
 * TIMESTAMP cast (which drops an offset, so the offset is looked for first).
 */
function timeReason(
  name: string,
  v: string,
  x: string,
  say: (rule: string) => string,
  rejectOffsets = false,
): string {
  const fast = rejectOffsets
    ? `${x} IS NOT NULL AND NOT ${mayHaveOffset(v)} AND length(${v}) BETWEEN 10 AND 26 AND isfinite(${x})`
    : `${x} IS NOT NULL AND length(${v}) BETWEEN 10 AND 26 AND isfinite(${x})`;
  const instant = rejectOffsets ? utcTimestamp(v) : x;
  return (
    `CASE WHEN ${v} IS NULL OR (${fast}) THEN NULL ` +
    `WHEN ${instant} IS NULL OR NOT isfinite(${instant}) OR lower(trim(${v})) = 'epoch' ` +
    `THEN ${say(`is not a timestamp, ${name} takes YYYY-MM-DD[ HH:MM:SS[.ffffff]][±HH:MM|Z]`)} ` +
    `WHEN length(${v}) > 26 AND regexp_matches(${v}, ${text(SUB_MICROSECOND)}) ` +
    `THEN ${say(`has digits beyond microseconds, ${name} keeps microseconds`)} ` +
    (rejectOffsets
      ? `WHEN ${mayHaveOffset(v)} OR ${x} IS NULL THEN ${say(`has a UTC offset, ${name} takes times without one (timestampOffsets: reject)`)} `
      : '') +
    'END'
  );
}
