import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { runCliProcess } from '../../testkit/cli';
import { useTestEnv } from '../../testkit/env';
import { prepareTransactionsBackfill, tempDir } from '../../testkit/fixtures';
import { assertTargetEqualsOracle } from '../../testkit/oracle';
import { spawnWorker, withWorkerProcess } from '../../testkit/processes';
import {
  makeCertificates,
  startApiKeyProxy,
  startMtlsProxy,
  type MtlsProxy,
  type TestCertificates,
} from '../../testkit/tls-proxy';

describe('TLS, mTLS and API keys to the Temporal frontend', () => {
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
    const { data, target, specFile, taskQueue } = prepareTransactionsBackfill({
      name: 'tls',
      from: '2021-01',
      to: '2021-02',
    });
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
    const viaProxy = { address: proxy.address, namespace: env.server.namespace };
    await withWorkerProcess(viaProxy, taskQueue, tls, async () => {
      const started = await runCliProcess(['start', specFile, '--wait'], { ...cliEnv, ...tls });
      assert.equal(started.code, 0, started.stderr);
      assert.match(started.stdout, /2 partitions: 2 succeeded/);
    });
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

  it('an API key (TEMPORAL_API_KEY) reaches a key-checking gateway from the worker and the CLI, and never the logs or history', async () => {
    const apiKey = `key-${randomBytes(12).toString('hex')}`;
    const gateway = await startApiKeyProxy(env.server.address, certs, apiKey);
    try {
      const { data, target, spec, specFile, taskQueue } = prepareTransactionsBackfill({
        name: 'apikey',
        from: '2021-03',
        to: '2021-04',
      });
      // The gateway's certificate is from the test CA, so the CA is configured beside the key.
      const auth = {
        TEMPORAL_API_KEY: apiKey,
        TEMPORAL_TLS_CA: certs.ca,
        TEMPORAL_TLS_SERVER_NAME: 'localhost',
      };
      const cliEnv = {
        TEMPORAL_ADDRESS: gateway.address,
        TEMPORAL_NAMESPACE: env.server.namespace,
        BACKFILL_TASK_QUEUE: taskQueue,
      };
      const worker = spawnWorker({ address: gateway.address, namespace: env.server.namespace }, taskQueue, {
        ...auth,
        LOG_LEVEL: 'debug',
      });
      try {
        const started = await runCliProcess(['start', specFile, '--wait'], { ...cliEnv, ...auth });
        assert.equal(started.code, 0, started.stderr);
        assert.match(started.stdout, /2 partitions: 2 succeeded/);
        assert.ok(!started.stdout.includes(apiKey) && !started.stderr.includes(apiKey));
      } finally {
        await worker.kill();
      }
      await assertTargetEqualsOracle(target, data.oracle);
      assert.ok(gateway.forwarded() > 0);
      assert.equal(gateway.refused(), 0, 'every request carried the key');

      const wrongKey = await runCliProcess(['list'], { ...cliEnv, ...auth, TEMPORAL_API_KEY: 'not-the-key' });
      assert.equal(wrongKey.code, 2, wrongKey.stderr);
      assert.match(wrongKey.stderr, /Temporal rejected the credentials/);
      assert.ok(gateway.refused() > 0, 'the gateway refused the wrong key');
      assert.ok(!wrongKey.stderr.includes('not-the-key'), wrongKey.stderr);

      const places = [worker.logs.join('\n')];
      for (const id of [spec.name, `${spec.name}/2021-03`, `${spec.name}/2021-04`]) {
        const handle = env.client.workflow.getHandle(id);
        places.push(
          historyToJSON(await handle.fetchHistory()),
          JSON.stringify((await handle.describe()).memo ?? {}),
        );
      }
      for (const text of places) assert.ok(!text.includes(apiKey), 'the API key leaked');
      assert.ok(places[0]!.length > 0 && places[1]!.includes(spec.name), 'the haystack is real');
    } finally {
      await gateway.close();
    }
  });
});
