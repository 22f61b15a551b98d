/** `backfill query`: a read-only SQL query against the spec's target, as a table, JSON or CSV. */
import type { Command } from 'commander';
import { duckdbThreads } from '../../common/config';
import { loadSpecFile, parseSpec } from '../../common/spec';
import { openReadOnly, prepareRead, QueryRefusedError, TargetUnavailableError } from '../../loading/query';
import type { CliContext } from '../context';
import { renderResult, type OutputFormat } from '../query-output';
import { EXIT, UsageError } from '../errors';

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
      const config = ctx.config;
      let target;
      try {
        target = await openReadOnly(spec, {
          memoryLimit: config.BACKFILL_DUCKDB_MEMORY_LIMIT,
          threads: duckdbThreads({ ...config, BACKFILL_MAX_CONCURRENT_ACTIVITIES: 1 }),
          ...(config.BACKFILL_DUCKDB_TEMP_DIR ? { tempDirectory: config.BACKFILL_DUCKDB_TEMP_DIR } : {}),
        });
      } catch (err) {
        if (!(err instanceof TargetUnavailableError)) throw err;
        ctx.err(`error: ${err.message}`);
        ctx.exitCode = { missing: EXIT.notFound, locked: EXIT.conflict, unreadable: EXIT.failed }[err.reason];
        return;
      }
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
