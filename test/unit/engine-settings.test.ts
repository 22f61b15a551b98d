import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import { checkpointThresholdBytes, instanceSettings } from '../../loading/staging/engine';

const MiB = 2 ** 20;

describe('the staging engine settings', () => {
  it('checkpoints attached targets at an eighth of the memory limit, between 16 and 256 MiB', () => {
    assert.equal(checkpointThresholdBytes('2GB'), 238 * MiB);
    assert.equal(checkpointThresholdBytes('4GiB'), 256 * MiB);
    assert.equal(checkpointThresholdBytes('512MiB'), 64 * MiB);
    // A small worker keeps DuckDB's own default: its memory holds the rows not yet checkpointed.
    assert.equal(checkpointThresholdBytes('64MB'), 16 * MiB);
  });

  it('hands DuckDB a threshold it accepts', async () => {
    const settings = instanceSettings({ memoryLimit: '1GiB', threads: 1 });
    const db = await DuckDBInstance.create(':memory:', settings);
    try {
      const conn = await db.connect();
      const rows = (
        await conn.runAndReadAll("SELECT current_setting('checkpoint_threshold') AS v")
      ).getRowObjects();
      assert.match(String(rows[0]?.v), /^128\.0 MiB$|^134\.2 MB$/);
      conn.closeSync();
    } finally {
      db.closeSync();
    }
  });
});
