/** `backfill init`: scans a source and writes a commented spec that `plan` and `start` accept as is. */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { duckdbThreads } from '../../common/config';
import { BackfillError } from '../../common/failures';
import { BACKFILL_ID_PATTERN } from '../../common/ids';
import { inferSpec, SourceScanError, type InitOptions } from '../../loading/init';
import { InvalidArgumentError, type Command } from 'commander';
import { type CliContext, parseInteger } from '../context';
import { UsageError } from '../errors';

/** The flags are the scan's options, beside where the spec goes. */
type InitFlags = Pick<
  InitOptions,
  'name' | 'endpoint' | 'region' | 'forcePathStyle' | 'sampleFiles' | 'sampleRows' | 'maxList'
> & { out?: string; force?: boolean };

const positive = (value: string) => {
  const n = parseInteger(value);
  if (n < 1) throw new InvalidArgumentError('must be at least 1');
  return n;
};

export function registerInit(program: Command, ctx: CliContext) {
  program
    .command('init')
    .description(
      'scan a source (a bounded sample) and write a commented spec: layout, format, schema, key, range',
    )
    .argument('<source-uri>', 'local directory or s3://bucket/prefix')
    .option('--out <file>', 'write the spec to this file (default: print it)')
    .option('--force', 'overwrite an existing --out file')
    .option('--name <name>', "backfill name (default: the source's last path segment)")
    .option('--endpoint <url>', 'S3 endpoint (MinIO); credentials come from the AWS chain')
    .option('--region <region>', 'S3 region')
    .option('--force-path-style', 'path-style S3 addressing (MinIO)')
    .option('--sample-files <n>', 'most files read for the sample', positive, 20)
    .option('--sample-rows <n>', 'most records read for the sample', positive, 10_000)
    .option('--max-list <n>', 'most directory entries listed while finding partitions', positive, 100_000)
    .action(async (uri: string, flags: InitFlags) => {
      if (flags.name !== undefined && !BACKFILL_ID_PATTERN.test(flags.name))
        throw new UsageError(
          `--name "${flags.name}": letters, digits, ".", "_" or "-", starting with a letter or digit`,
        );
      if (flags.out && existsSync(flags.out) && !flags.force)
        throw new UsageError(`${flags.out} exists: pass --force to overwrite it`);
      const config = ctx.config;
      let result;
      try {
        result = await inferSpec({
          uri,
          ...(flags.name ? { name: flags.name } : {}),
          ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
          ...(flags.region ? { region: flags.region } : {}),
          ...(flags.forcePathStyle ? { forcePathStyle: true } : {}),
          sampleFiles: flags.sampleFiles,
          sampleRows: flags.sampleRows,
          maxList: flags.maxList,
          duckdb: {
            memoryLimit: config.BACKFILL_DUCKDB_MEMORY_LIMIT,
            threads: duckdbThreads({ ...config, BACKFILL_MAX_CONCURRENT_ACTIVITIES: 1 }),
            ...(config.BACKFILL_DUCKDB_TEMP_DIR ? { tempDirectory: config.BACKFILL_DUCKDB_TEMP_DIR } : {}),
          },
          s3Defaults: {
            ...(config.BACKFILL_S3_ENDPOINT ? { endpoint: config.BACKFILL_S3_ENDPOINT } : {}),
            ...(config.BACKFILL_S3_REGION ? { region: config.BACKFILL_S3_REGION } : {}),
            ...(config.BACKFILL_S3_FORCE_PATH_STYLE !== undefined
              ? { forcePathStyle: config.BACKFILL_S3_FORCE_PATH_STYLE }
              : {}),
          },
        });
      } catch (err) {
        // An unreadable or empty source is bad input: one line, exit 2.
        if (err instanceof SourceScanError || err instanceof BackfillError) throw new UsageError(err.message);
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM') throw new UsageError(`${uri}: permission denied`);
        throw err;
      }
      if (!flags.out) {
        ctx.out(result.yaml.trimEnd());
        return;
      }
      // Written whole or not at all: a temp file renamed over the target.
      const temp = `${flags.out}.${process.pid}.tmp`;
      writeFileSync(temp, result.yaml);
      renameSync(temp, flags.out);
      const { range, target } = result.spec;
      ctx.out(
        `wrote ${flags.out}: ${range.from}..${range.to} by ${range.granularity}, ${Object.keys(result.spec.schema).length} columns, ` +
          `${target.keyColumns?.length ? `key ${target.keyColumns.join(', ')}` : 'no key (overwrite)'}; review it, then: backfill plan ${flags.out}`,
      );
    });
}
