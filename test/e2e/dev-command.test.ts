import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../common/ids';
import { tempDir } from '../../testkit/fixtures';
import { freePort } from '../../testkit/ports';
import { waitFor } from '../../testkit/wait';

const BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'backfill.js');

/** True when nothing listens on the port any more (the server released it). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('backfill dev', () => {
  it('serves gRPC and the Web UI on a persistent SQLite file, with search attributes and 30-day retention; SIGINT stops it cleanly', async () => {
    const [port, uiPort] = [await freePort(), await freePort()];
    const dbFile = path.join(tempDir(), 'state', 'temporal.db');
    const child = spawn(
      process.execPath,
      [BIN, 'dev', '--port', String(port), '--ui-port', String(uiPort), '--db-file', dbFile],
      {
        env: { ...process.env, LOG_LEVEL: 'warn', BACKFILL_METRICS_PORT: '0' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(
        'the worker to start',
        () => Promise.resolve(stderr.includes('worker polling task queue')),
        120_000,
      );
      const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
      try {
        const attributes = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
        for (const attribute of SEARCH_ATTRIBUTES)
          assert.ok(attribute.name in (attributes.customAttributes ?? {}), attribute.name);
        const ns = await connection.workflowService.describeNamespace({ namespace: 'default' });
        assert.equal(Number(ns.config?.workflowExecutionRetentionTtl?.seconds), 30 * 86_400);
      } finally {
        await connection.close();
      }
      const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
      assert.equal(ui.status, 200);
      assert.ok(existsSync(dbFile), 'the SQLite file persists the server state');
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /stopping\.\.\./);
  });

  it('--no-worker stays in the foreground serving until SIGINT, then exits 0 and frees the port', async () => {
    const [port, uiPort] = [await freePort(), await freePort()];
    const dbFile = path.join(tempDir(), 'state', 'temporal.db');
    const child = spawn(
      process.execPath,
      [BIN, 'dev', '--no-worker', '--port', String(port), '--ui-port', String(uiPort), '--db-file', dbFile],
      {
        env: { ...process.env, LOG_LEVEL: 'warn', BACKFILL_METRICS_PORT: '0' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let exitCode: number | null | undefined;
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve((exitCode = code))),
    );
    try {
      await waitFor(
        'the server banner',
        () => Promise.resolve(stderr.includes('Temporal dev server on')),
        120_000,
      );
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(exitCode, undefined, `dev --no-worker exited early:\n${stderr}`);
      const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
      try {
        const ns = await connection.workflowService.describeNamespace({ namespace: 'default' });
        assert.equal(ns.namespaceInfo?.name, 'default');
      } finally {
        await connection.close();
      }
      assert.doesNotMatch(stderr, /worker polling/);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /stopping\.\.\./);
    assert.ok(await portIsFree(port), 'the gRPC port is released');
  });
});
