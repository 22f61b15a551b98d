/**
 * Deterministic sample data: monthly NDJSON transactions with duplicate deliveries (the same
 * record in two files of a month) and late updates (a newer version of an older transaction in a
 * later month). Returns the oracle — one row per key, the latest version — computed here in plain
 * TypeScript, independently of the SQL the service runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { planPartitionKeys } from '../common/partitions';

export const TRANSACTIONS_SCHEMA = {
  transaction_id: 'VARCHAR',
  customer_id: 'VARCHAR',
  amount: 'DECIMAL(12,2)',
  currency: 'VARCHAR',
  status: 'VARCHAR',
  event_time: 'TIMESTAMP',
  updated_at: 'TIMESTAMP',
} as const;

export interface Transaction {
  /** Only on flagged deletes (lateDeleteRate). */
  deleted?: boolean;
  transaction_id: string;
  customer_id: string;
  amount: string;
  currency: string;
  status: string;
  event_time: string;
  updated_at: string;
}

export interface OracleRow extends Transaction {
  year: number;
  month: number;
}

export interface DatasetOptions {
  dir: string;
  from: string; // month key
  to: string;
  rowsPerPartition: number;
  filesPerPartition?: number;
  /** Share of rows re-delivered in another file of the same month. */
  duplicateRate?: number;
  /** Share of rows updated again in a later month. */
  lateUpdateRate?: number;
  /**
   * Share of those late updates that are deletes instead: the record carries `"deleted": true` and
   * the key leaves the oracle (a spec with deleteColumn "deleted" drops it). Default 0, so the
   * random sequence, and every existing data set, is unchanged.
   */
  lateDeleteRate?: number;
  /**
   * How many files on a duplicate lands from its original (modulo the month's files). Default 1,
   * the next file; more than a shard's file count puts the copy in another shard.
   */
  duplicateFileOffset?: number;
  /**
   * Share of rows that get a newer version in their own month, in the file half the month's files
   * away: for the first half of the files that file comes later in name order, for the second half
   * earlier, so the newest version is as often read before the older one as after it. A share of
   * those newer versions (duplicateRate) is re-delivered `duplicateFileOffset` files further on.
   * Default 0, so the random sequence, and every existing data set, is unchanged.
   */
  inMonthUpdateRate?: number;
  seed?: number;
  gzip?: boolean;
}

export interface Dataset {
  partitions: string[];
  files: number;
  rows: number;
  oracle: Map<string, OracleRow>;
}

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CURRENCIES = ['EUR', 'USD', 'GBP', 'JPY'];
const STATUSES = ['authorized', 'settled', 'refunded'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function generateTransactions(options: DatasetOptions): Dataset {
  const random = prng(options.seed ?? 42);
  const filesPerPartition = options.filesPerPartition ?? 4;
  const duplicateRate = options.duplicateRate ?? 0.02;
  const lateUpdateRate = options.lateUpdateRate ?? 0.01;
  const duplicateOffset = options.duplicateFileOffset ?? 1;
  const inMonthUpdateRate = options.inMonthUpdateRate ?? 0;
  const partitions = planPartitionKeys(options.from, options.to, 'month');
  const oracle = new Map<string, OracleRow>();
  const lateUpdates = new Map<number, Transaction[]>(); // partition index -> updates to deliver there
  let files = 0;
  let rows = 0;

  partitions.forEach((key, pIndex) => {
    const [year, month] = key.split('-').map(Number) as [number, number];
    const buckets: string[][] = Array.from({ length: filesPerPartition }, () => []);
    const inMonthUpdates: { tx: Transaction; fileIndex: number }[] = [];
    const deliver = (tx: Transaction, fileIndex: number) => {
      buckets[fileIndex]!.push(JSON.stringify(tx));
      rows += 1;
      const current = oracle.get(tx.transaction_id);
      // The latest updated_at wins; equal ones are identical re-deliveries within one month.
      if (!current || tx.updated_at >= current.updated_at)
        oracle.set(tx.transaction_id, { ...tx, year, month });
    };
    for (let i = 0; i < options.rowsPerPartition; i++) {
      const day = 1 + Math.floor(random() * 28);
      const seconds = Math.floor(random() * 86_400);
      const time = `${year}-${pad(month)}-${pad(day)}T${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
      const tx: Transaction = {
        transaction_id: `tx-${key}-${pad(i, 7)}`,
        customer_id: `c-${pad(Math.floor(random() * 50_000), 5)}`,
        amount: (Math.floor(random() * 10_000_000) / 100).toFixed(2),
        currency: CURRENCIES[Math.floor(random() * CURRENCIES.length)]!,
        status: 'authorized',
        event_time: time,
        updated_at: time,
      };
      const fileIndex = i % filesPerPartition;
      deliver(tx, fileIndex);
      if (random() < duplicateRate && filesPerPartition > 1)
        deliver(tx, (fileIndex + duplicateOffset) % filesPerPartition);
      if (inMonthUpdateRate > 0 && filesPerPartition > 1 && random() < inMonthUpdateRate)
        inMonthUpdates.push({ tx, fileIndex });
      if (random() < lateUpdateRate && pIndex + 1 < partitions.length) {
        const later = pIndex + 1 + Math.floor(random() * Math.min(3, partitions.length - pIndex - 1));
        const list = lateUpdates.get(later) ?? [];
        list.push(tx);
        lateUpdates.set(later, list);
      }
    }
    for (const [n, { tx, fileIndex }] of inMonthUpdates.entries()) {
      const updated: Transaction = {
        ...tx,
        status: STATUSES[1 + (n % 2)]!,
        amount: (Number(tx.amount) + 0.5).toFixed(2),
        // Later than the original by 1 s to 1 h (it may fall in the next month: updated_at is not
        // the partition column), and unique per key, so no two versions of a key tie.
        updated_at: new Date(Date.parse(`${tx.updated_at}Z`) + 1000 * (1 + (n % 3600)))
          .toISOString()
          .slice(0, 19),
      };
      const far = (fileIndex + Math.floor(filesPerPartition / 2)) % filesPerPartition;
      deliver(updated, far);
      if (random() < duplicateRate) deliver(updated, (far + duplicateOffset) % filesPerPartition);
    }
    for (const [n, original] of (lateUpdates.get(pIndex) ?? []).entries()) {
      const updated: Transaction = {
        ...original,
        status: STATUSES[1 + (n % 2)]!,
        amount: (Number(original.amount) + 1).toFixed(2),
        updated_at: `${year}-${pad(month)}-28T23:59:${pad(n % 60)}`,
      };
      const remove = (options.lateDeleteRate ?? 0) > 0 && random() < options.lateDeleteRate!;
      if (remove) updated.deleted = true;
      deliver(updated, filesPerPartition - 1);
      // A key gets at most one late update, so its delete is its last version.
      if (remove) oracle.delete(updated.transaction_id);
    }
    const dir = path.join(options.dir, `year=${year}`, `month=${pad(month)}`);
    mkdirSync(dir, { recursive: true });
    buckets.forEach((lines, f) => {
      const body = lines.join('\n') + '\n';
      const name = `part-${pad(f, 3)}.ndjson${options.gzip ? '.gz' : ''}`;
      writeFileSync(path.join(dir, name), options.gzip ? gzipSync(body) : body);
      files += 1;
    });
  });
  return { partitions, files, rows, oracle };
}

/** The oracle as sorted, comparable lines. */
export function oracleLines(oracle: Map<string, OracleRow>): string[] {
  return [...oracle.values()]
    .sort((a, b) => (a.transaction_id < b.transaction_id ? -1 : 1))
    .map((r) =>
      [
        r.transaction_id,
        r.customer_id,
        r.amount,
        r.currency,
        r.status,
        r.event_time,
        r.updated_at,
        r.year,
        r.month,
      ].join('|'),
    );
}

/** SQL that renders a target table in the same form as oracleLines (for tests and the demo check). */
export const TARGET_LINES_SQL = (table: string) =>
  `SELECT concat_ws('|', transaction_id, customer_id, CAST(amount AS VARCHAR), currency, status, ` +
  `strftime(event_time, '%Y-%m-%dT%H:%M:%S'), strftime(updated_at, '%Y-%m-%dT%H:%M:%S'), year, month) AS line ` +
  `FROM "${table.replaceAll('"', '""')}" ORDER BY transaction_id`;
