/**
 * Schema contracts (dlt's words): the declared schema is the contract; what the source carries
 * beyond it, and what the target already holds, is reconciled here.
 *  - evolve: new source columns are added (type inferred from their JSON values), declared types
 *    may widen an existing target column safely (INTEGER → BIGINT, FLOAT → DOUBLE, ...);
 *  - freeze: any difference fails the partition with expected vs found;
 *  - discard: unknown source columns are ignored.
 * An unsafe change (narrowing, another type family) always fails without retry and names the column.
 */
import { BackfillError } from '../common/failures';
import type { BackfillSpec } from '../common/spec';
import { normalizeType } from './column-types';
import { LINEAGE_COLUMNS, type ColumnTypes } from './sql';

export interface DiscoveredColumn {
  name: string;
  /** DuckDB's JSON kinds of the column's values: UBIGINT, BIGINT, DOUBLE, BOOLEAN, VARCHAR, OBJECT, ARRAY, NULL. */
  kinds: string[];
}

/** The type a new column gets from the kinds of JSON values seen. */
export function inferType(kinds: string[]): string {
  const seen = new Set(kinds.filter((k) => k !== 'NULL'));
  if (seen.size === 0) return 'VARCHAR';
  const integers = ['UBIGINT', 'BIGINT'];
  if ([...seen].every((k) => integers.includes(k))) return 'BIGINT';
  if ([...seen].every((k) => integers.includes(k) || k === 'DOUBLE')) return 'DOUBLE';
  if (seen.size === 1 && seen.has('BOOLEAN')) return 'BOOLEAN';
  if ([...seen].every((k) => k === 'OBJECT' || k === 'ARRAY')) return 'JSON';
  return 'VARCHAR';
}

/** Partition and lineage columns are filled by the loader; a source field of that name is not a new column. */
export const reservedColumns = (spec: BackfillSpec): string[] => [
  ...spec.target.partitionColumns,
  ...(spec.target.lineage ? Object.keys(LINEAGE_COLUMNS) : []),
];

/** The partition's effective schema: the declared columns, plus (evolve) the new ones. */
export function effectiveSchema(
  spec: BackfillSpec,
  discovered: DiscoveredColumn[],
): { schema: ColumnTypes; added: string[] } {
  const declared = spec.schema;
  const reserved = new Set(reservedColumns(spec));
  const unknown = discovered.filter((c) => !(c.name in declared) && !reserved.has(c.name));
  if (unknown.length === 0 || spec.schemaContract === 'discard')
    return { schema: { ...declared }, added: [] };
  if (spec.schemaContract === 'freeze') {
    throw new BackfillError(
      'SchemaContractError',
      `schema contract freeze: the source has column(s) the spec does not declare: ${unknown.map((c) => `"${c.name}" (${inferType(c.kinds)})`).join(', ')}; ` +
        `expected [${Object.keys(declared).join(', ')}], found [${discovered.map((c) => c.name).join(', ')}]`,
    );
  }
  const schema: ColumnTypes = { ...declared };
  for (const column of unknown) schema[column.name] = inferType(column.kinds);
  return { schema, added: unknown.map((c) => c.name) };
}

const INTEGER_RANK: Record<string, number> = { TINYINT: 1, SMALLINT: 2, INTEGER: 3, BIGINT: 4, HUGEINT: 5 };
const decimal = (t: string) => {
  const m = /^DECIMAL\((\d+),(\d+)\)$/.exec(t);
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : undefined;
};

/** Whether a column of type `from` can be changed to `to` without losing any value. */
export function isSafeWidening(from: string, to: string): boolean {
  const a = normalizeType(from);
  const b = normalizeType(to);
  if (a === b) return true;
  if (a in INTEGER_RANK && b in INTEGER_RANK) return INTEGER_RANK[a]! < INTEGER_RANK[b]!;
  if (a === 'FLOAT' && b === 'DOUBLE') return true;
  if ((a === 'TINYINT' || a === 'SMALLINT' || a === 'INTEGER') && b === 'DOUBLE') return true;
  const da = decimal(a);
  const db = decimal(b);
  if (da && db) return db.scale >= da.scale && db.precision - db.scale >= da.precision - da.scale;
  if (a in INTEGER_RANK && db)
    return (
      db.precision - db.scale >=
      ({ TINYINT: 3, SMALLINT: 5, INTEGER: 10, BIGINT: 19, HUGEINT: 39 } as Record<string, number>)[a]!
    );
  if (a === 'DATE' && (b === 'TIMESTAMP' || b === 'TIMESTAMPTZ')) return false; // changes meaning; not automatic
  return false;
}

export interface TargetChange {
  add: [string, string][];
  widen: [string, string][];
}

/**
 * What the target table must change to hold the partition's columns. Throws SchemaContractError
 * (not retried) for a change the contract forbids.
 */
export function planTargetChanges(
  spec: BackfillSpec,
  wanted: [string, string][],
  existing: { name: string; type: string }[],
): TargetChange {
  const current = new Map(existing.map((c) => [c.name, c.type]));
  const change: TargetChange = { add: [], widen: [] };
  const problems: string[] = [];
  for (const [name, type] of wanted) {
    const have = current.get(name);
    if (have === undefined) {
      change.add.push([name, type]);
    } else if (normalizeType(have) !== normalizeType(type)) {
      if (isSafeWidening(have, type)) change.widen.push([name, type]);
      else if (!isSafeWidening(type, have))
        problems.push(
          `column "${name}": target has ${have}, the spec says ${type}, and neither holds the other`,
        );
      // A narrower declared type than the target's is fine: the wider column holds it.
    }
  }
  if (problems.length)
    throw new BackfillError(
      'SchemaContractError',
      `incompatible schema change in ${spec.target.table}: ${problems.join('; ')}`,
    );
  if (spec.schemaContract === 'freeze' && (change.add.length || change.widen.length)) {
    const diff = [
      ...change.add.map(([n, t]) => `+ ${n} ${t}`),
      ...change.widen.map(([n, t]) => `~ ${n} ${current.get(n)} → ${t}`),
    ];
    throw new BackfillError(
      'SchemaContractError',
      `schema contract freeze: ${spec.target.table} would change: ${diff.join(', ')}; expected [${wanted.map(([n, t]) => `${n} ${t}`).join(', ')}], found [${existing.map((c) => `${c.name} ${c.type}`).join(', ')}]`,
    );
  }
  return change;
}
