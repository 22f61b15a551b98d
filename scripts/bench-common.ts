/** What every benchmark script shares: its flags, the machine line of its report and how it exits. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';

/**
 * Parses the script's flags: `--name <number>` for each key of `numbers` (its default as given),
 * `--name` switches for `switches` and `--name <word>` for each key of `choices` (its first word the
 * default); an unknown flag, a value that is not a number or not one of the words stops the script.
 */
export function benchFlags<N extends string, S extends string = never, C extends string = never>(
  numbers: Record<N, number>,
  switches: readonly S[] = [],
  choices: Record<C, readonly string[]> = {} as Record<C, readonly string[]>,
): Record<N, number> & Record<S, boolean> & Record<C, string> {
  const options: Record<string, { type: 'string'; default: string } | { type: 'boolean'; default: boolean }> =
    {};
  for (const [name, value] of Object.entries<number>(numbers))
    options[name] = { type: 'string', default: String(value) };
  for (const name of switches) options[name] = { type: 'boolean', default: false };
  for (const [name, words] of Object.entries<readonly string[]>(choices))
    options[name] = { type: 'string', default: words[0]! };
  const usage = (message: string): never => {
    process.stderr.write(`error: ${message}\n`);
    process.exit(2);
  };
  let values: Record<string, string | boolean | undefined> = {};
  try {
    values = parseArgs({ options }).values;
  } catch (err) {
    usage((err as Error).message);
  }
  const flags: Record<string, number | boolean | string> = {};
  const words = choices as Record<string, readonly string[]>;
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === 'boolean') flags[name] = value;
    else if (words[name]) {
      if (!words[name].includes(String(value)))
        usage(`--${name} takes ${words[name].join(' or ')}, not ${String(value)}`);
      flags[name] = String(value);
    } else if (Number.isFinite(Number(value))) flags[name] = Number(value);
    else usage(`--${name} takes a number, not ${String(value)}`);
  }
  return flags as Record<N, number> & Record<S, boolean> & Record<C, string>;
}

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `Machine: ${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

/** Runs a benchmark's main and exits: 0, or 1 with the error on stderr. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(
        `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}

/** User + system CPU seconds of a process and its threads, from /proc. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** This process's child processes (the dev server), by scanning /proc. */
export function childPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === process.pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * Puts a benchmark's section (its text starts with the `## ` heading) into BENCHMARKS.md: replaces
 * the section of that heading, keeping the hand-written `### Reading` below its figures and the
 * sections after it, or appends it.
 */
export function writeBenchSection(file: string, heading: string, text: string): void {
  const existing = readFileSync(file, 'utf8');
  const start = existing.indexOf(heading);
  let updated: string;
  if (start < 0) updated = `${existing.trimEnd()}\n\n${text}`;
  else {
    const next = existing.indexOf('\n## ', start + heading.length);
    const reading = existing.indexOf('\n### Reading', start);
    const cut = reading >= 0 && (next < 0 || reading < next) ? reading : next < 0 ? existing.length : next;
    updated = `${existing.slice(0, start)}${text}${existing.slice(cut)}`;
  }
  writeFileSync(file, updated);
}
