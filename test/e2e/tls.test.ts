import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateTransactions } from '../../scripts/dataset';
import {
  assertTargetEqualsOracle,
  runCliProcess,
  spawnWorker,
  tempDir,
  transactionsSpec,
  uniqueId,
  useTestEnv,
} from '../helpers';
import { makeCertificates, startMtlsProxy, type MtlsProxy, type TestCertificates } from '../tls-proxy';

describe('mTLS to the Temporal frontend', () => {
  const env = useTestEnv();
  let certs: TestCertificates;
  let proxy: MtlsProxy;
  before(async () => {
    certs = makeCertificates(tempDir('certs-'));
    proxy = await startMtlsProxy(env.server.address, certs);
  });
  after(async () => {
    await proxy?.close();
  });

  it('the worker and the CLI connect with client certificates (TEMPORAL_TLS_*); without one, or without TLS, they are refused', async () => {
    const dir = tempDir();
    const data = generateTransactions({
      dir: path.join(dir, 'raw'),
      from: '2021-01',
      to: '2021-02',
      rowsPerPartition: 300,
    });
    const target = path.join(dir, 't.duckdb');
    const spec = transactionsSpec({
      name: uniqueId('tls'),
      source: path.join(dir, 'raw'),
      target,
      from: '2021-01',
      to: '2021-02',
    });
    const specFile = path.join(dir, 'spec.json');
    writeFileSync(specFile, JSON.stringify(spec));
    const taskQueue = uniqueId('tq');
    const tls = {
      TEMPORAL_TLS_CA: certs.ca,
      TEMPORAL_TLS_CERT: certs.clientCert,
      TEMPORAL_TLS_KEY: certs.clientKey,
      TEMPORAL_TLS_SERVER_NAME: 'localhost',
    };
    const cliEnv = {
      TEMPORAL_ADDRESS: proxy.address,
      TEMPORAL_NAMESPACE: env.server.namespace,
      BACKFILL_TASK_QUEUE: taskQueue,
    };
    // The worker's only way to the server is the proxy, so a finished backfill proves its TLS too.
    const worker = spawnWorker({ address: proxy.address, namespace: env.server.namespace }, taskQueue, tls);
    try {
      const started = await runCliProcess(['start', specFile, '--wait'], { ...cliEnv, ...tls });
      assert.equal(started.code, 0, started.stderr);
      assert.match(started.stdout, /2 partitions: 2 succeeded/);
    } finally {
      worker.process.kill('SIGTERM');
      await worker.exited;
    }
    await assertTargetEqualsOracle(target, data.oracle);
    assert.ok(proxy.clients.length >= 2, `${proxy.clients.length} accepted connections`);
    assert.deepEqual([...new Set(proxy.clients)], ['backfill-worker']);

    const refusedBefore = proxy.refused();
    const noClientCert = await runCliProcess(['list'], {
      ...cliEnv,
      TEMPORAL_TLS_CA: certs.ca,
      TEMPORAL_TLS_SERVER_NAME: 'localhost',
    });
    assert.equal(noClientCert.code, 4, noClientCert.stderr);
    assert.match(noClientCert.stderr, new RegExp(`cannot reach the Temporal server at ${proxy.address}`));
    const plaintext = await runCliProcess(['list'], cliEnv);
    assert.equal(plaintext.code, 4, plaintext.stderr);
    assert.ok(proxy.refused() > refusedBefore, 'the proxy refused the handshakes');
    assert.deepEqual(
      [...new Set(proxy.clients)],
      ['backfill-worker'],
      'nothing got through without a certificate',
    );
  });
});
