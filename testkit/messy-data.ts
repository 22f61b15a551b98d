/**
 * Seeded messy source data: monthly partitions of NDJSON (plain, .jsonl, gzip), JSON-array, CSV and
 * Parquet files (messy-formats.ts) where some files carry bad lines (malformed, not an object, a null key, values that do not
 * fit their column exactly), tricky-but-valid records (a repeated key, an undeclared key, numbers
 * and times in several spellings, CRLF line ends, blank lines, a tab-only line, a byte order mark,
 * invalid UTF-8), duplicates within and across files, and late updates of earlier months' keys. The
 * same seed writes the same bytes, so a failing comparison can be replayed.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { prng } from './dataset';
import { messyCsv, messyJsonArray, writeMessyParquet } from './messy-formats';

export const MESSY_SCHEMA = {
  id: 'VARCHAR',
  n: 'INTEGER',
  amount: 'DECIMAL(10,2)',
  ts: 'TIMESTAMP',
  flag: 'BOOLEAN',
  note: 'VARCHAR',
} as const;

export interface MessyOptions {
  dir: string;
  seed: number;
  /** Partition keys, "YYYY-MM". */
  months: string[];
  filesPerMonth: number;
  recordsPerFile: number;
  /** Share of files that hold bad or tricky records (the rest are clean NDJSON). */
  dirtyFileRate: number;
  /** Share of a dirty file's records that are bad or tricky. */
  dirtyRecordRate: number;
  /** Formats other than plain NDJSON (JSON arrays, CSV, Parquet, gzip) may be written. */
  mixedFormats?: boolean;
}

type Rng = () => number;
const pick = <T>(random: Rng, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const pad = (n: number) => String(n).padStart(2, '0');

/** Writes the files under `<dir>/raw/year=YYYY/month=MM/`; returns their count. */
export async function writeMessyData(options: MessyOptions): Promise<{ files: number }> {
  const random = prng(options.seed);
  const ids: string[] = [];
  let files = 0;
  for (const [m, month] of options.months.entries()) {
    const [year, mm] = month.split('-');
    const dir = path.join(options.dir, 'raw', `year=${year}`, `month=${mm}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < options.filesPerMonth; f++) {
      const dirty = random() < options.dirtyFileRate;
      const records: Record<string, unknown>[] = [];
      const lines: string[] = [];
      // Half the dirty files carry one kind of mess only, so each kind alone decides the path.
      const flavour = random() < 0.5 ? Math.floor(random() * DIRTY_KINDS) : undefined;
      for (let r = 0; r < options.recordsPerFile; r++) {
        const again = records.length && random() < 0.1 ? pick(random, records) : undefined;
        // Late updates (an earlier month's key) and duplicates (a key seen in this month).
        const id =
          ids.length && random() < 0.15 ? pick(random, ids) : `k${m}-${f}-${r}-${Math.floor(random() * 1e6)}`;
        ids.push(id);
        // A key repeated in the same file at the same time: only the later line may win.
        const record = again
          ? { ...goodRecord(random, String(again.id), month), ts: again.ts }
          : goodRecord(random, id, month);
        records.push(record);
        lines.push(
          dirty && random() < options.dirtyRecordRate
            ? dirtyLine(random, record, flavour ?? Math.floor(random() * DIRTY_KINDS))
            : JSON.stringify(record),
        );
      }
      const format = options.mixedFormats ? pick(random, FORMATS) : 'ndjson';
      const base = path.join(dir, `part-${pad(f)}`);
      if (format === 'parquet')
        await writeMessyParquet(random, `${base}.parquet`, Object.keys(MESSY_SCHEMA), lines);
      else writeFile(random, base, format, lines, records, dirty);
      files++;
    }
  }
  return { files };
}

const FORMATS = ['ndjson', 'ndjson', 'ndjson.gz', 'jsonl', 'json-array', 'csv', 'csv', 'parquet'] as const;

function goodRecord(random: Rng, id: string, month: string): Record<string, unknown> {
  const day = pad(1 + Math.floor(random() * 28));
  const time = `${pad(Math.floor(random() * 24))}:${pad(Math.floor(random() * 60))}:${pad(Math.floor(random() * 60))}`;
  const n = Math.floor(random() * 1000);
  return {
    id,
    n: pick(random, [n, n, String(n), `${n}.0`]),
    amount: pick(random, [(random() * 1000).toFixed(2), Number((random() * 100).toFixed(1)), 7]),
    // An offset is rare: under timestampOffsets reject it makes the record bad.
    ts:
      random() < 0.02
        ? `${month}-${day}T${time}Z`
        : pick(random, [`${month}-${day}T${time}`, `${month}-${day} ${time}`]),
    flag: pick(random, [true, false, 'yes', null]),
    note: pick(random, ['plain', 'é ü 😀', 'quote " and \\ slash', '', null, 'comma, semi;']),
  };
}

const DIRTY_KINDS = 10;

/** One bad or tricky line (of the given kind) in place of a good record. */
function dirtyLine(random: Rng, record: Record<string, unknown>, kind: number): string {
  const json = JSON.stringify(record);
  switch (kind) {
    case 0:
      return json.slice(0, Math.max(1, Math.floor(json.length / 2))); // malformed
    case 1:
      return pick(random, ['[1, 2]', '42', '"text"', 'null']); // not an object
    case 2:
      return JSON.stringify({ ...record, id: null }); // null key
    case 3:
      return JSON.stringify({ ...record, n: pick(random, [1.5, 'many', 1e12, '0x10']) });
    case 4:
      return JSON.stringify({ ...record, amount: pick(random, [1.234, 'NaN', 1e20]) });
    case 5:
      return JSON.stringify({
        ...record,
        ts: pick(random, ['yesterday', '2020-02-30', '2020-01-01 10:00:00.1234567']),
      });
    case 6:
      return `${json.slice(0, -1)}, "n": ${Math.floor(random() * 9)}}`; // repeated key: the last one counts
    case 7:
      return JSON.stringify({ ...record, extra: pick(random, [1, 'x', 2.5]) }); // undeclared key
    case 8:
      return pick(random, ['', '   ', '\t']); // blank and whitespace-only lines
    default:
      return JSON.stringify({ ...record, flag: 'maybe' });
  }
}

function writeFile(
  random: Rng,
  base: string,
  format: Exclude<(typeof FORMATS)[number], 'parquet'>,
  lines: string[],
  records: Record<string, unknown>[],
  dirty: boolean,
): void {
  let text: string | Buffer;
  if (format === 'json-array') text = messyJsonArray(random, lines);
  else if (format === 'csv') text = messyCsv(random, Object.keys(MESSY_SCHEMA), records, dirty);
  else {
    // Mostly one kind of line end per file; now and then a CRLF file ends in LF (mixed: the line
    // reader fails such a file, so the optimistic read must leave it alone).
    const eol = random() < 0.2 ? '\r\n' : '\n';
    text = `${lines.join(eol)}${random() < 0.1 ? '\n' : eol}`;
  }
  if (dirty && format !== 'csv' && format !== 'json-array' && random() < 0.2) {
    // A byte order mark, or a byte that is not UTF-8, somewhere in the file.
    const bytes = Buffer.from(text);
    text =
      random() < 0.5
        ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes])
        : Buffer.concat([bytes, Buffer.from('{"id":"\xff"}\n', 'latin1')]);
  }
  const suffix = {
    ndjson: 'ndjson',
    'ndjson.gz': 'ndjson.gz',
    jsonl: 'jsonl',
    'json-array': 'json',
    csv: 'csv',
  }[format];
  writeFileSync(`${base}.${suffix}`, format === 'ndjson.gz' ? gzipSync(text) : text);
}

/**
 * The benchmark's messy data (b'): a copy of a clean transactions data set where every third file
 * carries `badPerFile` bad records (malformed, an amount with too many decimals, a null key) and
 * the first file is gzipped; the set's own duplicates and late updates stay. Returns the bad count.
 */
export function messyCopy(src: string, dst: string, seed: number, badPerFile = 3): { bad: number } {
  const random = prng(seed);
  const files = (readdirSync(src, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ndjson'))
    .sort();
  let bad = 0;
  for (const [i, rel] of files.entries()) {
    const lines = readFileSync(path.join(src, rel), 'utf8').trimEnd().split('\n');
    for (let b = 0; i % 3 === 0 && b < badPerFile; b++, bad++) {
      const at = Math.floor(random() * lines.length);
      const record = JSON.parse(lines[at]!) as Record<string, unknown>;
      const broken = [
        JSON.stringify(record).slice(0, 40),
        JSON.stringify({ ...record, amount: '12.345' }),
        JSON.stringify({ ...record, transaction_id: null }),
      ][b % 3]!;
      lines.splice(at, 0, broken);
    }
    const out = path.join(dst, rel);
    mkdirSync(path.dirname(out), { recursive: true });
    const text = `${lines.join('\n')}\n`;
    if (i === 0) writeFileSync(`${out}.gz`, gzipSync(text));
    else writeFileSync(out, text);
  }
  return { bad };
}
