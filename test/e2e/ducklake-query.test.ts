/**
 * `backfill query` against a DuckLake target, as the real binary in its own process: it answers
 * while a backfill commits into the lake (a DuckDB file would be locked by the worker), it sees only
 * committed partitions, and it refuses writes — also the lake's maintenance functions, which are
 * SELECTs that write, because the lake is attached READ_ONLY. The credentials come from the
 * query process's environment, as for the workers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { getStatus, startBackfill } from '../../client/backfills';
import { parseSpec, type BackfillSpecInput } from '../../common/spec';
import { generateTransactions, type Dataset } from '../../testkit/dataset';
import { runCliProcess } from '../../testkit/cli';
import { startTestEnv, type TestEnv } from '../../testkit/env';
import { tempDir, uniqueId, writeSpecFile } from '../../testkit/fixtures';
import { waitForBackfillClosed } from '../../testkit/inspect';
import { startLakeServers, type LakeServers } from '../../testkit/lake-servers';
import { transactionsSpecInput } from '../../testkit/specs';
import { waitFor } from '../../testkit/wait';
import { startWorker, type RunningWorker } from '../../testkit/worker';

const BUCKET = 'querylake';
/** The partition whose commit the worker holds while the queries run. */
const HELD = '2020-04';

describe('backfill query on a DuckLake target (PostgreSQL catalog, data on MinIO)', () => {
  let servers: LakeServers;
  let env: TestEnv;
  let worker: RunningWorker | undefined;
  let data: Dataset;
  let specFile: string;
  let input: BackfillSpecInput;
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  let holding = false;

  before(async () => {
    [servers, env] = await Promise.all([startLakeServers(BUCKET), startTestEnv()]);
    const dir = tempDir('lake-query-');
    data = generateTransactions({
      dir: path.join(dir, 'raw'),
      from: '2020-01',
      to: '2020-04',
      rowsPerPartition: 200,
      lateUpdateRate: 0,
    });
    input = {
      ...transactionsSpecInput({
        name: uniqueId('lake-query'),
        source: path.join(dir, 'raw'),
        target: { ...servers.newLake('querylake'), endpoint: servers.minio.endpoint },
        from: '2020-01',
        to: '2020-04',
      }),
      maxConcurrency: 1,
      heartbeatTimeout: '5s',
    };
    specFile = writeSpecFile(dir, input);
    // The in-process worker takes the lake's credentials from this process's environment.
    Object.assign(process.env, servers.lakeEnv());
    worker = await startWorker(env, {
      faults: {
        holdBeforeCommit: (key) => {
          if (key !== HELD) return undefined;
          holding = true;
          return held;
        },
      },
    });
  });
  after(async () => {
    release();
    await worker?.stop();
    await env?.server.stop();
    await servers?.stop();
  });

  const lakeEnv = () => servers.lakeEnv();
  const query = (sql: string, extra: string[] = [], queryEnv: Record<string, string> = lakeEnv()) =>
    runCliProcess(['query', specFile, sql, ...extra], queryEnv);
  const counts = async () => {
    const out = await query(
      'SELECT month, count(*)::INTEGER AS n FROM transactions GROUP BY month ORDER BY month',
      ['--json'],
    );
    assert.equal(out.code, 0, out.stderr);
    return Object.fromEntries(
      (JSON.parse(out.stdout) as { month: number; n: number }[]).map((r) => [r.month, r.n]),
    );
  };

  it('answers from another process while the backfill commits, with committed partitions only', async () => {
    const spec = parseSpec(input);
    await startBackfill(env.client, spec, { taskQueue: worker!.taskQueue });
    // Partitions run one at a time, oldest first: three are committed when the last one is held.
    await waitFor(
      'the last partition to wait at its commit',
      () => Promise.resolve(holding || undefined),
      120_000,
    );
    const during = await counts();
    const expected = (month: number) => [...data.oracle.values()].filter((r) => r.month === month).length;
    assert.deepEqual(during, { 1: expected(1), 2: expected(2), 3: expected(3) });
    const running = await getStatus(env.client, spec.name);
    assert.equal(running.workflowStatus, 'RUNNING');

    release();
    await waitForBackfillClosed(env.client, spec.name, 120_000);
    const total = await query('SELECT count(*)::INTEGER AS n FROM transactions', ['--csv']);
    assert.equal(total.code, 0, total.stderr);
    assert.equal(total.stdout, `n\n${data.oracle.size}`);
    // The lake's own functions are there under the name "lake".
    const snapshots = await query('SELECT count(*)::INTEGER AS n FROM lake.snapshots()', ['--csv']);
    assert.equal(snapshots.code, 0, snapshots.stderr);
    assert.ok(Number(snapshots.stdout.split('\n')[1]) >= 4, snapshots.stdout);
  });

  it('refuses writes: statements that write up front, a writing SELECT by the READ_ONLY attach', async () => {
    for (const write of [
      'DELETE FROM transactions',
      'DROP TABLE transactions',
      "CALL ducklake_merge_adjacent_files('lake')",
    ]) {
      const refused = await query(write);
      assert.equal(refused.code, 2, write);
      assert.match(refused.stderr, /refused: .* statement; backfill query only reads/, write);
    }
    // A SELECT that would expire snapshots gets through the statement check; the attach refuses it.
    const expire = await query("SELECT * FROM ducklake_expire_snapshots('lake', older_than => now())");
    assert.equal(expire.code, 2, expire.stdout);
    assert.match(expire.stderr, /^error: query failed: .*read.only/i);
    const total = await query('SELECT count(*)::INTEGER AS n FROM lake.snapshots()', ['--csv']);
    assert.ok(Number(total.stdout.split('\n')[1]) >= 4, 'no snapshot was expired');
  });

  it('a wrong password is one line without any secret, and a non-zero exit', async () => {
    const wrong = await query('SELECT 1', [], { ...lakeEnv(), PGPASSWORD: 'not-the-password' });
    assert.notEqual(wrong.code, 0);
    assert.equal(wrong.stdout, '');
    assert.equal(wrong.stderr.split('\n').length, 1, wrong.stderr);
    assert.match(wrong.stderr, /^error: DuckLake postgres:.*: the catalog refused the login/);
    const output = wrong.stderr + (await query('SELECT count(*) FROM transactions')).stdout;
    for (const secret of [servers.pg.password, servers.minio.secretKey])
      assert.ok(!output.includes(secret), 'a secret leaked');
  });
});
