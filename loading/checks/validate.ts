/**
 * What needs DuckDB to validate a spec's checks, before anything starts (the CLI) and again when a
 * worker loads (specs reach workflows without the CLI): an expression binds, against an empty table
 * of the spec's columns, as ONE read-only statement whose value is BOOLEAN; a regex compiles in
 * DuckDB's RE2 (bound, never spliced); accepted values and range bounds cast to their column's type.
 * It runs in a private in-memory DuckDB with external access off, so even a hostile expression
 * that passed the pure rules can reach neither files nor the network.
 */
import { DuckDBInstance, DuckDBTypeId, StatementType, type DuckDBConnection } from '@duckdb/node-api';
import { configurationError } from '../../common/failures';
import {
  SpecError,
  checkColumns,
  expressionProblem,
  type BackfillSpec,
  type CheckSpec,
} from '../../common/spec';
import { messageOf } from '../destinations/ducklake/errors';
import * as sql from '../sql';

/** The empty table an expression is bound against. */
const PROBE_TABLE = '__check_probe';

let probe: Promise<DuckDBInstance> | undefined;

function probeInstance(): Promise<DuckDBInstance> {
  probe ??= DuckDBInstance.create(':memory:', {
    enable_external_access: 'false',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    threads: '1',
    memory_limit: '64MB',
  });
  return probe;
}

const firstLine = (err: unknown) =>
  messageOf(err)
    .split('\n')[0]!
    .replace(/^[A-Za-z ]+Error: /, '');

/** Every problem with the spec's checks, one line each ("checks[2].expression: ..."); empty when valid. */
export async function validateChecks(spec: BackfillSpec): Promise<string[]> {
  if (spec.checks.length === 0) return [];
  const conn = await (await probeInstance()).connect();
  try {
    const columns = checkColumns(spec);
    const cols = Object.entries(columns).map(([name, type]) => `${sql.ident(name)} ${type}`);
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${sql.ident(PROBE_TABLE)} (${cols.join(', ')})`);
    const problems: string[] = [];
    for (const [i, check] of spec.checks.entries()) {
      const problem = await checkProblem(conn, check, columns);
      if (problem) problems.push(`checks[${i}].${problem}`);
    }
    return problems;
  } finally {
    conn.closeSync();
  }
}

async function checkProblem(
  conn: DuckDBConnection,
  check: CheckSpec,
  columns: sql.ColumnTypes,
): Promise<string | undefined> {
  if (check.expression !== undefined) {
    const pure = expressionProblem(check.expression);
    if (pure) return `expression: ${pure}`;
    const text = `SELECT (${check.expression}) AS "v" FROM ${sql.ident(PROBE_TABLE)} LIMIT 0`;
    try {
      const extracted = await conn.extractStatements(text);
      if (extracted.count !== 1) return 'expression: must be one expression, not several statements';
      const prepared = await extracted.prepare(0);
      if (prepared.statementType !== StatementType.SELECT)
        return 'expression: must be a read-only expression';
      if (prepared.columnCount !== 1 || prepared.columnTypeId(0) !== DuckDBTypeId.BOOLEAN)
        return `expression: must be boolean (true when the row passes), but ${JSON.stringify(check.expression)} is ${prepared.columnCount === 1 ? prepared.columnType(0).toString() : 'not one value'}`;
    } catch (err) {
      return `expression: ${JSON.stringify(check.expression)} is not a valid expression over the schema's columns: ${firstLine(err)}`;
    }
  }
  if (check.pattern) {
    try {
      await conn.run(`SELECT regexp_full_match('', $re)`, { re: check.pattern.regex });
    } catch (err) {
      return `pattern.regex: ${JSON.stringify(check.pattern.regex)} is not a valid RE2 regular expression: ${firstLine(err)}`;
    }
  }
  // Values compared with a column must cast to its type, else every load would fail at the check.
  const casts: [string, string, string | number | boolean][] = [];
  if (check.acceptedValues)
    for (const [j, v] of check.acceptedValues.values.entries())
      casts.push([`acceptedValues.values[${j}]`, check.acceptedValues.column, v]);
  if (check.range) {
    for (const bound of ['min', 'max'] as const) {
      const v = check.range[bound];
      if (v !== undefined) casts.push([`range.${bound}`, check.range.column, v]);
    }
  }
  for (const [field, column, value] of casts) {
    const type = columns[column];
    if (type === undefined) continue; // the pure rules named the unknown column
    try {
      await conn.run(`SELECT CAST($v AS ${type})`, { v: value });
    } catch {
      return `${field}: ${JSON.stringify(value)} is not a ${type} value (column "${column}")`;
    }
  }
  return undefined;
}

/** Specs already validated by this process (a worker loads many partitions of one spec). */
const validated = new Map<string, string[]>();
const MAX_REMEMBERED = 256;

/** The worker's gate: throws a ConfigurationError naming every problem (one line each, joined). */
export async function assertChecksValid(spec: BackfillSpec): Promise<void> {
  if (spec.checks.length === 0) return;
  const key = JSON.stringify([spec.checks, spec.schema, spec.target.partitionColumns, spec.target.lineage]);
  let problems = validated.get(key);
  if (!problems) {
    problems = await validateChecks(spec);
    if (validated.size >= MAX_REMEMBERED) validated.clear();
    validated.set(key, problems);
  }
  if (problems.length) throw configurationError(`invalid checks: ${problems.join('; ')}`);
}

/** The CLI's gate: a SpecError (one line per problem, exit 2) when a check cannot run. */
export async function assertSpecChecks(spec: BackfillSpec): Promise<void> {
  const problems = await validateChecks(spec);
  if (problems.length) throw new SpecError(problems);
}
