/**
 * `backfill` CLI root. Every command reports failures as one line on stderr with a meaningful exit
 * code (see client/errors.ts); BACKFILL_DEBUG=1 adds the stack.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { loadConfig, type Config } from '../common/config';
import { registerAdmin } from './commands/admin';
import { registerCheck } from './commands/check';
import { registerControl } from './commands/control';
import { registerDev } from './commands/dev';
import { registerInit } from './commands/init';
import { registerPlan } from './commands/plan';
import { registerQuery } from './commands/query';
import { registerStart } from './commands/start';
import { registerStatus } from './commands/status';
import { registerWatch } from './commands/watch';
import type { CliContext } from './context';
import { EXIT, describeError } from './errors';

function packageVersion(): string {
  const file = path.resolve(__dirname, '..', '..', 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

export async function main(
  argv: string[],
  io: { out?: (s: string) => void; err?: (s: string) => void } = {},
): Promise<number> {
  const out = io.out ?? ((s: string) => process.stdout.write(`${s}\n`));
  const err = io.err ?? ((s: string) => process.stderr.write(`${s}\n`));
  let config: Config | undefined;
  const ctx: CliContext = {
    get config() {
      config ??= loadConfig();
      return config;
    },
    out,
    err,
    exitCode: EXIT.ok,
  };
  const program = new Command('backfill')
    .description('Durable, partition-by-partition historical backfills on Temporal, loaded through DuckDB.')
    .version(packageVersion())
    .addOption(
      new Option('--log-level <level>', 'log level of the worker and dev commands').choices([
        'trace',
        'debug',
        'info',
        'warn',
        'error',
        'silent',
      ]),
    )
    .hook('preAction', (cmd) => {
      const level = cmd.opts<{ logLevel?: string }>().logLevel;
      if (level) process.env.LOG_LEVEL = level;
    })
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out(s.trimEnd()), writeErr: (s) => err(s.trimEnd()) });
  registerInit(program, ctx);
  registerStart(program, ctx);
  registerPlan(program, ctx);
  registerWatch(program, ctx);
  registerStatus(program, ctx);
  registerControl(program, ctx);
  registerDev(program, ctx);
  registerQuery(program, ctx);
  registerCheck(program, ctx);
  registerAdmin(program, ctx);
  for (const cmd of program.commands) cmd.exitOverride();

  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { message, code } = describeError(e);
    err(`error: ${message}`);
    if (process.env.BACKFILL_DEBUG && e instanceof Error && e.stack) err(e.stack);
    return code;
  }
}

/** Process entry: runs the CLI and exits with its code. */
export function runCli(): void {
  main(process.argv.slice(2)).then(
    (code) => exitAfterFlush(code),
    (e: unknown) => {
      process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
      exitAfterFlush(EXIT.failed);
    },
  );
}

/**
 * Exits once stdout and stderr have flushed: writes to a pipe are asynchronous, and process.exit
 * right away cut a large output (`plan --json` of 5,000 partitions, through `| jq`) short.
 */
function exitAfterFlush(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

if (require.main === module) runCli();
