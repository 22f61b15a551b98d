/**
 * The inferred spec as a commented YAML document: every guess says where it came from, so the
 * operator reviews a file instead of reading docs. The plain object is validated by the spec's own
 * schema before a line is written.
 */
import { Document, isMap, isScalar, isSeq, type Pair, type YAMLMap } from 'yaml';
import { GRANULARITY_COLUMNS, countPartitions } from '../../common/partitions';
import { parseSpec, type BackfillSpecInput } from '../../common/spec';
import type { Discovery } from './discover';
import type { InferredColumn } from './infer';
import type { Sample } from './sample';
import type { Suggestion } from './suggest';
import type { CheckProposal } from './suggest-checks';

export interface SpecFacts {
  uri: string;
  name: string;
  s3?: { endpoint?: string; region?: string; forcePathStyle?: boolean };
  discovery: Discovery;
  sample: Sample;
  columns: InferredColumn[];
  suggestion: Suggestion;
  listed: number;
  /** Checks the sample justifies, written commented out (suggest-checks.ts). */
  checks?: CheckProposal[];
}

/** The first line of the commented-out checks; the lines after it uncomment into `checks:`. */
export const PROPOSED_CHECKS_HEADER = ' Proposed checks (from the sample; review, then uncomment):';

/** A table name from the backfill name: letters, digits and underscores. */
const tableName = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '') || 'records';

/** The partition columns the target gets: the granularity's, except those the records carry. */
export const partitionColumnsOf = (granularity: Discovery['granularity'], columns: { name: string }[]) =>
  GRANULARITY_COLUMNS[granularity].filter((p) => !columns.some((c) => c.name === p));

export function buildSpec(facts: SpecFacts): { value: BackfillSpecInput; yaml: string } {
  const { discovery: d, sample, columns, suggestion: s } = facts;
  const schema = Object.fromEntries(columns.map((c) => [c.name, c.type]));
  const clashing = GRANULARITY_COLUMNS[d.granularity].filter((p) => p in schema);
  const partitionColumns = partitionColumnsOf(d.granularity, columns);
  const merge = s.keyColumns.length > 0;
  const value = {
    name: facts.name,
    source: {
      uri: facts.uri,
      layout: d.layout,
      format: sample.format,
      ...(sample.csv ? { csv: sample.csv } : {}),
      ...(facts.s3?.endpoint ? { endpoint: facts.s3.endpoint } : {}),
      ...(facts.s3?.region ? { region: facts.s3.region } : {}),
      ...(facts.s3?.forcePathStyle !== undefined ? { forcePathStyle: facts.s3.forcePathStyle } : {}),
    },
    schema,
    target: {
      type: 'duckdb' as const,
      path: `${facts.name}.duckdb`,
      table: tableName(facts.name),
      partitionColumns,
      keyColumns: s.keyColumns,
      writeMode: merge ? ('merge' as const) : ('overwrite' as const),
      ...(s.orderingColumn ? { orderingColumn: s.orderingColumn } : {}),
    },
    range: { from: d.first, to: d.last, granularity: d.granularity },
  } satisfies BackfillSpecInput;
  if (!partitionColumns.length && !merge) {
    // overwrite needs partition columns; without them the only safe mode is merge on every column.
    value.target.keyColumns = columns.map((c) => c.name);
    value.target.writeMode = 'merge';
  }
  parseSpec(value); // a spec init writes must load as it is: a failure here is a bug, not bad input

  const doc = new Document(value);
  const planned = countPartitions(d.first, d.last, d.granularity);
  const found = d.truncated
    ? `the listing stopped after ${facts.listed} entries (--max-list), so the range comes from the first and last directories`
    : `${d.partitions.length} of its ${planned} partitions have a directory${d.partitions.length < planned ? ' (the others load as empty)' : ''}`;
  doc.commentBefore = [
    ` Written by \`backfill init ${facts.uri}\`. Review the types and the key, then:`,
    `   backfill plan <this file>    # files and bytes per partition`,
    `   backfill start <this file>`,
    ` Inferred from ${sample.files.length} sampled file(s) and ${sample.rows} record(s).`,
  ].join('\n');
  const source = mapAt(doc, 'source');
  keyComment(
    source,
    'layout',
    `${d.style === 'hive' ? 'hive-style' : 'plain'} partition directories, down to the ${d.granularity}`,
  );
  const extensions = [...new Set(sample.files.map((f) => /(\.[a-z0-9]+){1,2}$/i.exec(f.name)?.[0] ?? '?'))];
  inlineComment(
    source,
    'format',
    `from ${extensions.join(', ')}${sample.compression.length ? ` (${sample.compression.map((c) => (c === 'gz' ? 'gzip' : 'zstd')).join(', ')}: decompressed by the loader)` : ''}`,
  );
  if (sample.csv) keyComment(source, 'csv', "dialect found by DuckDB's CSV sniffer");
  const schemaNode = mapAt(doc, 'schema');
  topComment(
    doc,
    'schema',
    ` Column types from DuckDB's sniffer over the sample, widened until every sampled value casts.`,
  );
  for (const c of columns) if (c.note) inlineComment(schemaNode, c.name, c.note);
  const target = mapAt(doc, 'target');
  // Short lists in flow style, so their comment stays on their line.
  for (const key of ['partitionColumns', 'keyColumns']) {
    const list = pairOf(target, key)?.value;
    if (isSeq(list)) list.flow = true;
  }
  inlineComment(target, 'keyColumns', s.keyNote);
  if (s.orderingNote) inlineComment(target, 'orderingColumn', s.orderingNote);
  if (clashing.length)
    inlineComment(
      target,
      'partitionColumns',
      `${clashing.join(', ')} left out: the records carry a column of that name`,
    );
  topComment(doc, 'range', ` First to last partition directory found; ${found}.`);
  if (facts.checks?.length) {
    // Uncommented, they must load too: a failure here is a bug in the proposals.
    parseSpec({ ...value, checks: facts.checks.map((c) => c.check) });
    doc.comment = [PROPOSED_CHECKS_HEADER, ...checksBlock(facts.checks).map((l) => ` ${l}`)].join('\n');
  }
  return { value, yaml: doc.toString({ lineWidth: 0 }) };
}

/** `checks:` as YAML lines, one flow map per check with its note beside it. */
function checksBlock(proposals: CheckProposal[]): string[] {
  const doc = new Document({ checks: proposals.map((p) => p.check) });
  const list = doc.get('checks', true);
  if (isSeq(list))
    list.items.forEach((item, i) => {
      if (!isMap(item)) return;
      item.flow = true;
      item.comment = ` ${proposals[i]!.note}`;
    });
  return doc.toString({ lineWidth: 0 }).trimEnd().split('\n');
}

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p) => isScalar(p.key) && p.key.value === key);
}

function mapAt(doc: Document, key: string): YAMLMap {
  const node = doc.get(key, true);
  if (!isMap(node)) throw new Error(`spec document has no map at ${key}`);
  return node;
}

function topComment(doc: Document, key: string, text: string) {
  const pair = pairOf(doc.contents as YAMLMap, key);
  if (pair && isScalar(pair.key)) pair.key.commentBefore = text;
}

function keyComment(map: YAMLMap, key: string, text: string) {
  const pair = pairOf(map, key);
  if (pair && isScalar(pair.key)) pair.key.commentBefore = ` ${text}`;
}

function inlineComment(map: YAMLMap, key: string, text: string) {
  const pair = pairOf(map, key);
  if (!pair) return;
  const node = pair.value as { comment?: string | null } | null;
  if (node && typeof node === 'object') node.comment = ` ${text}`;
}
