import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { emptyStats } from '../../common/types';
import { countStatuses } from '../../workflows/state';
import type { BackfillStatus } from '../../client/backfills';
import { partitionTable, progressBar, stateLabel } from '../../client/render';

const status = (done: number, total: number): BackfillStatus => {
  const partitions = Array.from({ length: total }, (_, i) => ({
    key: `p${i}`,
    status: i < done ? ('succeeded' as const) : ('pending' as const),
    runs: i < done ? 1 : 0,
  }));
  return {
    backfillId: 'b',
    state: 'running',
    workflowStatus: 'RUNNING',
    runs: 1,
    source: 'worker',
    maxConcurrency: 2,
    generation: 0,
    startedAt: Date.now(),
    total,
    counts: countStatuses(partitions),
    totals: emptyStats(),
  };
};

/** Renders the bar twice, with no progress between, into a non-terminal stream; returns the text. */
async function frames(first: BackfillStatus, second = first): Promise<string> {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream;
  let text = '';
  (stream as unknown as PassThrough).on('data', (d: Buffer) => (text += d.toString()));
  const bar = progressBar(stream);
  bar.update(first);
  await new Promise((r) => setTimeout(r, 20));
  bar.update(second);
  bar.stop();
  return text;
}

describe('human output', () => {
  it('the progress bar says ETA -- while no partition is done (the rate is zero), never NFs', async () => {
    const text = await frames(status(0, 10)); // no progress between the frames: a rate of zero
    const etas = [...text.matchAll(/ETA (\S+)/g)].map((m) => m[1]);
    assert.equal(etas.length, 2, text);
    assert.deepEqual(etas, ['--', '--'], text);
  });

  it('the progress bar estimates once partitions end', async () => {
    const text = await frames(status(0, 10), status(5, 10));
    assert.match(text, /ETA \d+s\n/);
  });

  it('over several runs the rate counts only rows loaded while watching, not the earlier runs’ totals', async () => {
    const earlier = { ...status(5, 10), runs: 2, totals: { ...emptyStats(), rowsRead: 1_000_000 } };
    const text = await frames(earlier);
    assert.match(text, /\| 0 rows\/s \|/, text);
  });

  it('the header says the state once when Temporal says the same', () => {
    assert.equal(stateLabel('running', 'RUNNING'), 'running');
    assert.equal(stateLabel('paused', 'RUNNING'), 'paused (running)');
    assert.equal(stateLabel('finished', 'FAILED'), 'finished (failed)');
  });

  it('partition tables read like kubectl: a header row, one line per row, no rules, numbers right-aligned', () => {
    const stats = {
      ...emptyStats(),
      files: 2,
      bytes: 123_456,
      rowsRead: 1000,
      rowsAccepted: 990,
      attempts: 1,
    };
    const text = partitionTable([
      { key: '2019-01', status: 'succeeded', runs: 1, stats },
      {
        key: '2019-02',
        status: 'failed',
        runs: 1,
        stats: { ...emptyStats(), attempts: 3 },
        lastError: 'SchemaError: x\nsecond line',
      },
      { key: '2019-03', status: 'pending', runs: 0 },
    ]);
    const lines = text.split('\n');
    assert.equal(lines.length, 4, text);
    assert.match(lines[0]!, /^PARTITION\s+STATUS\s+FILES\s+BYTES\s+ROWS READ\s+ACCEPTED\s+.*LAST ERROR$/);
    assert.doesNotMatch(text, /[─│┌┐└┘├┤┼-]{3}|\|/, 'no rule lines or borders');
    assert.match(lines[2]!, /^2019-02\s+failed\s.*SchemaError: x second line$/);
    const endOf = (header: string) => lines[0]!.indexOf(header) + header.length;
    assert.ok(lines[1]!.slice(0, endOf('ROWS READ')).endsWith(' 1,000'), 'rows read ends under its header');
    assert.ok(lines[1]!.slice(0, endOf('BYTES')).endsWith(' 123,456'), 'bytes end under their header');
  });
});
