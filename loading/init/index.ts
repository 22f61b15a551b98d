/**
 * `backfill init`: a bounded scan of a source that writes the whole spec. Listing, fetching and
 * DuckDB settings are the workers' own (Source, S3 client factory, instance settings); this module
 * only decides what the spec should say.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDbSettings } from '../staging/engine';
import { sourceByScheme } from '../sources';
import { createS3Source, s3ClientFactory, type S3Defaults } from '../sources/s3-source';
import { instanceSettings } from '../staging/engine';
import { BACKFILL_ID_PATTERN } from '../../common/ids';
import { parseSpec, type BackfillSpecInput } from '../../common/spec';
import { discoverPartitions } from './discover';
import { inferColumns } from './infer';
import { localLister, s3Lister } from './listing';
import { pickFiles, readSample } from './sample';
import { buildSpec, partitionColumnsOf } from './spec-document';
import { suggestKeys } from './suggest';
import { suggestChecks } from './suggest-checks';

export { SourceScanError } from './discover';

export interface InitOptions {
  /** A local directory or s3://bucket/prefix. */
  uri: string;
  name?: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  /** Most files read for the sample. */
  sampleFiles: number;
  /** Most records read for the sample, spread over its files. */
  sampleRows: number;
  /** Most directory entries listed while looking for partitions. */
  maxList: number;
  duckdb: DuckDbSettings;
  /** The worker's S3 defaults (environment), which the flags override. */
  s3Defaults?: S3Defaults;
}

export interface InitResult {
  spec: BackfillSpecInput;
  yaml: string;
}

export async function inferSpec(options: InitOptions): Promise<InitResult> {
  const isS3 = options.uri.startsWith('s3://');
  const uri = isS3 ? options.uri : path.resolve(options.uri);
  const s3 = {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(options.forcePathStyle !== undefined ? { forcePathStyle: options.forcePathStyle } : {}),
  };
  const draftOf = (layout: string, from: string, to: string, granularity: string) =>
    parseSpec({
      name: 'init',
      source: { uri, layout, ...s3 },
      schema: { value: 'VARCHAR' },
      target: { path: 'init.duckdb', table: 'init', keyColumns: ['value'] },
      range: { from, to, granularity },
    });
  const clientFor = s3ClientFactory(options.s3Defaults);
  const lister = isS3
    ? s3Lister(uri, clientFor(draftOf('', '2000', '2000', 'year')), options.maxList)
    : localLister(uri, options.maxList);
  const discovery = await discoverPartitions(lister, uri);
  const draft = draftOf(discovery.layout, discovery.first, discovery.last, discovery.granularity);
  const source = sourceByScheme({ s3: createS3Source({ clientFor }) });
  const keys = discovery.truncated ? [discovery.first, discovery.last] : discovery.partitions;
  const files = await pickFiles(source, draft, keys, options.sampleFiles);

  const workDir = await mkdtemp(path.join(tmpdir(), 'backfill-init-'));
  const instance = await DuckDBInstance.create(':memory:', instanceSettings(options.duckdb));
  const conn = await instance.connect();
  try {
    const sample = await readSample(conn, source, draft, files, options.sampleRows, workDir);
    const columns = await inferColumns(conn, sample);
    const suggestion = await suggestKeys(conn, columns);
    const checks = await suggestChecks(conn, columns, {
      rows: sample.rows,
      partitionColumns: partitionColumnsOf(discovery.granularity, columns),
    });
    const { value, yaml } = buildSpec({
      uri,
      name: options.name ?? nameFromUri(uri),
      ...(Object.keys(s3).length ? { s3 } : {}),
      discovery,
      sample,
      columns,
      suggestion,
      listed: lister.listed,
      checks,
    });
    return { spec: value, yaml };
  } finally {
    conn.closeSync();
    instance.closeSync();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The source's last path segment as a backfill id ("s3://lake/raw/events/" → "events"). */
export function nameFromUri(uri: string): string {
  const segment =
    uri
      .replace(/^s3:\/\//, '')
      .replace(/\/+$/, '')
      .split(/[/\\]/)
      .pop() ?? '';
  const name = segment.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return BACKFILL_ID_PATTERN.test(name) ? name : 'backfill';
}
