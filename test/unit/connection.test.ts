import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, duckdbThreads, loadConfig, uiUrl } from '../../common/config';
import { connectionOptions } from '../../common/connection-options';
import { tempDir } from '../../testkit/fixtures';

describe('connection options that reach the SDK', () => {
  const dir = tempDir();
  const files = { ca: path.join(dir, 'ca.pem'), crt: path.join(dir, 'c.pem'), key: path.join(dir, 'k.pem') };
  writeFileSync(files.ca, 'CA');
  writeFileSync(files.crt, 'CRT');
  writeFileSync(files.key, 'KEY');

  it('plain address and namespace by default, no TLS', () => {
    const config = loadConfig({});
    assert.deepEqual(connectionOptions(config), { address: 'localhost:7233' });
    assert.equal(config.TEMPORAL_NAMESPACE, 'default');
    assert.equal(uiUrl(config, 'a/b'), 'http://localhost:8233/namespaces/default/workflows/a%2Fb');
  });

  it('mTLS: CA, client certificate and key, server name', () => {
    const options = connectionOptions(
      loadConfig({
        TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
        TEMPORAL_NAMESPACE: 'ns.acct',
        TEMPORAL_TLS_CA: files.ca,
        TEMPORAL_TLS_CERT: files.crt,
        TEMPORAL_TLS_KEY: files.key,
        TEMPORAL_TLS_SERVER_NAME: 'ns.acct.tmprl.cloud',
      }),
    );
    assert.equal(options.address, 'ns.acct.tmprl.cloud:7233');
    assert.equal(options.tls?.serverNameOverride, 'ns.acct.tmprl.cloud');
    assert.equal(options.tls?.serverRootCACertificate?.toString(), 'CA');
    assert.equal(options.tls?.clientCertPair?.crt.toString(), 'CRT');
    assert.equal(options.tls?.clientCertPair?.key.toString(), 'KEY');
    assert.equal(options.apiKey, undefined);
  });

  it('an API key implies TLS', () => {
    const options = connectionOptions(loadConfig({ TEMPORAL_API_KEY: 'k-123' }));
    assert.equal(options.apiKey, 'k-123');
    assert.deepEqual(options.tls, {});
  });

  it('reads an optional config file; the environment wins; unknown keys are errors', () => {
    const file = path.join(dir, 'backfill.yaml');
    writeFileSync(
      file,
      'TEMPORAL_ADDRESS: cluster:7233\nBACKFILL_DUCKDB_THREADS: 8\nTEMPORAL_NAMESPACE: prod\n',
    );
    const config = loadConfig({ BACKFILL_CONFIG: file, TEMPORAL_NAMESPACE: 'from-env' });
    assert.deepEqual(
      [config.TEMPORAL_ADDRESS, config.BACKFILL_DUCKDB_THREADS, config.TEMPORAL_NAMESPACE],
      ['cluster:7233', 8, 'from-env'],
    );
    assert.equal(duckdbThreads(config, 2), 8, 'as set');
    writeFileSync(file, 'TEMPORAL_ADRESS: typo:7233\n');
    assert.throws(() => loadConfig({ BACKFILL_CONFIG: file }), /unknown key\(s\) TEMPORAL_ADRESS/);
  });

  it('rejects a certificate without its key, unreadable files and bad values, naming the variable', () => {
    assert.throws(
      () => loadConfig({ TEMPORAL_TLS_CERT: files.crt }),
      (e: unknown) => e instanceof ConfigError && /TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/.test(e.message),
    );
    assert.throws(
      () => connectionOptions(loadConfig({ TEMPORAL_TLS_CA: '/nope.pem' })),
      /TEMPORAL_TLS_CA: cannot read \/nope\.pem \(ENOENT\)/,
    );
    assert.throws(
      () => loadConfig({ BACKFILL_DUCKDB_MEMORY_LIMIT: 'lots' }),
      /BACKFILL_DUCKDB_MEMORY_LIMIT: must be a size/,
    );
    assert.throws(
      () => loadConfig({ BACKFILL_COMMIT_TASK_QUEUE: 'owner queue' }),
      /BACKFILL_COMMIT_TASK_QUEUE: letters, digits/,
    );
    assert.equal(
      loadConfig({ BACKFILL_COMMIT_TASK_QUEUE: 'file-owner' }).BACKFILL_COMMIT_TASK_QUEUE,
      'file-owner',
    );
    assert.equal(loadConfig({ BACKFILL_COMMIT_TASK_QUEUE: '' }).BACKFILL_COMMIT_TASK_QUEUE, undefined);
  });

  it("shares a worker's cores among its concurrent loads unless DuckDB threads are set", () => {
    const config = (activities: number) =>
      loadConfig({ BACKFILL_MAX_CONCURRENT_ACTIVITIES: String(activities) });
    assert.equal(duckdbThreads(config(4), 2), 1);
    assert.equal(duckdbThreads(config(4), 16), 4);
    assert.equal(duckdbThreads(config(1), 8), 8);
    assert.equal(duckdbThreads(config(50), 64), 1);
  });
});
