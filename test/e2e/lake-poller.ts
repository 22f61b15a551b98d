/**
 * A reader in its own process (spawned by ducklake.test.ts): attaches the lake read-only and, until
 * stopped, prints each partition's row count as one JSON line per poll. The lake's location and
 * credentials come from the environment, like a worker's.
 */
import { openLakeReader } from '../ducklake-reader';

async function main() {
  const env = process.env;
  let stopping = false;
  process.on('SIGTERM', () => (stopping = true));
  const open = () =>
    openLakeReader({
      catalog: env.LAKE_CATALOG!,
      dataPath: env.LAKE_DATA_PATH!,
      s3: {
        endpoint: env.LAKE_S3_ENDPOINT!,
        accessKey: env.AWS_ACCESS_KEY_ID!,
        secretKey: env.AWS_SECRET_ACCESS_KEY!,
      },
      pgPassword: env.PGPASSWORD!,
    });
  // Read-only: the lake must exist first (the first worker to attach creates it).
  let reader: Awaited<ReturnType<typeof open>> | undefined;
  while (!reader && !stopping) {
    reader = await open().catch(() => undefined);
    if (!reader) await new Promise((r) => setTimeout(r, 200));
  }
  if (!reader) return;
  const table = `"${env.LAKE_TABLE!.replaceAll('"', '""')}"`;
  while (!stopping) {
    // Each poll is one query, so one snapshot: a partition's count is as of that snapshot.
    const rows = await reader
      .query<{ p: string; n: string }>(
        `SELECT printf('%04d-%02d', year, month) AS p, count(*)::VARCHAR AS n FROM ${table} GROUP BY ALL`,
      )
      .catch(() => undefined); // the table does not exist before the first commit
    if (rows)
      process.stdout.write(`${JSON.stringify(Object.fromEntries(rows.map((r) => [r.p, Number(r.n)])))}\n`);
    await new Promise((r) => setTimeout(r, 150));
  }
  reader.close();
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
