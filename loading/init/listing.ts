/**
 * One directory level of a source at a time (S3: a delimiter listing of common prefixes), so that
 * finding the partitions of years of data costs one request per directory, not one per file.
 * Every listing draws on a shared budget: `init` is a bounded scan.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { isDataFile } from '../sources';
import { classifyS3Error, parseS3Uri } from '../sources/s3-source';

export interface LevelListing {
  /** Sub-directory names, sorted; hidden and marker names ("." and "_" prefixes) left out. */
  dirs: string[];
  /** Whether the level also holds files. */
  hasFiles: boolean;
}

export interface Lister {
  /**
   * Lists the directory at a path relative to the source root ("" = the root). Unbudgeted
   * listings (the layout's edges: at most 12 months, 31 days or 24 hours each) count but never stop.
   */
  level(relative: string, budgeted?: boolean): Promise<LevelListing>;
  /** Entries listed so far, against the budget. */
  readonly listed: number;
}

export class ListingBudgetExceeded extends Error {
  override name = 'ListingBudgetExceeded';
}

function budget(max: number) {
  let listed = 0;
  return {
    get listed() {
      return listed;
    },
    take(n: number, budgeted = true) {
      listed += n;
      if (budgeted && listed > max) throw new ListingBudgetExceeded(`listed more than ${max} entries`);
    },
  };
}

export function localLister(root: string, maxEntries: number): Lister {
  const spent = budget(maxEntries);
  return {
    get listed() {
      return spent.listed;
    },
    async level(relative, budgeted) {
      const entries = await readdir(path.join(root, relative), { withFileTypes: true });
      spent.take(entries.length, budgeted);
      const visible = entries.filter((e) => isDataFile(e.name));
      return {
        dirs: visible
          .filter((e) => e.isDirectory())
          .map((e) => e.name)
          .sort(),
        hasFiles: visible.some((e) => e.isFile()),
      };
    },
  };
}

export function s3Lister(uri: string, client: S3Client, maxEntries: number): Lister {
  const { bucket, prefix } = parseS3Uri(uri);
  const spent = budget(maxEntries);
  return {
    get listed() {
      return spent.listed;
    },
    async level(relative, budgeted) {
      const base = `${prefix}${relative ? `${relative}/` : ''}`;
      const dirs: string[] = [];
      let hasFiles = false;
      try {
        for await (const page of paginateListObjectsV2(
          { client },
          { Bucket: bucket, Prefix: base, Delimiter: '/' },
        )) {
          const prefixes = page.CommonPrefixes ?? [];
          const contents = page.Contents ?? [];
          spent.take(prefixes.length + contents.length, budgeted);
          for (const p of prefixes) dirs.push((p.Prefix ?? '').slice(base.length).replace(/\/$/, ''));
          hasFiles ||= contents.some(
            (o) => !(o.Key ?? '/').endsWith('/') && isDataFile(o.Key!.slice(base.length)),
          );
        }
      } catch (err) {
        if (err instanceof ListingBudgetExceeded) throw err;
        throw classifyS3Error(err, `listing s3://${bucket}/${base}`);
      }
      return { dirs: dirs.filter((d) => d && isDataFile(d)).sort(), hasFiles };
    },
  };
}
