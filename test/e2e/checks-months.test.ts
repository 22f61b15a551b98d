/**
 * Quality gates end to end (real Temporal dev server, real DuckDB, and a DuckLake on MinIO +
 * PostgreSQL): 24 months where one month has 3 % of the usual rows and another has negative
 * amounts. With `fail` exactly those two partitions fail, naming their checks, and nothing of them
 * lands (the target equals the oracle of the other 22); `backfill check` agrees; `retry --spec`
 * with relaxed checks loads them. With `drop` the negative rows are in the rejects table with the
 * check's name and the counts reconcile; with `warn` everything lands and both warnings show in
 * `status --json`. The outcomes show while the backfill runs and survive continue-as-new; the
 * Temporal UI's details of the parent and of a failed child list them. Bad checks are refused by
 * start, plan and check before anything starts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BackfillSpecInput } from '../../common/spec';
import type { CheckOutcome, PartitionStats } from '../../common/types';
import type { backfillWorkflow } from '../../workflows';
import type { BackfillSummary } from '../../workflows/state';
import { oracleLines, TARGET_LINES_SQL, type OracleRow, type Transaction } from '../../testkit/dataset';
import { startBackfill } from '../../client/backfills';
import { runCli } from '../../testkit/cli';
import { useTestEnv } from '../../testkit/env';
import { prepareTransactionsBackfill, tempDir, uniqueId, writeSpecFile } from '../../testkit/fixtures';
import { waitForBackfillClosed } from '../../testkit/inspect';
import { startLakeServers, type LakeServers } from '../../testkit/lake-servers';
import { assertTargetEqualsOracle, queryFile } from '../../testkit/oracle';
import { transactionsSpec } from '../../testkit/specs';
import { waitFor } from '../../testkit/wait';
import { withWorker } from '../../testkit/worker';

const FROM = '2020-01';
const TO = '2021-12';
/** The month with 3 % of the usual rows. */
const SHORT = '2020-06';
/** The month with some negative amounts. */
const NEGATIVE = '2021-03';
const ROWS = 200;

type Action = 'warn' | 'drop' | 'fail';

/** The two checks of the issue; `drop` only applies to the row check (volume warns then). */
const checksFor = (action: Action, relaxed = false): BackfillSpecInput['checks'] => [
  {
    name: 'volume',
    rowCount: { relativeMin: relaxed ? 0.01 : 0.5 },
    action: action === 'drop' ? 'warn' : action,
  },
  { name: 'amount_non_negative', expression: 'amount >= 0', action: relaxed ? 'warn' : action },
];

const monthDir = (raw: string, key: string) => {
  const [y, m] = key.split('-');
  return path.join(raw, `year=${y}`, `month=${m}`);
};

/** Rewrites every file of a month's directory line by line. */
function rewriteMonth(raw: string, key: string, edit: (lines: Transaction[]) => Transaction[]) {
  const dir = monthDir(raw, key);
  for (const file of readdirSync(dir)) {
    const lines = readFileSync(path.join(dir, file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Transaction);
    writeFileSync(
      path.join(dir, file),
      edit(lines)
        .map((t) => JSON.stringify(t))
        .join('\n') + '\n',
    );
  }
}

/** A month's rows as they are on disk now: one per key (no late updates in this data). */
function monthRows(raw: string, key: string): OracleRow[] {
  const [year, month] = key.split('-').map(Number) as [number, number];
  const rows = new Map<string, OracleRow>();
  const dir = monthDir(raw, key);
  for (const file of readdirSync(dir))
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n').filter(Boolean)) {
      const tx = JSON.parse(line) as Transaction;
      rows.set(tx.transaction_id, { ...tx, year, month });
    }
  return [...rows.values()];
}

/** Ids whose amounts are made negative: every 25th transaction of the month, amounts above zero only. */
const negated = (tx: Transaction) => Number(tx.transaction_id.slice(-7)) % 25 === 0 && Number(tx.amount) > 0;

/** The generated data with the two bad months written in, and the oracle of what is on disk. */
function badMonths(raw: string, oracle: Map<string, OracleRow>) {
  rewriteMonth(raw, SHORT, (lines) => lines.slice(0, Math.ceil(lines.length * 0.03)));
  rewriteMonth(raw, NEGATIVE, (lines) =>
    lines.map((tx) => (negated(tx) ? { ...tx, amount: `-${tx.amount}` } : tx)),
  );
  const all = new Map([...oracle].filter(([, r]) => !isMonth(r, SHORT) && !isMonth(r, NEGATIVE)));
  for (const row of [...monthRows(raw, SHORT), ...monthRows(raw, NEGATIVE)]) all.set(row.transaction_id, row);
  const negatives = monthRows(raw, NEGATIVE).filter((r) => r.amount.startsWith('-'));
  return { all, negatives };
}

const isMonth = (r: OracleRow, key: string) => `${r.year}-${String(r.month).padStart(2, '0')}` === key;
const without = (oracle: Map<string, OracleRow>, keep: (r: OracleRow) => boolean) =>
  new Map([...oracle].filter(([, r]) => keep(r)));

interface StatusJson {
  partitions: { key: string; status: string; lastError?: string; stats?: PartitionStats }[];
}

const outcomeOf = (status: StatusJson, key: string, check: string): CheckOutcome | undefined =>
  status.partitions.find((p) => p.key === key)?.stats?.checks?.find((c) => c.name === check);

function prepare(name: string, action: Action) {
  const prepared = prepareTransactionsBackfill({
    name,
    from: FROM,
    to: TO,
    data: { rowsPerPartition: ROWS, filesPerPartition: 2, lateUpdateRate: 0 },
    extra: { checks: checksFor(action) },
  });
  return { ...prepared, ...badMonths(prepared.raw, prepared.data.oracle) };
}

describe('quality gates (real Temporal dev server, real DuckDB)', () => {
  const env = useTestEnv();

  it('fail: exactly the two bad months fail naming their checks, nothing of them lands; retry --spec loads them', async () => {
    const { spec, specFile, target, dir, all } = prepare('checks-fail', 'fail');
    let summary: BackfillSummary | undefined;
    await withWorker(env, async ({ taskQueue }) => {
      const started = await runCli(env, taskQueue, ['start', specFile, '--wait']);
      assert.equal(started.code, 1, started.err.join('\n'));
      assert.match(started.out.join('\n'), /24 partitions: 22 succeeded, 2 failed/);
      summary = await env.client.workflow.getHandle<typeof backfillWorkflow>(spec.name).result();
      const failed = summary.partitions!.filter((p) => p.status === 'failed');
      assert.deepEqual(failed.map((p) => p.key).sort(), [SHORT, NEGATIVE]);
      const error = (key: string) => failed.find((p) => p.key === key)!.lastError ?? '';
      assert.match(error(SHORT), /^CheckFailedError: check "volume" failed: /);
      assert.match(
        error(NEGATIVE),
        /^CheckFailedError: check "amount_non_negative" failed: \d+ of \d+ rows violate amount >= 0 \(sample: .*-\d/,
      );
      for (const key of [SHORT, NEGATIVE]) assert.doesNotMatch(error(key), /\n/, 'one line');
      assert.equal(
        failed.find((p) => p.key === NEGATIVE)!.stats?.attempts,
        1,
        'a failed check is not retried',
      );

      // status --json: each partition's outcomes, the failed ones' from their failure.
      const status = await runCli(env, taskQueue, ['status', spec.name, '--json']);
      assert.equal(status.code, 0, status.err.join('\n'));
      const parsed = JSON.parse(status.out.join('\n')) as StatusJson;
      assert.equal(outcomeOf(parsed, SHORT, 'volume')?.outcome, 'failed');
      assert.equal(outcomeOf(parsed, NEGATIVE, 'amount_non_negative')?.outcome, 'failed');
      assert.ok((outcomeOf(parsed, NEGATIVE, 'amount_non_negative')?.violations ?? 0) > 0);
      assert.equal(outcomeOf(parsed, '2020-01', 'amount_non_negative')?.outcome, 'passed');
      const table = await runCli(env, taskQueue, ['status', spec.name]);
      const lines = table.out.join('\n').split('\n');
      assert.match(lines[0]!, /CHECKS\s+LAST ERROR$/);
      assert.match(
        lines.find((l) => l.startsWith(SHORT))!,
        /failed.*FAIL volume\s+CheckFailedError/,
      );
      assert.match(
        lines.find((l) => l.startsWith('2020-01'))!,
        /succeeded.*\s2 ok$/,
      );

      // The Temporal UI's details: the parent lists the partitions whose checks fired, the failed
      // child its outcomes.
      const details = async (workflowId: string) =>
        (
          await env.client.workflow
            .getHandle(workflowId)
            .query<{ currentDetails?: string }>('__temporal_workflow_metadata')
        ).currentDetails ?? '';
      const parent = await details(spec.name);
      assert.match(parent, /### Checks that fired/, parent);
      assert.ok(parent.includes(`- \`${SHORT}\` (failed): FAIL volume — `), parent);
      assert.ok(parent.includes(`- \`${NEGATIVE}\` (failed): FAIL amount_non_negative — `), parent);
      const child = await details(`${spec.name}/${NEGATIVE}`);
      assert.match(child, new RegExp(`^## Partition ${NEGATIVE} — failed`), child);
      assert.match(
        child,
        /\| amount_non_negative \| fail \| failed \| [1-9]\d* \| \d+ \| .*"amount":-\d/,
        child,
      );
      assert.match(await details(`${spec.name}/2020-01`), /\*\*Checks:\*\* 2 ok/);
    });
    // The other 22 exactly, nothing of the two.
    await assertTargetEqualsOracle(
      target,
      without(all, (r) => !isMonth(r, SHORT) && !isMonth(r, NEGATIVE)),
    );
    const [landed] = await queryFile<{ n: number }>(
      target,
      `SELECT count(*)::INTEGER AS n FROM transactions WHERE (year, month) IN ((2020, 6), (2021, 3))`,
    );
    assert.equal(landed!.n, 0);

    // backfill check: the 22 that landed pass.
    const checked = await runCli(env, 'unused', ['check', specFile]);
    assert.equal(checked.code, 0, checked.err.join('\n'));
    assert.match(checked.out.join('\n'), /22 partition\(s\), 2 check\(s\) each: none failed/);

    // Relax the checks in a new spec file; retry runs the two under it (a new run: the backfill closed).
    const relaxedFile = writeSpecFile(dir, { ...spec, checks: checksFor('fail', true) }, 'relaxed.json');
    await withWorker(env, async ({ taskQueue }) => {
      const retry = await runCli(env, taskQueue, [
        'retry',
        spec.name,
        '--partition',
        SHORT,
        NEGATIVE,
        '--spec',
        relaxedFile,
      ]);
      assert.equal(retry.code, 0, retry.err.join('\n'));
      assert.deepEqual(retry.out, [`retrying: ${SHORT}, ${NEGATIVE} (in a new run of the backfill)`]);
      await waitForBackfillClosed(env.client, spec.name);
      const status = JSON.parse(
        (await runCli(env, taskQueue, ['status', spec.name, '--json'])).out.join('\n'),
      ) as StatusJson;
      assert.equal(status.partitions.filter((p) => p.status === 'succeeded').length, 24);
      assert.equal(outcomeOf(status, NEGATIVE, 'amount_non_negative')?.outcome, 'warned');
      assert.equal(outcomeOf(status, SHORT, 'volume')?.outcome, 'passed');
    });
    await assertTargetEqualsOracle(target, all);

    // The strict spec's checks against the target now: the two months fail, exit 1.
    const strict = await runCli(env, 'unused', ['check', specFile, '--json']);
    assert.equal(strict.code, 1, strict.err.join('\n'));
    const report = JSON.parse(strict.out.join('\n')) as {
      failed: string[];
      partitions: { partition: string; checks: CheckOutcome[] }[];
    };
    assert.deepEqual([...report.failed].sort(), [SHORT, NEGATIVE]);
    assert.equal(report.partitions.length, 24);
    const only = await runCli(env, 'unused', ['check', specFile, '--partition', NEGATIVE]);
    assert.equal(only.code, 1);
    assert.match(
      only.out.join('\n'),
      new RegExp(`${NEGATIVE}\\s+amount_non_negative\\s+fail\\s+failed\\s+\\d+`),
    );
  });

  it('drop: the negative rows go to the rejects table under the check’s name, and the counts reconcile', async () => {
    const { spec, specFile, target, all, negatives } = prepare('checks-drop', 'drop');
    await withWorker(env, async ({ taskQueue }) => {
      const started = await runCli(env, taskQueue, ['start', specFile, '--wait']);
      assert.equal(started.code, 0, started.err.join('\n'));
      const summary = await env.client.workflow.getHandle<typeof backfillWorkflow>(spec.name).result();
      assert.equal(summary.counts.succeeded, 24);
      for (const p of summary.partitions!) {
        const s = p.stats!;
        assert.equal(
          s.rowsRead,
          s.rowsAccepted + s.duplicatesRemoved + s.rowsRejected,
          `reconciles in ${p.key}`,
        );
      }
      const negative = summary.partitions!.find((p) => p.key === NEGATIVE)!;
      assert.equal(negative.stats!.rowsRejected, negatives.length);
      const status = JSON.parse(
        (await runCli(env, taskQueue, ['status', spec.name, '--json'])).out.join('\n'),
      ) as StatusJson;
      const dropped = outcomeOf(status, NEGATIVE, 'amount_non_negative')!;
      assert.equal(dropped.outcome, 'dropped');
      assert.equal(dropped.violations, negatives.length);
      assert.equal(outcomeOf(status, SHORT, 'volume')?.outcome, 'warned');
      const table = await runCli(env, taskQueue, ['status', spec.name]);
      assert.match(table.out.join('\n'), new RegExp(`${NEGATIVE} .*1 ok, 1 drop\\(${negatives.length}\\)`));
    });
    const rejects = await queryFile<{ partition_key: string; reason: string; n: number }>(
      target,
      'SELECT partition_key, reason, count(*)::INTEGER AS n FROM transactions__rejects GROUP BY ALL',
    );
    assert.deepEqual(rejects, [
      { partition_key: NEGATIVE, reason: 'check amount_non_negative', n: negatives.length },
    ]);
    const negativeIds = new Set(negatives.map((r) => r.transaction_id));
    await assertTargetEqualsOracle(
      target,
      without(all, (r) => !negativeIds.has(r.transaction_id)),
    );
  });

  it('warn: everything lands and both warnings show in status --json', async () => {
    const { spec, specFile, target, all } = prepare('checks-warn', 'warn');
    await withWorker(env, async ({ taskQueue }) => {
      const started = await runCli(env, taskQueue, ['start', specFile, '--wait']);
      assert.equal(started.code, 0, started.err.join('\n'));
      const status = JSON.parse(
        (await runCli(env, taskQueue, ['status', spec.name, '--json'])).out.join('\n'),
      ) as StatusJson;
      assert.equal(status.partitions.filter((p) => p.status === 'succeeded').length, 24);
      const volume = outcomeOf(status, SHORT, 'volume')!;
      assert.equal(volume.outcome, 'warned');
      assert.equal(outcomeOf(status, NEGATIVE, 'amount_non_negative')?.outcome, 'warned');
      assert.ok(outcomeOf(status, NEGATIVE, 'amount_non_negative')!.samples.some((s) => s.includes('-')));
      const warnedKeys = status.partitions
        .filter((p) => p.stats?.checks?.some((c) => c.outcome !== 'passed'))
        .map((p) => p.key)
        .sort();
      assert.deepEqual(warnedKeys, [SHORT, NEGATIVE]);
      // The parent's UI details list them too (they are neither running nor failed).
      const details =
        (
          await env.client.workflow
            .getHandle(spec.name)
            .query<{ currentDetails?: string }>('__temporal_workflow_metadata')
        ).currentDetails ?? '';
      assert.ok(details.includes(`- \`${SHORT}\` (succeeded): 1 ok, 1 warn — volume (warned): `), details);
      assert.ok(
        details.includes(`- \`${NEGATIVE}\` (succeeded): 1 ok, 1 warn — amount_non_negative (warned): `),
        details,
      );
    });
    await assertTargetEqualsOracle(target, all);
  });

  it('the outcomes survive continue-as-new: status of a run that continued shows every warning', async () => {
    const { spec, negatives } = prepare('checks-continued', 'warn');
    await withWorker(env, async ({ taskQueue }) => {
      // A tiny history budget: the parent drains and continues as new every few children.
      const handle = await startBackfill(env.client, spec, { taskQueue, historyBudget: 20 });
      const summary = await handle.result();
      assert.ok(summary.generation >= 2, `generation ${summary.generation}`);
      const status = JSON.parse(
        (await runCli(env, taskQueue, ['status', spec.name, '--json'])).out.join('\n'),
      ) as StatusJson;
      const fired = status.partitions
        .filter((p) => p.stats?.checks?.some((c) => c.outcome !== 'passed'))
        .map((p) => p.key)
        .sort();
      assert.deepEqual(fired, [SHORT, NEGATIVE]);
      const amount = outcomeOf(status, NEGATIVE, 'amount_non_negative')!;
      assert.equal(amount.outcome, 'warned');
      assert.equal(amount.violations, negatives.length);
      assert.ok(amount.samples.length > 0, 'samples kept');
      assert.match(amount.message, /rows violate amount >= 0/);
      // Passed ones are rebuilt from the spec for every loaded partition.
      for (const p of status.partitions)
        assert.deepEqual(
          p.stats?.checks?.map((c) => c.name),
          ['volume', 'amount_non_negative'],
          p.key,
        );
    });
  });

  it('while the backfill runs, status shows the outcomes of the partitions that finished', async () => {
    const { spec, specFile } = prepareTransactionsBackfill({
      name: 'checks-running',
      from: '2020-01',
      to: '2020-04',
      data: { rowsPerPartition: ROWS, filesPerPartition: 2 },
      extra: { checks: [{ name: 'small_amounts', range: { column: 'amount', max: 50000 }, action: 'warn' }] },
    });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await withWorker(
      env,
      { faults: { holdBeforeCommit: (key) => (key === '2020-04' ? held : undefined) } },
      async ({ taskQueue }) => {
        try {
          const started = await runCli(env, taskQueue, ['start', specFile]);
          assert.equal(started.code, 0, started.err.join('\n'));
          const running = await waitFor('three partitions done, the last held', async () => {
            const s = await runCli(env, taskQueue, ['status', spec.name, '--json']);
            const parsed =
              s.code === 0 ? (JSON.parse(s.out.join('\n')) as StatusJson & { state: string }) : undefined;
            return parsed && parsed.partitions.filter((p) => p.status === 'succeeded').length === 3
              ? parsed
              : undefined;
          });
          assert.equal(running.state, 'running');
          assert.equal(running.partitions.find((p) => p.key === '2020-04')?.status, 'running');
          for (const key of ['2020-01', '2020-02', '2020-03']) {
            const warned = outcomeOf(running, key, 'small_amounts')!;
            assert.equal(warned.outcome, 'warned', key);
            assert.ok(warned.violations > 0 && warned.samples.length > 0, key);
          }
          const table = await runCli(env, taskQueue, ['status', spec.name]);
          assert.match(table.out.join('\n'), /2020-01 .*succeeded.*\s1 warn$/m);
        } finally {
          release();
        }
        await waitForBackfillClosed(env.client, spec.name);
      },
    );
  });

  describe('into a DuckLake (PostgreSQL catalog, data on MinIO)', () => {
    let servers: LakeServers;
    before(async () => {
      servers = await startLakeServers('checkslake');
      Object.assign(process.env, servers.lakeEnv()); // the in-process worker's lake credentials
    });
    after(async () => {
      await servers?.stop();
    });

    it('fail: the two bad months fail and the lake holds exactly the other 22', async () => {
      const prepared = prepareTransactionsBackfill({
        name: 'checks-lake',
        from: FROM,
        to: TO,
        data: { rowsPerPartition: ROWS, filesPerPartition: 2, lateUpdateRate: 0 },
      });
      const { all } = badMonths(prepared.raw, prepared.data.oracle);
      const lake = servers.newLake('checkslake');
      const spec = transactionsSpec({
        name: uniqueId('checks-lake'),
        source: prepared.raw,
        target: { ...lake, endpoint: servers.minio.endpoint },
        from: FROM,
        to: TO,
        extra: { checks: checksFor('fail'), heartbeatTimeout: '5s' },
      });
      const specFile = writeSpecFile(tempDir('checks-lake-'), spec);
      await withWorker(env, async ({ taskQueue }) => {
        const started = await runCli(env, taskQueue, ['start', specFile, '--wait']);
        assert.equal(started.code, 1, started.err.join('\n'));
        const summary = await env.client.workflow.getHandle<typeof backfillWorkflow>(spec.name).result();
        const failed = summary.partitions!.filter((p) => p.status === 'failed');
        assert.deepEqual(failed.map((p) => p.key).sort(), [SHORT, NEGATIVE]);
        assert.match(failed.find((p) => p.key === SHORT)!.lastError ?? '', /check "volume" failed/);
        assert.match(
          failed.find((p) => p.key === NEGATIVE)!.lastError ?? '',
          /check "amount_non_negative" failed/,
        );
      });
      const lines = (await servers.read<{ line: string }>(lake, TARGET_LINES_SQL('transactions'))).map(
        (r) => r.line,
      );
      assert.deepEqual(lines, oracleLines(without(all, (r) => !isMonth(r, SHORT) && !isMonth(r, NEGATIVE))));
      // backfill check reads the lake read-only, the way query does.
      const checked = await runCli(env, 'unused', ['check', specFile, '--json']);
      assert.equal(checked.code, 0, checked.err.join('\n'));
      assert.equal((JSON.parse(checked.out.join('\n')) as { partitions: unknown[] }).partitions.length, 22);
    });
  });

  describe('bad checks are refused before anything starts', () => {
    const { spec: base, dir } = prepareTransactionsBackfill({
      name: 'bad-checks',
      from: FROM,
      to: '2020-03',
    });

    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        'an unknown column',
        { name: 'c', notNull: { column: 'no_such_column' } },
        /checks\[0\]\.notNull\.column: .*no_such_column/,
      ],
      [
        'an invalid regex',
        { name: 'c', pattern: { column: 'currency', regex: '([A-Z' } },
        /checks\[0\]\.pattern\.regex: /,
      ],
      [
        'an expression that is not boolean',
        { name: 'c', expression: 'amount + 1' },
        /checks\[0\]\.expression: .*(BOOLEAN|boolean)/,
      ],
      [
        'an expression that writes',
        { name: 'c', expression: '1; DROP TABLE t' },
        /checks\[0\]\.expression: .*";"/,
      ],
      [
        'a threshold out of range',
        { name: 'c', notNull: { column: 'amount' }, maxViolationShare: 1.5 },
        /checks\[0\]\.maxViolationShare: /,
      ],
    ];

    for (const [what, check, pattern] of cases)
      it(`${what}: start, plan and check say so in one line, exit 2, no workflow`, async () => {
        const name = uniqueId('bad-check');
        const file = writeSpecFile(dir, { ...base, name, checks: [check] }, `${name}.json`);
        for (const verb of ['start', 'plan', 'check']) {
          const result = await runCli(env, 'no-worker', [verb, file]);
          assert.equal(result.code, 2, `${verb}: ${result.err.join('\n')}`);
          assert.equal(result.err.length, 1, `${verb}: one line: ${result.err.join('\n')}`);
          assert.match(result.err[0]!, /^error: invalid backfill spec: /);
          assert.match(result.err[0]!, pattern, verb);
        }
        let runs = 0;
        for await (const _ of env.client.workflow.list({ query: `WorkflowId = '${name}'` })) runs += 1;
        assert.equal(runs, 0, 'nothing started');
      });

    it('several problems: one line each', async () => {
      const name = uniqueId('bad-checks');
      // The three problems the spec's rules find (the DuckDB ones come once the rules pass).
      const checks = [cases[0]!, cases[3]!, cases[4]!].map(([, c], i) => ({ ...c, name: `c${i}` }));
      const file = writeSpecFile(dir, { ...base, name, checks }, `${name}.json`);
      const result = await runCli(env, 'no-worker', ['start', file]);
      assert.equal(result.code, 2);
      const lines = result.err.join('\n').split('\n');
      assert.match(lines[0]!, /^error: invalid backfill spec \(3 problems\):$/);
      assert.equal(lines.length, 4, lines.join('\n'));
    });
  });
});
