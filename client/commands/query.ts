/** `backfill query`: a read-only SQL query against the spec's target, as a table, JSON or CSV. */
import type { Command } from 'commander';
import { loadSpecFile, parseSpec } from '../../common/spec';
import { prepareRead, QueryRefusedError } from '../../loading/query';
import type { CliContext } from '../context';
import { renderResult, type OutputFormat } from '../query-output';
import { UsageError } from '../errors';
import { openTargetReadOnly } from '../read-target';

interface QueryFlags {
  json?: boolean;
  csv?: boolean;
}

export function registerQuery(program: Command, ctx: CliContext) {
  program
    .command('query')
    .description("read-only SQL against the spec's target (default: a table; --json or --csv for tools)")
    .argument('<spec>', 'spec file')
    .argument('<sql>', 'one SELECT (also DESCRIBE, SHOW, SUMMARIZE, EXPLAIN)')
    .option('--json', 'print a JSON array of objects')
    .option('--csv', 'print CSV with a header line')
    .action(async (file: string, sql: string, flags: QueryFlags) => {
      if (flags.json && flags.csv) throw new UsageError('--json and --csv exclude each other');
      const format: OutputFormat = flags.json ? 'json' : flags.csv ? 'csv' : 'table';
      const spec = parseSpec(loadSpecFile(file));
      const target = await openTargetReadOnly(ctx, spec);
      if (!target) return;
      try {
        const prepared = await prepareRead(target.connection, sql);
        const reader = await prepared.runAndReadAll();
        ctx.out(renderResult(reader, format));
      } catch (err) {
        if (err instanceof QueryRefusedError) throw new UsageError(err.message);
        // DuckDB's own message (unknown table, syntax) is the line to show, without its caret block.
        throw new UsageError(`query failed: ${(err as Error).message.split('\n')[0]}`);
      } finally {
        target.close();
      }
    });
}
