import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ensureDuckdbExtensions, wheelPackage } from '../../client/duckdb-extensions';
import {
  LAKE_EXTENSIONS,
  MissingExtensionError,
  duckdbPlatform,
  engineVersion,
  extensionDirectory,
  extensionFile,
  extensionSettings,
  loadExtensions,
} from '../../loading/duckdb-extensions';
import { tempDir } from '../helpers';

describe('DuckDB extensions', () => {
  before(() => {
    ensureDuckdbExtensions(); // what `npm test` provisions already: a no-op then
  });

  it('names the platform as DuckDB does, here and on the other published platforms', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    const [platform] = (await connection.runAndReadAll('SELECT * FROM pragma_platform()')).getRows();
    assert.equal(duckdbPlatform(), platform?.[0]);
    db.closeSync();
    assert.equal(duckdbPlatform('darwin', 'arm64'), 'osx_arm64');
    assert.equal(duckdbPlatform('linux', 'arm64', false), 'linux_arm64');
    assert.equal(duckdbPlatform('linux', 'x64', true), 'linux_amd64_musl');
    assert.equal(duckdbPlatform('win32', 'x64'), 'windows_amd64');
    assert.throws(() => duckdbPlatform('aix', 'ppc64'), /no extensions for aix\/ppc64/);
    assert.equal(wheelPackage('postgres_scanner'), 'duckdb-extension-postgres-scanner');
  });

  it('loads ducklake, httpfs and postgres_scanner from the provisioned directory with signatures checked', async () => {
    const db = await DuckDBInstance.create(':memory:', extensionSettings());
    const connection = await db.connect();
    await loadExtensions(connection);
    const rows = (
      await connection.runAndReadAll(
        `SELECT extension_name, loaded, install_path FROM duckdb_extensions()
         WHERE extension_name IN ('ducklake', 'httpfs', 'postgres_scanner') ORDER BY 1`,
      )
    ).getRowObjectsJson();
    assert.deepEqual(
      rows,
      [...LAKE_EXTENSIONS].sort().map((name) => ({
        extension_name: name,
        loaded: true,
        install_path: extensionFile(name),
      })),
    );
    const [unsigned] = (
      await connection.runAndReadAll("SELECT current_setting('allow_unsigned_extensions')")
    ).getRows();
    assert.equal(unsigned?.[0], false);
    db.closeSync();
  });

  it('a missing extension is one line saying how to install it, and nothing is downloaded at run time', async () => {
    const empty = tempDir('no-extensions-');
    const db = await DuckDBInstance.create(':memory:', extensionSettings(empty));
    const connection = await db.connect();
    const error = await loadExtensions(connection, ['ducklake'], empty).then(
      () => assert.fail('loaded from an empty directory'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof MissingExtensionError);
    assert.equal(error.message.split('\n').length, 1);
    assert.ok(
      error.message.startsWith(
        `DuckDB extension ducklake (${engineVersion()}, ${duckdbPlatform()}) is not installed in ${empty}: run \`npm run tools\``,
      ),
      error.message,
    );
    // DuckDB itself, asked anyway, looks only in the directory (autoinstall is off): no network wait.
    const started = Date.now();
    await assert.rejects(
      connection.run(`ATTACH 'ducklake:${path.join(empty, 'x.ducklake')}' AS lake`),
      /not found/,
    );
    assert.ok(Date.now() - started < 1000);
    db.closeSync();
  });

  it('provisions into an empty directory once (DuckDB INSTALL, else the PyPI wheel), then is a no-op', async () => {
    const directory = tempDir('extensions-');
    assert.deepEqual(
      ensureDuckdbExtensions(['httpfs'], directory, () => {}),
      ['httpfs'],
    );
    assert.ok(existsSync(extensionFile('httpfs', directory)));
    assert.deepEqual(
      ensureDuckdbExtensions(['httpfs'], directory, () => {}),
      [],
    );
    const db = await DuckDBInstance.create(':memory:', extensionSettings(directory));
    await loadExtensions(await db.connect(), ['httpfs'], directory);
    db.closeSync();
    assert.notEqual(directory, extensionDirectory());
  });
});
