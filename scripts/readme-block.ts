/**
 * The generated README blocks (spec reference, type reference) share one CLI: print the block, or
 * with `--write` replace what stands between its markers in README.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function rewriteReadmeBlock(name: string, begin: string, end: string, block: () => string): void {
  const readme = path.resolve(__dirname, '..', '..', 'README.md');
  const text = readFileSync(readme, 'utf8');
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  if (start < 0 || stop < 0) throw new Error(`README.md lacks the ${name} markers`);
  const updated = text.slice(0, start) + block() + text.slice(stop + end.length);
  if (process.argv.includes('--write')) writeFileSync(readme, updated);
  else process.stdout.write(`${block()}\n`);
}
