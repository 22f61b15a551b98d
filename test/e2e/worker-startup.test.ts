import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@temporalio/client';
import { startBackfill } from '../../client/backfills';
import { startDevServer } from '../../client/dev-server';
import { assertOneLineError, runCliProcess } from '../../testkit/cli';
import { prepareTransactionsBackfill, uniqueId } from '../../testkit/fixtures';
import { assertTargetEqualsOracle } from '../../testkit/oracle';
import { freePort } from '../../testkit/ports';
import { spawnWorker, stopChild } from '../../testkit/processes';

/** The message of each pino line that has one. */
const messages = (logs: string[]) =>
  logs.map((l) => {
    try {
      return (JSON.parse(l) as { msg?: string }).msg ?? '';
    } catch {
      return l;
    }
  });

describe('a worker that starts before its server', () => {
  it('waits, one line per attempt, connects once the server is up 10 s later, and runs a backfill to the oracle', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const taskQueue = uniqueId('tq');
    const worker = spawnWorker({ address, namespace: 'default' }, taskQueue);
    let exitCode: number | null | undefined;
    void worker.exited.then((code) => (exitCode = code));
    let server: Awaited<ReturnType<typeof startDevServer>> | undefined;
    try {
      await new Promise((r) => setTimeout(r, 10_000));
      assert.equal(exitCode, undefined, `the worker gave up:\n${worker.logs.join('\n')}`);
      const waits = messages(worker.logs).filter((m) => m.startsWith('waiting for Temporal'));
      assert.ok(waits.length >= 2, `retried:\n${worker.logs.join('\n')}`);
      assert.equal(waits[0], `waiting for Temporal at ${address} (attempt 1): Connection refused`);
      assert.match(waits[1]!, new RegExp(`^waiting for Temporal at ${address} \\(attempt 2\\): `));

      server = await startDevServer({ port });
      const client = new Client({ connection: server.connection, namespace: server.namespace });
      const { data, spec, target } = prepareTransactionsBackfill({
        name: 'late',
        from: '2021-01',
        to: '2021-02',
      });
      const summary = await (await startBackfill(client, spec, { taskQueue })).result();
      assert.equal(summary.counts.succeeded, 2);
      await stopChild(
        { kill: (s) => worker.process.kill(s), exited: worker.exited.then(() => {}) },
        'SIGTERM',
        15_000,
      );
      await assertTargetEqualsOracle(target, data.oracle);
    } finally {
      if (exitCode === undefined) worker.process.kill('SIGKILL');
      await server?.stop();
    }
  });

  it('gives up after BACKFILL_CONNECT_TIMEOUT with one clear line and a non-zero exit', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const result = await runCliProcess(['worker'], {
      TEMPORAL_ADDRESS: address,
      BACKFILL_CONNECT_TIMEOUT: '3s',
      BACKFILL_METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    });
    const elapsed = Date.now() - started;
    assert.equal(result.code, 4, result.stderr);
    assertOneLineError(
      result,
      new RegExp(
        `^error: gave up waiting for Temporal at ${address} after [34]s \\(\\d+ attempts\\): Connection refused \\(is the server up\\? check TEMPORAL_ADDRESS, or raise BACKFILL_CONNECT_TIMEOUT\\)$`,
      ),
    );
    assert.doesNotMatch(result.stderr + result.stdout, /tonic::transport/);
    assert.ok(elapsed >= 3000 && elapsed < 20_000, `gave up after ${elapsed} ms`);
    assert.ok(
      messages(result.stdout.split('\n')).filter((m) => m.startsWith(`waiting for Temporal at ${address}`))
        .length >= 2,
      result.stdout,
    );
  });
});
