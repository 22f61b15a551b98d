import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { specFromFlags } from '../../client/commands/start';
import { applyOverrides, parseSpec, parseSpecWithWarnings } from '../../common/spec';
import { ENV_VARS } from '../../common/config';
import { BEGIN, END, specReference } from '../../scripts/spec-docs';
import { specProblems, unitSpecInput } from '../../testkit/specs';

const valid = () =>
  unitSpecInput({
    name: 'tx-2019',
    schema: { id: 'VARCHAR', amount: 'DECIMAL(12,2)', updated_at: 'TIMESTAMP' },
  });

const problems = specProblems;

describe('backfill spec', () => {
  it('applies defaults to a valid spec', () => {
    const spec = parseSpec(valid());
    assert.equal(spec.source.layout, 'year={yyyy}/month={mm}/');
    assert.equal(spec.range.granularity, 'month');
    assert.equal(spec.target.writeMode, 'merge');
    assert.equal(spec.readMode, 'permissive');
    assert.equal(spec.reprocess, 'failed');
    assert.equal(spec.commit, 'partition');
    assert.deepEqual(spec.retry, {
      maximumAttempts: 3,
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '1m',
    });
  });

  const cases: [string, (s: ReturnType<typeof valid>) => unknown, string][] = [
    [
      'batch commit without batches',
      (s) => ({ ...s, commit: 'batch' }),
      'commit: batch needs partitionsPerChild of 2 or more (each child commits its partitions together)',
    ],
    [
      'to before from',
      (s) => ({ ...s, range: { from: '2020-01', to: '2019-12' } }),
      'range.to: is before range.from (2020-01)',
    ],
    [
      'bad month',
      (s) => ({ ...s, range: { from: '2019-13', to: '2019-12' } }),
      'range.from: "2019-13" is not a valid month (no such date or hour)',
    ],
    [
      'wrong key form',
      (s) => ({ ...s, range: { from: '2019-01-01', to: '2019-12' } }),
      'range.from: "2019-01-01" is not a month partition (expected e.g. 2019-03)',
    ],
    [
      'unknown type',
      (s) => ({ ...s, schema: { ...s.schema, id: 'VARCHAR); DROP TABLE x; --' } }),
      'schema.id: is not a supported column type',
    ],
    [
      'key not in schema',
      (s) => ({ ...s, target: { ...s.target, keyColumns: ['nope'] } }),
      'target.keyColumns[0]: "nope" is not a schema column',
    ],
    [
      'merge without keys',
      (s) => ({ ...s, target: { ...s.target, keyColumns: [] } }),
      'target.keyColumns: writeMode merge needs at least one key column',
    ],
    ['unknown field', (s) => ({ ...s, colour: 'blue' }), '(spec): Unrecognized key: "colour"'],
    [
      'concurrency over cap',
      (s) => ({ ...s, maxConcurrency: 5000 }),
      'maxConcurrency: Too big: expected number to be <=1000',
    ],
    [
      'layout token finer than granularity',
      (s) => ({ ...s, source: { uri: '/x', layout: 'd={dd}/' } }),
      'source.layout: token(s) {dd} cannot be filled at month granularity (allowed: {yyyy} {mm} {key})',
    ],
    [
      'bad duration',
      (s) => ({ ...s, heartbeatTimeout: 'soon' }),
      'heartbeatTimeout: must be a duration such as 500ms, 10s, 5m, 1h or 30d',
    ],
    [
      'bad name',
      (s) => ({ ...s, name: "x'; drop" }),
      'name: letters, digits, ".", "_" or "-", starting with a letter or digit',
    ],
    [
      'a commit task queue that is no task queue name',
      (s) => ({ ...s, target: { ...s.target, commitTaskQueue: 'owner queue' } }),
      'target.commitTaskQueue: letters, digits, ".", "_" or "-", starting with a letter or digit',
    ],
  ];
  for (const [title, mutate, expected] of cases) {
    it(`rejects ${title} with the field named`, () => {
      assert.deepEqual(problems(mutate(valid())), [expected]);
    });
  }

  it('applies dotted CLI overrides before validation', () => {
    const spec = parseSpec(
      applyOverrides(valid(), { 'range.to': '2019-03', maxConcurrency: 7, 'target.writeMode': undefined }),
    );
    assert.equal(spec.range.to, '2019-03');
    assert.equal(spec.maxConcurrency, 7);
    assert.equal(spec.target.writeMode, 'merge');
  });
});

describe('target type and write mode words', () => {
  it('a target without a type is a DuckDB file; an unknown type is refused with the choices', () => {
    assert.equal(parseSpec(valid()).target.type, 'duckdb');
    assert.deepEqual(problems({ ...valid(), target: { ...valid().target, type: 'parquet' } }), [
      'target.type: must be one of: duckdb, ducklake (duckdb when left out)',
    ]);
  });

  it('a DuckDB file target may name its owner’s commit task queue; a DuckLake may not', () => {
    const spec = parseSpec({ ...valid(), target: { ...valid().target, commitTaskQueue: 'file-owner' } });
    assert.equal(spec.target.type === 'duckdb' && spec.target.commitTaskQueue, 'file-owner');
    const plain = parseSpec(valid()).target;
    assert.equal(plain.type === 'duckdb' && plain.commitTaskQueue, undefined);
    const lake = { type: 'ducklake', catalog: 'postgres:dbname=x', dataPath: 's3://b/x/' };
    const writeOptions = Object.fromEntries(Object.entries(valid().target).filter(([k]) => k !== 'path'));
    assert.deepEqual(
      problems({ ...valid(), target: { ...writeOptions, ...lake, commitTaskQueue: 'file-owner' } }).filter(
        (p) => p.includes('commitTaskQueue'),
      ),
      ['target: Unrecognized key: "commitTaskQueue"'],
    );
  });

  it('the old spelling append loads as overwrite, with one deprecation warning', () => {
    const old = { ...valid(), target: { ...valid().target, writeMode: 'append' } };
    const { spec, warnings } = parseSpecWithWarnings(old);
    assert.equal(spec.target.writeMode, 'overwrite');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^warning: target\.writeMode "append" is deprecated and loads as "overwrite"/);
    assert.deepEqual(parseSpecWithWarnings(valid()).warnings, []);
    assert.deepEqual(
      parseSpecWithWarnings({ ...valid(), target: { ...valid().target, writeMode: 'overwrite' } }).warnings,
      [],
    );
    // A key of Object.prototype is not an old spelling.
    assert.deepEqual(problems({ ...valid(), target: { ...valid().target, writeMode: 'constructor' } }), [
      'target.writeMode: Invalid option: expected one of "merge"|"overwrite"',
    ]);
  });

  it('the CLI prints the warning once per spec load, for the file or the --write-mode flag', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spec-warn-'));
    const file = path.join(dir, 'spec.json');
    writeFileSync(file, JSON.stringify({ ...valid(), target: { ...valid().target, writeMode: 'append' } }));
    const lines: string[] = [];
    const spec = specFromFlags(file, {}, (line) => lines.push(line));
    assert.equal(spec.target.writeMode, 'overwrite');
    assert.equal(lines.length, 1);
    writeFileSync(file, JSON.stringify(valid()));
    const flagged: string[] = [];
    assert.equal(
      specFromFlags(file, { writeMode: 'append' }, (l) => flagged.push(l)).target.writeMode,
      'overwrite',
    );
    assert.equal(flagged.length, 1);
    const none: string[] = [];
    specFromFlags(file, {}, (l) => none.push(l));
    assert.deepEqual(none, []);
  });
});

describe('README stays in sync', () => {
  const readme = readFileSync(path.resolve(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  it('has the spec reference generated from the schema', () => {
    const block = readme.slice(readme.indexOf(BEGIN), readme.indexOf(END) + END.length);
    assert.equal(block, specReference(), 'run: node dist/scripts/spec-docs.js --write');
  });
  it('documents every environment variable', () => {
    const missing = Object.keys(ENV_VARS).filter((name) => !readme.includes(`\`${name}\``));
    assert.deepEqual(missing, []);
  });
});
