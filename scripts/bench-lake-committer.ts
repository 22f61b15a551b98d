/**
 * One process of the catalog benchmark (`npm run bench:lake`): attaches the lake the way a worker
 * does (loading/destinations/ducklake/access.ts) and commits minimal transactions for a while — one
 * row (inlined into the catalog, so no data file) plus the commit guard every partition commit
 * bumps — re-running each conflicting one as the destination does; with LOCK=1 each transaction
 * first takes the table's commit lock, as the destination does by default. Prints {commits, conflicts}.
 * Env: LAKE_CATALOG, LAKE_DATA_PATH, LAKE_S3_ENDPOINT, SECONDS, LOCK, PGPASSWORD, AWS_*.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { parseSpec } from '../common/spec';
import { attachStatement, prepareLakeAccess } from '../loading/destinations/ducklake/access';
import { commitLockKey } from '../loading/destinations/ducklake/commit-lock';
import { isConflict } from '../loading/destinations/ducklake/errors';
import { lakeLocation, lakeTarget } from '../loading/destinations/ducklake/location';
import * as lake from '../loading/destinations/ducklake/sql';
import { run } from '../loading/duckdb';
import { extensionSettings } from '../loading/duckdb-extensions';

async function main() {
  const spec = parseSpec({
    name: 'catalog-bench',
    source: { uri: '/nowhere' },
    schema: { id: 'BIGINT' },
    target: {
      type: 'ducklake',
      catalog: process.env.LAKE_CATALOG!,
      dataPath: process.env.LAKE_DATA_PATH!,
      endpoint: process.env.LAKE_S3_ENDPOINT!,
      table: 'commits',
      keyColumns: ['id'],
    },
    range: { from: '2020-01', to: '2020-01' },
  });
  const location = lakeLocation(lakeTarget(spec));
  const instance = await DuckDBInstance.create(':memory:', { ...extensionSettings(), threads: '1' });
  const conn = await instance.connect();
  const pgSecret = await prepareLakeAccess(conn, spec, location, process.env, { create: true });
  await run(conn, attachStatement(location, 'lake', pgSecret));
  await run(conn, { sql: 'CREATE TABLE IF NOT EXISTS lake.commits (pid INTEGER, n INTEGER)' }).catch(
    () => undefined,
  );
  await run(conn, lake.createGuard('lake', 'commits')).catch(() => undefined);
  // The lock is held by a transaction of its own connection, as PostgresCommitLock does.
  const lockConn = process.env.LOCK === '1' ? await instance.connect() : undefined;
  const takeLock = lake.takeCommitLock(lake.metadataCatalog('lake'), commitLockKey('commits'), 2000);
  const until = Date.now() + Number(process.env.SECONDS ?? 10) * 1000;
  let commits = 0;
  let conflicts = 0;
  while (Date.now() < until) {
    try {
      if (lockConn) {
        await run(lockConn, { sql: 'BEGIN TRANSACTION' });
        await run(lockConn, takeLock);
      }
      await run(conn, { sql: 'BEGIN TRANSACTION' });
      await run(conn, {
        sql: 'INSERT INTO lake.commits VALUES ($pid, $n)',
        params: { pid: process.pid, n: commits },
      });
      await run(conn, lake.bumpGuard('lake', 'commits'));
      await run(conn, { sql: 'COMMIT' });
      commits += 1;
    } catch (err) {
      await run(conn, { sql: 'ROLLBACK' }).catch(() => undefined);
      if (!isConflict(err)) throw err;
      conflicts += 1;
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
    } finally {
      if (lockConn) await run(lockConn, { sql: 'ROLLBACK' }).catch(() => undefined);
    }
  }
  process.stdout.write(`${JSON.stringify({ commits, conflicts })}\n`);
  conn.closeSync();
  instance.closeSync();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`committer failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
