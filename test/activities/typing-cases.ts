/**
 * The value × type table of lossless typing: each case is one value for one declared column, as it
 * is written in each format that can express it, and what must happen to it — the exact value that
 * lands (as DuckDB prints it) or the exact rule of the reject reason.
 */

export const FORMATS = ['ndjson', 'json-array', 'csv', 'parquet'] as const;
export type Format = (typeof FORMATS)[number];

/** The declared schema the cases load into (one column per type under test). */
export const TYPED_SCHEMA = {
  id: 'VARCHAR',
  amount: 'INTEGER',
  big: 'BIGINT',
  ubig: 'UBIGINT',
  tiny: 'TINYINT',
  huge: 'HUGEINT',
  price: 'DECIMAL(10,2)',
  ratio: 'DOUBLE',
  ratio32: 'REAL',
  flag: 'BOOLEAN',
  day: 'DATE',
  event_time: 'TIMESTAMP',
  instant: 'TIMESTAMPTZ',
  note: 'VARCHAR',
} as const;
export type TypedColumn = Exclude<keyof typeof TYPED_SCHEMA, 'id'>;

export interface TypingCase {
  column: TypedColumn;
  /** The value as a JSON literal (NDJSON and JSON arrays). */
  json: string;
  /** The CSV field text; default: the JSON string's content or the literal; null: not expressible. */
  csv?: string | null;
  /** A DuckDB SQL expression of the Parquet column (its physical type); absent: not written. */
  parquet?: string;
  /** The value as the loader shows it in a reason, where a format writes it differently. */
  shown?: Partial<Record<Format, string>>;
  /** The landed value, CAST AS VARCHAR (TIMESTAMPTZ: its UTC time + " UTC"). */
  landed?: string;
  /** The reject reason after `column "<column>": <value> `. */
  rule?: string;
  /** The whole record text for NDJSON/JSON arrays, where the case is about the record (repeated key). */
  record?: string;
}

const WHOLE = 'INTEGER takes whole numbers';
const NOT_TS = 'is not a timestamp, TIMESTAMP takes YYYY-MM-DD[ HH:MM:SS[.ffffff]][±HH:MM|Z]';

export const TYPING_CASES: TypingCase[] = [
  // INTEGER: whole numbers in range; "12", 12.0 and 1e2 are whole, 12.5 and "12.50" are not.
  { column: 'amount', json: '12', parquet: '12::INTEGER', landed: '12' },
  { column: 'amount', json: '"12"', parquet: "'12'", landed: '12' },
  { column: 'amount', json: '12.0', parquet: '12.0::DOUBLE', landed: '12' },
  { column: 'amount', json: '12.5', parquet: '12.5::DOUBLE', rule: `has a fraction, ${WHOLE}` },
  { column: 'amount', json: '"12.50"', parquet: "'12.50'", rule: `has a fraction, ${WHOLE}` },
  {
    column: 'amount',
    json: '99999999999',
    parquet: '99999999999::BIGINT',
    rule: 'is out of range, INTEGER takes -2147483648 to 2147483647',
  },
  { column: 'amount', json: '-2147483648', parquet: '(-2147483648)::INTEGER', landed: '-2147483648' },
  {
    column: 'amount',
    json: '2147483648',
    parquet: '2147483648::BIGINT',
    rule: 'is out of range, INTEGER takes -2147483648 to 2147483647',
  },
  { column: 'amount', json: '"many"', parquet: "'many'", rule: `is not a number, ${WHOLE}` },
  { column: 'amount', json: '"0x10"', parquet: "'0x10'", rule: `is not a number, ${WHOLE}` },
  { column: 'amount', json: '"1_000"', parquet: "'1_000'", rule: `is not a number, ${WHOLE}` },
  { column: 'amount', json: '"1e2"', parquet: "'1e2'", landed: '100' },
  { column: 'amount', json: '" 12 "', csv: null, parquet: "' 12 '", landed: '12' },
  { column: 'amount', json: 'true', parquet: 'true', rule: `is not a number, ${WHOLE}` },
  {
    column: 'amount',
    json: '{"n": 1}',
    csv: null,
    shown: { ndjson: '{"n":1}', 'json-array': '{"n":1}' },
    rule: `is not a number, ${WHOLE}`,
  },
  // A repeated key: the last value wins, as JSON.parse and Spark have it.
  { column: 'amount', json: '7', csv: null, record: '{"id": "%ID%", "amount": 6, "amount": 7}', landed: '7' },
  // Other integer types: their own ranges.
  {
    column: 'big',
    json: '9223372036854775807',
    parquet: '9223372036854775807::BIGINT',
    landed: '9223372036854775807',
  },
  {
    column: 'big',
    json: '9223372036854775808',
    parquet: '9223372036854775808::UBIGINT',
    rule: 'is out of range, BIGINT takes -9223372036854775808 to 9223372036854775807',
  },
  {
    column: 'big',
    json: '"9007199254740993"',
    parquet: '9007199254740993::BIGINT',
    landed: '9007199254740993',
  },
  {
    column: 'ubig',
    json: '-1',
    parquet: '(-1)::INTEGER',
    rule: 'is out of range, UBIGINT takes 0 to 18446744073709551615',
  },
  {
    column: 'ubig',
    json: '18446744073709551615',
    parquet: '18446744073709551615::UBIGINT',
    landed: '18446744073709551615',
  },
  { column: 'tiny', json: '127.0', parquet: '127.0::DOUBLE', landed: '127' },
  {
    column: 'tiny',
    json: '128',
    parquet: '128::INTEGER',
    rule: 'is out of range, TINYINT takes -128 to 127',
  },
  {
    column: 'huge',
    json: '"170141183460469231731687303715884105727"',
    // A Parquet file has no 128-bit integer (DuckDB writes HUGEINT as DOUBLE): text it is.
    parquet: "'170141183460469231731687303715884105727'",
    landed: '170141183460469231731687303715884105727',
  },
  // DECIMAL(10,2): no digits beyond the scale, at most 8 before the point.
  { column: 'price', json: '12.5', parquet: '12.5::DOUBLE', landed: '12.50' },
  {
    column: 'price',
    json: '"12.50"',
    parquet: '12.50::DECIMAL(10,2)',
    shown: { parquet: '12.5' },
    landed: '12.50',
  },
  { column: 'price', json: '"1.230"', parquet: "'1.230'", landed: '1.23' },
  { column: 'price', json: '"1.5e1"', parquet: "'1.5e1'", landed: '15.00' },
  {
    column: 'price',
    json: '"1.234"',
    parquet: '1.234::DECIMAL(10,3)',
    rule: 'has more than 2 decimal places, DECIMAL(10,2) takes at most 2 decimal places',
  },
  {
    column: 'price',
    json: '"12.345678901234567891"',
    parquet: "'12.345678901234567891'",
    rule: 'has more than 2 decimal places, DECIMAL(10,2) takes at most 2 decimal places',
  },
  {
    column: 'price',
    json: '123456789.5',
    parquet: '123456789.5::DOUBLE',
    rule: 'is out of range, DECIMAL(10,2) takes at most 8 digits before the point',
  },
  // DOUBLE and REAL: finite numbers, rounded to the nearest the type holds.
  { column: 'ratio', json: '0.1', parquet: '0.1::DOUBLE', landed: '0.1' },
  { column: 'ratio', json: '12', parquet: '12::INTEGER', landed: '12.0' },
  {
    column: 'ratio',
    json: '"NaN"',
    parquet: "'NaN'::DOUBLE",
    rule: 'is not finite, DOUBLE takes finite numbers',
  },
  {
    column: 'ratio',
    json: '"-Infinity"',
    parquet: "'-inf'::DOUBLE",
    rule: 'is not finite, DOUBLE takes finite numbers',
  },
  {
    column: 'ratio',
    json: '"1e400"',
    parquet: "'1e400'",
    rule: 'is out of range, DOUBLE takes magnitudes up to 1.7976931348623157e308',
  },
  {
    column: 'ratio',
    json: '"1e-400"',
    parquet: "'1e-400'",
    rule: 'is too close to zero, DOUBLE would make it 0',
  },
  { column: 'ratio32', json: '0.1', parquet: '0.1::FLOAT', landed: '0.1' },
  {
    column: 'ratio32',
    json: '"3.5e38"',
    parquet: '3.5e38::DOUBLE',
    shown: { parquet: '3.5e+38' },
    rule: 'is out of range, FLOAT takes magnitudes up to 3.4028235e38',
  },
  // BOOLEAN: true/false, t/f, yes/no, y/n, 1/0 in any case.
  { column: 'flag', json: 'true', parquet: 'true', landed: 'true' },
  { column: 'flag', json: '"Y"', parquet: "'Y'", landed: 'true' },
  { column: 'flag', json: '0', parquet: '0::INTEGER', landed: 'false' },
  {
    column: 'flag',
    json: '"maybe"',
    parquet: "'maybe'",
    rule: 'is not a boolean, BOOLEAN takes true/false, t/f, yes/no, y/n, 1/0',
  },
  {
    column: 'flag',
    json: '2',
    parquet: '2::INTEGER',
    rule: 'is not a boolean, BOOLEAN takes true/false, t/f, yes/no, y/n, 1/0',
  },
  // DATE: a calendar date; a time part only at midnight.
  { column: 'day', json: '"2019-01-05"', parquet: "DATE '2019-01-05'", landed: '2019-01-05' },
  {
    column: 'day',
    json: '"2019-01-05T00:00:00"',
    parquet: "TIMESTAMP '2019-01-05 00:00:00'",
    landed: '2019-01-05',
  },
  {
    column: 'day',
    json: '"2019-01-05T10:00:00"',
    parquet: "TIMESTAMP '2019-01-05 10:00:00'",
    shown: { parquet: '2019-01-05 10:00:00' },
    rule: 'has a time of day, DATE takes a date (a time part only when it is midnight UTC)',
  },
  {
    column: 'day',
    json: '"2019-02-30"',
    parquet: "'2019-02-30'",
    rule: 'is not a date, DATE takes YYYY-MM-DD',
  },
  { column: 'day', json: '"infinity"', parquet: "'infinity'", rule: 'is not a date, DATE takes YYYY-MM-DD' },
  // TIMESTAMP: an offset or Z converts to UTC; never more than microseconds.
  {
    column: 'event_time',
    json: '"2019-01-05T10:00:00+02:00"',
    parquet: "TIMESTAMPTZ '2019-01-05 10:00:00+02'",
    landed: '2019-01-05 08:00:00',
  },
  {
    column: 'event_time',
    json: '"2019-01-05T10:00:00Z"',
    parquet: "'2019-01-05T10:00:00Z'",
    landed: '2019-01-05 10:00:00',
  },
  {
    column: 'event_time',
    json: '"2019-01-05T10:00:00-05:30"',
    parquet: "'2019-01-05T10:00:00-05:30'",
    landed: '2019-01-05 15:30:00',
  },
  {
    column: 'event_time',
    json: '"2019-01-05 10:00:00"',
    parquet: "TIMESTAMP '2019-01-05 10:00:00'",
    landed: '2019-01-05 10:00:00',
  },
  {
    column: 'event_time',
    json: '"2019-01-05T10:00:00.123456"',
    parquet: "TIMESTAMP '2019-01-05 10:00:00.123456'",
    landed: '2019-01-05 10:00:00.123456',
  },
  {
    column: 'event_time',
    json: '"2019-01-05T10:00:00.1234567"',
    parquet: "TIMESTAMP_NS '2019-01-05 10:00:00.1234567'",
    shown: { parquet: '2019-01-05 10:00:00.1234567' },
    rule: 'has digits beyond microseconds, TIMESTAMP keeps microseconds',
  },
  { column: 'event_time', json: '"2019-01-05"', parquet: "DATE '2019-01-05'", landed: '2019-01-05 00:00:00' },
  { column: 'event_time', json: '1546300800', parquet: '1546300800::BIGINT', rule: NOT_TS },
  { column: 'event_time', json: '"yesterday"', parquet: "'yesterday'", rule: NOT_TS },
  // TIMESTAMPTZ: the instant; text without an offset is UTC.
  {
    column: 'instant',
    json: '"2019-01-05T10:00:00+02:00"',
    parquet: "TIMESTAMPTZ '2019-01-05 10:00:00+02'",
    landed: '2019-01-05 08:00:00 UTC',
  },
  {
    column: 'instant',
    json: '"2019-01-05 10:00:00"',
    parquet: "'2019-01-05 10:00:00'",
    landed: '2019-01-05 10:00:00 UTC',
  },
  // VARCHAR: anything; nested values as their JSON text, JSON numbers as DuckDB prints them.
  {
    column: 'note',
    json: '{"x": [1, 2.50]}',
    csv: null,
    landed: '{"x":[1,2.5]}',
  },
  { column: 'note', json: '{"x": [1, 2]}', csv: null, parquet: "{'x': [1, 2]}", landed: '{"x":[1,2]}' },
  { column: 'note', json: '"12.50"', parquet: "'12.50'", landed: '12.50' },
  { column: 'note', json: '12.50', csv: null, landed: '12.5' },
  { column: 'note', json: '"just text"', parquet: "'just text'", landed: 'just text' },
];

/** The case's id (its key column), sortable: c000, c001, ... */
export const caseId = (i: number) => `c${String(i).padStart(3, '0')}`;

/** Whether the case can be written in the format. */
export function expressible(c: TypingCase, format: Format): boolean {
  if (format === 'csv') return c.record === undefined && csvField(c) !== null;
  if (format === 'parquet') return c.parquet !== undefined;
  return true;
}

export function csvField(c: TypingCase): string | null {
  if (c.csv !== undefined) return c.csv;
  const value: unknown = JSON.parse(c.json);
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return null;
  return c.json;
}

/** The value as the loader shows it in a reason. */
export function shownValue(c: TypingCase, format: Format): string {
  const override = c.shown?.[format];
  if (override !== undefined) return override;
  if (format === 'csv') return csvField(c)!;
  const value: unknown = JSON.parse(c.json);
  return typeof value === 'string' ? value : c.json;
}

export const reasonOf = (c: TypingCase, format: Format) =>
  `column "${c.column}": ${shownValue(c, format)} ${c.rule}`;
