/**
 * The compose stack's lake-setup one-shot (deploy/postgres/lake-catalog.sql) on a real PostgreSQL,
 * run as the compose file runs it: twice (every `docker compose up` runs it) without an error, and
 * the role it makes logs in over TCP with its password and can create a DuckLake catalog in its
 * database, which DuckDB then attaches and writes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parse } from 'yaml';
import { extensionSettings, loadExtensions } from '../../loading/duckdb-extensions';
import * as lake from '../../loading/destinations/ducklake/sql';
import { tempDir } from '../../testkit/fixtures';
import { startPostgres, type Postgres } from '../../testkit/postgres-server';

const root = path.resolve(__dirname, '..', '..', '..');
const script = readFileSync(path.join(root, 'deploy', 'postgres', 'lake-catalog.sql'), 'utf8');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { environment: Record<string, string> }>;
};
const setupEnv = compose.services['lake-setup']!.environment;

/** psql's `-v name=value`, as the compose command passes them, on the script's stdin. */
const withVariables = (vars: Record<string, string>) =>
  Object.entries(vars)
    .map(([k, v]) => `\\set ${k} '${v.replaceAll("'", "\\'")}'\n`)
    .join('') + script;

describe("the compose stack's lake catalog setup on a real PostgreSQL", () => {
  let pg: Postgres;
  before(async () => {
    pg = await startPostgres();
  });
  after(() => pg?.stop());

  it('is idempotent, and its role creates and writes a DuckLake catalog in its database', async () => {
    const vars = {
      lake_user: setupEnv.LAKE_USER!,
      lake_password: setupEnv.LAKE_PASSWORD!,
      lake_database: setupEnv.LAKE_DATABASE!,
    };
    pg.psql(withVariables(vars));
    pg.psql(withVariables(vars)); // the next `docker compose up`
    assert.equal(
      pg.psql(`SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${vars.lake_database}'`),
      vars.lake_user,
    );

    const instance = await DuckDBInstance.create(':memory:', extensionSettings());
    const conn = await instance.connect();
    try {
      await loadExtensions(conn, ['ducklake', 'postgres_scanner']);
      const secret = lake.createPostgresSecret('setup_pg', vars.lake_password);
      await conn.run(secret.sql, secret.params);
      const catalog = `postgres:dbname=${vars.lake_database} host=${pg.host} port=${pg.port} user=${vars.lake_user}`;
      await conn.run(lake.attachLake(catalog, `${tempDir('lake-setup-')}/`, 'lake', 'setup_pg').sql);
      await conn.run('CREATE TABLE lake.t AS SELECT 42 AS answer');
      const rows = (await conn.runAndReadAll('SELECT answer FROM lake.t')).getRowObjectsJson();
      assert.deepEqual(rows, [{ answer: 42 }]);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
    // The catalog's tables belong to the lake role, in its database.
    assert.ok(
      Number(
        pg.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'ducklake_snapshot'", vars.lake_database),
      ) === 1,
    );
  });
});
