/**
 * The column types a spec may declare, parsed into what the typing rules need: which family a type
 * belongs to, and its range or scale. Aliases (INT, REAL, TEXT, ...) resolve to DuckDB's names.
 */

const ALIASES: Record<string, string> = {
  INT: 'INTEGER',
  REAL: 'FLOAT',
  TEXT: 'VARCHAR',
  STRING: 'VARCHAR',
  'TIMESTAMP WITH TIME ZONE': 'TIMESTAMPTZ',
};

/** Upper-case, single-spaced, no spaces around commas, aliases resolved: `decimal( 10 , 2 )` → `DECIMAL(10,2)`. */
export const normalizeType = (type: string) => {
  const upper = type
    .toUpperCase()
    .replace(/\s+/g, ' ')
    .replace(/\s*,\s*/g, ',')
    .replace(/\(\s*/g, '(')
    .replace(/\s*\)/g, ')')
    .trim();
  return ALIASES[upper] ?? upper;
};

/** Inclusive ranges of DuckDB's integer types (as text: HUGEINT's do not fit a double). */
export const INTEGER_RANGES: Record<string, [string, string]> = {
  TINYINT: ['-128', '127'],
  SMALLINT: ['-32768', '32767'],
  INTEGER: ['-2147483648', '2147483647'],
  BIGINT: ['-9223372036854775808', '9223372036854775807'],
  HUGEINT: ['-170141183460469231731687303715884105728', '170141183460469231731687303715884105727'],
  UTINYINT: ['0', '255'],
  USMALLINT: ['0', '65535'],
  UINTEGER: ['0', '4294967295'],
  UBIGINT: ['0', '18446744073709551615'],
};

export type ColumnType =
  | { family: 'integer'; name: string; min: string; max: string }
  | { family: 'decimal'; name: string; precision: number; scale: number }
  | { family: 'float'; name: 'FLOAT' | 'DOUBLE'; largest: string }
  | { family: 'boolean' | 'date' | 'timestamp' | 'timestamptz' | 'varchar'; name: string }
  /** TIME, UUID, JSON, BLOB, INTERVAL: DuckDB's own cast decides. */
  | { family: 'other'; name: string };

export function parseColumnType(type: string): ColumnType {
  const name = normalizeType(type);
  const range = INTEGER_RANGES[name];
  if (range) return { family: 'integer', name, min: range[0], max: range[1] };
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(name);
  if (decimal) {
    return { family: 'decimal', name, precision: Number(decimal[1]), scale: Number(decimal[2]) };
  }
  if (name === 'FLOAT') return { family: 'float', name, largest: '3.4028235e38' };
  if (name === 'DOUBLE') return { family: 'float', name, largest: '1.7976931348623157e308' };
  const simple = {
    BOOLEAN: 'boolean',
    DATE: 'date',
    TIMESTAMP: 'timestamp',
    TIMESTAMPTZ: 'timestamptz',
    VARCHAR: 'varchar',
  } as const;
  if (name in simple) return { family: simple[name as keyof typeof simple], name };
  return { family: 'other', name };
}
