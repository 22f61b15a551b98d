/**
 * Rules across a spec's fields, each a named function: one reads what it checks, and a failing
 * spec names the field at fault. They run after the fields parsed (zod superRefine).
 */
import type { z } from 'zod';
import {
  GRANULARITY_COLUMNS,
  LAYOUT_TOKENS,
  countPartitions,
  parsePartitionKey,
  type Granularity,
} from '../partitions';
import { checkRules } from './check-rules';
import type { BackfillSpec } from './schema';

type Rule = (spec: BackfillSpec, ctx: z.RefinementCtx) => void;

const issue = (ctx: z.RefinementCtx, path: (string | number)[], message: string) =>
  ctx.addIssue({ code: 'custom', path, message });

const parses = (key: string, g: Granularity) => {
  try {
    parsePartitionKey(key, g);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
};

/** range.from and range.to are partition keys of the granularity, and from is not after to. */
const rangeIsOrdered: Rule = (spec, ctx) => {
  const g = spec.range.granularity;
  let valid = true;
  for (const field of ['from', 'to'] as const) {
    const problem = parses(spec.range[field], g);
    if (problem) {
      issue(ctx, ['range', field], problem);
      valid = false;
    }
  }
  if (valid && countPartitions(spec.range.from, spec.range.to, g) === 0)
    issue(ctx, ['range', 'to'], `is before range.from (${spec.range.from})`);
};

/** Explicit partitions are keys of the granularity. */
const partitionsParse: Rule = (spec, ctx) => {
  for (const [i, key] of (spec.partitions ?? []).entries()) {
    const problem = parses(key, spec.range.granularity);
    if (problem) issue(ctx, ['partitions', i], problem);
  }
};

/** The source layout uses only tokens the granularity fills. */
const layoutIsFillable: Rule = (spec, ctx) => {
  const g = spec.range.granularity;
  const unknownTokens = (spec.source.layout.match(/\{[^}]*\}/g) ?? []).filter(
    (t) => !LAYOUT_TOKENS[g].includes(t),
  );
  if (unknownTokens.length) {
    issue(
      ctx,
      ['source', 'layout'],
      `token(s) ${unknownTokens.join(', ')} cannot be filled at ${g} granularity (allowed: ${LAYOUT_TOKENS[g].join(' ')})`,
    );
  }
};

/** The layout never climbs out of the source uri. */
const layoutStaysInside: Rule = (spec, ctx) => {
  if (spec.source.layout.split('/').includes('..')) issue(ctx, ['source', 'layout'], 'must not contain ".."');
};

/** Credentials never ride in a uri: they would enter workflow history. */
const noCredentialsInUris: Rule = (spec, ctx) => {
  for (const field of ['uri', 'endpoint'] as const) {
    const value = spec.source[field];
    if (value && /^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(value)) {
      issue(
        ctx,
        ['source', field],
        'must not carry credentials (user:password@); they come from the AWS credential chain and never enter workflow history',
      );
    }
  }
};

/** Partition columns are filled from the key: the granularity must have them, the schema must not. */
const partitionColumnsFit: Rule = (spec, ctx) => {
  const g = spec.range.granularity;
  const columns = Object.keys(spec.schema);
  for (const [i, col] of spec.target.partitionColumns.entries()) {
    if (!GRANULARITY_COLUMNS[g].includes(col))
      issue(ctx, ['target', 'partitionColumns', i], `"${col}" cannot be filled at ${g} granularity`);
    if (columns.includes(col)) {
      issue(
        ctx,
        ['target', 'partitionColumns', i],
        `"${col}" is also a schema column; partition columns are filled from the partition key`,
      );
    }
  }
};

/** Merge needs keys; overwrite replaces a partition's rows, so it needs partition columns. */
const writeModeHasWhatItNeeds: Rule = (spec, ctx) => {
  const mode = spec.target.writeMode;
  if (mode === 'merge' && spec.target.keyColumns.length === 0)
    issue(ctx, ['target', 'keyColumns'], 'writeMode merge needs at least one key column');
  if (mode !== 'merge' && spec.target.partitionColumns.length === 0) {
    issue(
      ctx,
      ['target', 'partitionColumns'],
      `writeMode ${mode} replaces a partition's rows, so it needs partition columns`,
    );
  }
};

/** Key, delete and ordering columns are schema columns; cluster columns are schema or partition columns. */
const namedColumnsExist: Rule = (spec, ctx) => {
  const columns = Object.keys(spec.schema);
  for (const [i, key] of spec.target.keyColumns.entries())
    if (!columns.includes(key)) issue(ctx, ['target', 'keyColumns', i], `"${key}" is not a schema column`);
  const known = [...columns, ...spec.target.partitionColumns];
  for (const [i, col] of spec.maintenance.clusterBy.entries()) {
    if (!known.includes(col))
      issue(ctx, ['maintenance', 'clusterBy', i], `"${col}" is not a schema or partition column`);
  }
  for (const field of ['deleteColumn', 'orderingColumn'] as const) {
    const col = spec.target[field];
    if (col !== undefined && !columns.includes(col))
      issue(ctx, ['target', field], `"${col}" is not a schema column`);
  }
};

/** A batch commit joins a child's partitions: with one partition per child there is nothing to join. */
const batchCommitHasBatches: Rule = (spec, ctx) => {
  if (spec.commit === 'batch' && spec.partitionsPerChild < 2)
    issue(
      ctx,
      ['commit'],
      'batch needs partitionsPerChild of 2 or more (each child commits its partitions together)',
    );
};

/** Shards stage where every worker can read them: a sharded spec names that place. */
const shardsHaveStaging: Rule = (spec, ctx) => {
  if (spec.source.shards && !spec.staging)
    issue(
      ctx,
      ['staging'],
      'source.shards needs staging.uri (s3://bucket/prefix/ or a shared directory every worker can reach)',
    );
  if (spec.source.shards && spec.commit === 'batch')
    issue(
      ctx,
      ['source', 'shards'],
      'cannot be combined with commit: batch (a sharded partition commits on its own)',
    );
};

export const SPEC_RULES: readonly Rule[] = [
  rangeIsOrdered,
  partitionsParse,
  layoutIsFillable,
  noCredentialsInUris,
  layoutStaysInside,
  partitionColumnsFit,
  writeModeHasWhatItNeeds,
  namedColumnsExist,
  batchCommitHasBatches,
  checkRules,
  shardsHaveStaging,
];

export function checkSpecRules(spec: BackfillSpec, ctx: z.RefinementCtx): void {
  for (const rule of SPEC_RULES) rule(spec, ctx);
}
