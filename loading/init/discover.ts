/**
 * Finds a source's partitions: the layout from the first and the last year's directories (as deep
 * as both go), then every partition directory at that depth, within the listing budget. The range
 * comes from the two edges, so a truncated scan still spans the whole source.
 */
import { parsePartitionKey, type Granularity } from '../../common/partitions';
import {
  MAX_DEPTH,
  detectStyle,
  granularityOf,
  keyOf,
  layoutTemplate,
  levelValue,
  type LayoutStyle,
} from './layout';
import { ListingBudgetExceeded, type Lister } from './listing';

/** A source `init` cannot describe: one line for the operator. */
export class SourceScanError extends Error {
  override name = 'SourceScanError';
}

export interface Discovery {
  style: LayoutStyle;
  layout: string;
  granularity: Granularity;
  /** Partition keys with a directory, sorted (only the first ones when `truncated`). */
  partitions: string[];
  first: string;
  last: string;
  truncated: boolean;
}

interface Node {
  relative: string;
  values: number[];
}

export async function discoverPartitions(lister: Lister, uri: string): Promise<Discovery> {
  let root;
  try {
    root = await lister.level('', false);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new SourceScanError(`${uri}: no such directory`);
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR')
      throw new SourceScanError(`${uri}: not a directory`);
    throw err;
  }
  const style = detectStyle(root.dirs);
  if (!style) {
    if (!root.dirs.length && !root.hasFiles) throw new SourceScanError(`${uri} is empty: no files to sample`);
    const seen = root.dirs.slice(0, 3).map((d) => `"${d}/"`);
    throw new SourceScanError(
      `${uri}: no partition directories (expected year=YYYY/ or YYYY/ at the top${seen.length ? `; found ${seen.join(', ')}` : ', found only files'})`,
    );
  }
  const years = toNodes({ relative: '', values: [] }, root.dirs, 0, style);
  const depth = Math.min(
    await edgeDepth(lister, years[0]!, style),
    await edgeDepth(lister, years[years.length - 1]!, style, true),
  );
  const first = await edgePath(lister, years[0]!, style, depth, false);
  const last = await edgePath(lister, years[years.length - 1]!, style, depth, true);

  let nodes = years;
  let truncated = false;
  try {
    for (let d = 1; d < depth; d++) {
      const next: Node[] = [];
      for (const node of nodes)
        next.push(...toNodes(node, (await lister.level(node.relative)).dirs, d, style));
      nodes = next;
    }
  } catch (err) {
    if (!(err instanceof ListingBudgetExceeded)) throw err;
    truncated = true;
  }
  const granularity = granularityOf(depth);
  const partitions = truncated ? [] : nodes.map((n) => keyOf(n.values)).filter((k) => isKey(k, granularity));
  return {
    style,
    layout: layoutTemplate(style, depth),
    granularity,
    partitions,
    first: keyOf(first.values),
    last: keyOf(last.values),
    truncated,
  };
}

function toNodes(parent: Node, dirs: string[], depth: number, style: LayoutStyle): Node[] {
  const nodes: Node[] = [];
  for (const dir of dirs) {
    const value = levelValue(dir, depth, style);
    if (value === undefined) continue;
    nodes.push({
      relative: parent.relative ? `${parent.relative}/${dir}` : dir,
      values: [...parent.values, value],
    });
  }
  return nodes;
}

function isKey(key: string, granularity: Granularity): boolean {
  try {
    parsePartitionKey(key, granularity);
    return true;
  } catch {
    return false; // e.g. day=31 under month=02
  }
}

/** How deep partition directories go below one year, following its first (or last) child. */
async function edgeDepth(lister: Lister, year: Node, style: LayoutStyle, last = false): Promise<number> {
  let node = year;
  let depth = 1;
  while (depth < MAX_DEPTH) {
    const children = toNodes(node, (await lister.level(node.relative, false)).dirs, depth, style);
    if (!children.length) break;
    node = last ? children[children.length - 1]! : children[0]!;
    depth += 1;
  }
  return depth;
}

async function edgePath(lister: Lister, year: Node, style: LayoutStyle, depth: number, last: boolean) {
  let node = year;
  for (let d = 1; d < depth; d++) {
    const children = toNodes(node, (await lister.level(node.relative, false)).dirs, d, style);
    node = last ? children[children.length - 1]! : children[0]!;
  }
  return node;
}
