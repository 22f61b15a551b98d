/**
 * Files → staged records → typed stage table (rejects kept): the phases a partition load and a
 * batch commit share, up to the dedupe. Returns the effective schema, the counts and how many
 * staged files a resumed attempt reused.
 */
import { dropsRows } from '../../common/spec/checks';
import { tmpdir } from 'node:os';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BackfillSpec } from '../../common/spec';
import type { LoadHooks } from '../hooks';
import type { LoadDeps } from '../load-partition';
import { effectiveSchema, type DiscoveredColumn } from '../schema-contract';
import type { SourceFile } from '../sources';
import type * as sql from '../sql';
import { discoverColumns } from './discover';
import { stageRecords, type StageCounts } from './stage';
import { stageFiles } from './stage-files';

export interface StageTypedOptions {
  /** Stage new columns (schema contract evolve) as their JSON text (VARCHAR) instead of the type their kinds infer. */
  newColumnsAsText?: boolean;
}

export interface StagedTyped {
  schema: sql.ColumnTypes;
  counts: StageCounts;
  filesReused: number;
  /** What discovery found (keys and, for undeclared ones, their JSON kinds). */
  discovered: DiscoveredColumn[];
}

export async function stageTyped(
  deps: LoadDeps,
  conn: DuckDBConnection,
  spec: BackfillSpec,
  files: SourceFile[],
  resumeMinBytes: number,
  hooks: LoadHooks,
  options: StageTypedOptions = {},
): Promise<StagedTyped> {
  hooks.progress.stage = 'staging';
  const staged = await stageFiles(
    conn,
    spec,
    files,
    {
      source: deps.source,
      maxLineBytes: deps.staging.maxLineBytes,
      downloadConcurrency: deps.downloadConcurrency ?? 4,
      workDir: deps.workDir ?? tmpdir(),
      resumeMinBytes,
      // A drop check's rejects name the winning record's line, which only the line-level read
      // knows (the optimistic read numbers records by their position in one reader's output).
      readPath: dropsRows(spec.checks) ? 'line' : (deps.readPath ?? 'auto'),
    },
    hooks,
  );
  const discovered = await discoverColumns(conn, spec, staged.keys, staged.fast.keys);
  const effective = effectiveSchema(spec, discovered);
  const { added } = effective;
  // A shard sees only its files' kinds: its new columns stay text until the commit types them from all shards' kinds.
  const schema = options.newColumnsAsText
    ? { ...effective.schema, ...Object.fromEntries(added.map((name) => [name, 'VARCHAR'])) }
    : effective.schema;
  if (added.length) hooks.log.info({ added }, 'new source columns (schema contract evolve)');
  const fastRows = staged.fast.files > 0;
  const lineRows = staged.fast.files < files.length;
  const counts = await stageRecords(conn, spec, schema, fastRows, lineRows);
  return { schema, counts, filesReused: staged.reused, discovered };
}
