/**
 * Sources for the `backfill init` suites, one per layout and format, each with the partition keys
 * that hold files (the truth `plan` must match) and, where the data has one, the distinct key
 * count the loaded target must hold.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateTransactions, prng } from '../scripts/dataset';

export interface InitFixture {
  dir: string;
  /** Partition keys with at least one file, sorted. */
  partitions: string[];
  /** Distinct keys the loaded target must hold (undefined: not checked). */
  distinctKeys?: number;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Monthly NDJSON transactions under year=YYYY/month=MM/ (duplicates and late updates included). */
export function hiveNdjson(dir: string, options: { gzip?: boolean; dropMonth?: string } = {}): InitFixture {
  const data = generateTransactions({
    dir,
    from: '2021-01',
    to: '2021-05',
    rowsPerPartition: 400,
    filesPerPartition: 2,
    seed: 11,
    ...(options.gzip ? { gzip: true } : {}),
  });
  let partitions = data.partitions;
  if (options.dropMonth) {
    const [y, m] = options.dropMonth.split('-');
    rmSync(path.join(dir, `year=${y}`, `month=${m}`), { recursive: true });
    partitions = partitions.filter((p) => p !== options.dropMonth);
  }
  return { dir, partitions, ...(options.dropMonth ? {} : { distinctKeys: data.oracle.size }) };
}

/** The same transactions under plain YYYY/MM/ directories. */
export function plainMonthly(dir: string): InitFixture {
  const fixture = hiveNdjson(dir);
  for (const year of readdirSync(dir)) {
    const plainYear = path.join(dir, year.replace('year=', ''));
    mkdirSync(plainYear, { recursive: true });
    for (const month of readdirSync(path.join(dir, year)))
      renameSync(path.join(dir, year, month), path.join(plainYear, month.replace('month=', '')));
    rmSync(path.join(dir, year), { recursive: true });
  }
  return fixture;
}

/** Daily CSV orders with a header under plain YYYY/MM/DD/, quoted fields with commas and quotes. */
export function csvDaily(dir: string): InitFixture {
  const random = prng(5);
  const partitions: string[] = [];
  let id = 0;
  for (let day = 1; day <= 4; day++) {
    const key = `2021-03-${pad(day)}`;
    partitions.push(key);
    const folder = path.join(dir, '2021', '03', pad(day));
    mkdirSync(folder, { recursive: true });
    for (let f = 0; f < 2; f++) {
      const lines = ['order_id,customer,quantity,price,note,created_at'];
      for (let i = 0; i < 150; i++) {
        id += 1;
        const note = i % 10 === 0 ? '"gift, wrapped ""nicely"""' : i % 7 === 0 ? '' : 'standard';
        const seconds = Math.floor(random() * 86_400);
        lines.push(
          [
            `o-${pad(id, 6)}`,
            `customer ${Math.floor(random() * 90)}`,
            1 + Math.floor(random() * 9),
            (Math.floor(random() * 100_000) / 100).toFixed(2),
            note,
            `${key} ${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`,
          ].join(','),
        );
      }
      writeFileSync(path.join(folder, `orders-${f}.csv`), lines.join('\n') + '\n');
    }
  }
  return { dir, partitions, distinctKeys: id };
}

/** Hourly Parquet readings under year=/month=/day=/hour=, with a list column and a decimal. */
export async function parquetHourly(dir: string): Promise<InitFixture> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const partitions: string[] = [];
  try {
    for (let hour = 0; hour < 5; hour++) {
      const key = `2022-07-14T${pad(hour)}`;
      partitions.push(key);
      const folder = path.join(dir, 'year=2022', 'month=07', 'day=14', `hour=${pad(hour)}`);
      mkdirSync(folder, { recursive: true });
      await conn.run(
        `COPY (SELECT ${hour} * 1000 + range AS reading_id, 'sensor-' || (range % 7) AS sensor, ` +
          `(range * 1.25)::DECIMAL(10,2) AS value, ['a', 'b'][1:(range % 2) + 1] AS tags, ` +
          `TIMESTAMP '2022-07-14 00:00:00' + INTERVAL (${hour}) HOUR + INTERVAL (range) SECOND AS measured_at ` +
          `FROM range(200)) TO '${path.join(folder, 'part-0.parquet').replaceAll("'", "''")}' (FORMAT parquet)`,
      );
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  return { dir, partitions, distinctKeys: 1000 };
}

/**
 * Monthly zstd-compressed NDJSON under year=/month=, written by DuckDB (Node 20's zlib has no zstd
 * encoder): two files per month, an id key, a timestamp, a fraction and a sometimes-null note.
 */
export async function zstdNdjson(dir: string): Promise<InitFixture> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const partitions: string[] = [];
  let id = 0;
  try {
    for (let month = 1; month <= 3; month++) {
      const key = `2021-${pad(month)}`;
      partitions.push(key);
      const folder = path.join(dir, 'year=2021', `month=${pad(month)}`);
      mkdirSync(folder, { recursive: true });
      for (let f = 0; f < 2; f++) {
        const file = path.join(folder, `events-${f}.ndjson.zst`).replaceAll("'", "''");
        await conn.run(
          `COPY (SELECT ${id} + range AS event_id, 'user-' || (range % 13) AS user_name, ` +
            `round(range * 1.5, 1)::DOUBLE AS score, CASE WHEN range % 5 = 0 THEN NULL ELSE 'n' || range END AS note, ` +
            `TIMESTAMP '2021-${pad(month)}-01 00:00:00' + INTERVAL (range + ${f * 1000}) MINUTE AS created_at ` +
            `FROM range(150)) TO '${file}' (FORMAT json, COMPRESSION zstd)`,
        );
        id += 150;
      }
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  return { dir, partitions, distinctKeys: id };
}

/** Yearly JSON arrays (.json) whose `code` is a number in some records and a string in others. */
export function jsonArraysMixed(dir: string): InitFixture {
  const partitions = ['2019', '2020'];
  let id = 0;
  for (const year of partitions) {
    const folder = path.join(dir, `year=${year}`);
    mkdirSync(folder, { recursive: true });
    const records = Array.from({ length: 120 }, (_, i) => {
      id += 1;
      return {
        event_id: id,
        code: i % 4 === 0 ? `A${i}` : i,
        payload: { kind: i % 3 ? 'click' : 'view', weight: i / 2 },
        happened_at: `${year}-06-01T10:${pad(i % 60)}:00`,
      };
    });
    writeFileSync(path.join(folder, 'events.json'), JSON.stringify(records, null, 1));
  }
  return { dir, partitions, distinctKeys: id };
}
