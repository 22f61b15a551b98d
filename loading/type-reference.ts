/**
 * What "explicit schema" means here, type by type: the README's table of types is generated from
 * these rows (scripts/type-docs.ts), and a unit test runs every example through exact-cast.ts, so
 * the table cannot drift from the rules.
 */

export interface TypeReference {
  types: string;
  accepts: string;
  rejects: string;
  /** A declared type, a JSON value and what lands (as DuckDB prints it, UTC session). */
  good: { type: string; json: string; landed: string };
  /** A declared type, a JSON value and the reject reason (for a column named "c"). */
  bad?: { type: string; json: string; reason: string };
}

export const TYPE_REFERENCE: TypeReference[] = [
  {
    types: 'TINYINT, SMALLINT, INTEGER, BIGINT, HUGEINT, UTINYINT, USMALLINT, UINTEGER, UBIGINT',
    accepts:
      'whole numbers in the type\'s range, as numbers or text: `12`, `"12"`, `12.0`, `"1e2"`, `" 12 "`',
    rejects:
      'a fraction (`12.5`, `"12.50"`), out of range, not a plain decimal number (`"0x10"`, `"1_000"`, `true`)',
    good: { type: 'INTEGER', json: '12.0', landed: '12' },
    bad: {
      type: 'INTEGER',
      json: '12.5',
      reason: 'column "c": 12.5 has a fraction, INTEGER takes whole numbers',
    },
  },
  {
    types: 'DECIMAL(p,s)',
    accepts:
      'numbers with at most s decimal places (trailing zeros do not count) and p−s digits before the point',
    rejects: 'more decimal places (never rounded), more digits before the point, not a number',
    good: { type: 'DECIMAL(10,2)', json: '"1.230"', landed: '1.23' },
    bad: {
      type: 'DECIMAL(10,2)',
      json: '1.234',
      reason:
        'column "c": 1.234 has more than 2 decimal places, DECIMAL(10,2) takes at most 2 decimal places',
    },
  },
  {
    types: 'DOUBLE, FLOAT (REAL)',
    accepts: 'finite numbers, to the nearest value the type holds (IEEE 754, as every reader rounds `0.1`)',
    rejects: '`NaN` and `±Infinity` (JSON has neither), overflow, a non-zero value that would become 0',
    good: { type: 'DOUBLE', json: '0.1', landed: '0.1' },
    bad: {
      type: 'DOUBLE',
      json: '"NaN"',
      reason: 'column "c": NaN is not finite, DOUBLE takes finite numbers',
    },
  },
  {
    types: 'BOOLEAN',
    accepts: '`true`/`false`, `t`/`f`, `yes`/`no`, `y`/`n`, `1`/`0`, in any case',
    rejects: 'anything else: `2`, `1.0`, `on`, `" yes "`',
    good: { type: 'BOOLEAN', json: '"Y"', landed: 'true' },
    bad: {
      type: 'BOOLEAN',
      json: '"on"',
      reason: 'column "c": on is not a boolean, BOOLEAN takes true/false, t/f, yes/no, y/n, 1/0',
    },
  },
  {
    types: 'DATE',
    accepts: 'a calendar date (`2019-01-05`); a time part only when it is midnight UTC',
    rejects: 'a time of day (never truncated), impossible dates (`2019-02-30`), `infinity`, `epoch`',
    good: { type: 'DATE', json: '"2019-01-05T00:00:00"', landed: '2019-01-05' },
    bad: {
      type: 'DATE',
      json: '"2019-01-05T10:00:00"',
      reason:
        'column "c": 2019-01-05T10:00:00 has a time of day, DATE takes a date (a time part only when it is midnight UTC)',
    },
  },
  {
    types: 'TIMESTAMP',
    accepts:
      'a date and time to the microsecond; an offset or `Z` converts to UTC (`timestampOffsets: reject` makes it a bad record instead)',
    rejects: 'digits beyond microseconds (never truncated), epoch numbers, impossible times',
    good: { type: 'TIMESTAMP', json: '"2019-01-05T10:00:00+02:00"', landed: '2019-01-05 08:00:00' },
    bad: {
      type: 'TIMESTAMP',
      json: '"2019-01-05T10:00:00.1234567"',
      reason:
        'column "c": 2019-01-05T10:00:00.1234567 has digits beyond microseconds, TIMESTAMP keeps microseconds',
    },
  },
  {
    types: 'TIMESTAMPTZ',
    accepts:
      "the same texts, kept as the instant; text without an offset is UTC (whatever the worker's zone)",
    rejects: 'as TIMESTAMP',
    good: { type: 'TIMESTAMPTZ', json: '"2019-01-05 10:00:00"', landed: '2019-01-05 10:00:00+00' },
    bad: {
      type: 'TIMESTAMPTZ',
      json: '1546300800',
      reason:
        'column "c": 1546300800 is not a timestamp, TIMESTAMPTZ takes YYYY-MM-DD[ HH:MM:SS[.ffffff]][±HH:MM|Z]',
    },
  },
  {
    types: 'VARCHAR (TEXT, STRING)',
    accepts:
      'anything: strings as they are, nested objects and arrays as JSON text, JSON numbers as DuckDB prints them (`12.50` → `12.5`)',
    rejects: 'nothing',
    good: { type: 'VARCHAR', json: '{"x": [1, 2.50]}', landed: '{"x":[1,2.5]}' },
  },
  {
    types: 'TIME, UUID, JSON, BLOB, INTERVAL',
    accepts: "what DuckDB's cast to the type accepts",
    rejects: 'what it cannot cast',
    good: {
      type: 'UUID',
      json: '"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"',
      landed: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    },
    bad: { type: 'UUID', json: '"42"', reason: 'column "c": 42 cannot be cast to UUID' },
  },
];

/** Notes printed under the table. */
export const TYPE_NOTES = [
  'A key given twice in one JSON object keeps its last value (`{"amount": 6, "amount": 7}` → 7), as `JSON.parse` and Spark do.',
  'Every format follows these rules: CSV fields are text, Parquet values arrive as their JSON text (a Parquet DOUBLE `12.5` into INTEGER is rejected, `12.0` lands as 12).',
  'DuckDB\'s JSON reader reads a JSON number with a fraction or exponent as a double, so only its first 15–17 significant digits reach the loader: send longer DECIMAL values as strings (`"12.345678901234567891"`). Whole numbers keep every digit.',
  'The reject reason names the column, the value (its first 200 characters) and the rule; failfast adds the file and line.',
];
