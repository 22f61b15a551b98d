/**
 * A JSON object may name a field twice ({"amount": 6, "amount": 7}). DuckDB's from_json keeps the
 * first value; JSON.parse, Spark and most JSON tools keep the last, so the loader does too: a record
 * that repeats a key is rewritten with each key's last value before it is typed.
 */

import { literal as text } from './quote';

/**
 * SQL: whether the key list `keys` (json_keys of the record) repeats a key. Cheap for the usual
 * record: its keys are counted against the declared ones it holds, and only a record with more keys
 * than that (a repeated key, or an undeclared one under schemaContract discard) is checked in full.
 */
export function repeatsKey(keys: string, columns: string[]): string {
  const declared = columns.map((c) => `list_contains(${keys}, ${text(c)})::INTEGER`).join(' + ');
  return `(len(${keys}) > ${declared || '0'} AND len(list_distinct(${keys})) < len(${keys}))`;
}

/** SQL: the object text `raw` with only the last of each repeated key's members (`keys` as above). */
export function lastValueWins(raw: string, keys: string): string {
  const kept = `list_filter(range(1, len(${keys}) + 1), lambda i: NOT list_contains(${keys}[i + 1:], ${keys}[i]))`;
  const values = `json_extract(${raw}, '$.*')`;
  const member = `lambda i: CAST(to_json(${keys}[i]) AS VARCHAR) || ':' || CAST(${values}[i] AS VARCHAR)`;
  return `'{' || array_to_string(list_transform(${kept}, ${member}), ',') || '}'`;
}
