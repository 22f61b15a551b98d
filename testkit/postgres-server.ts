/**
 * A real PostgreSQL server for the DuckLake catalog suites: the machine's PostgreSQL binaries
 * (`pg_config --bindir`), a fresh cluster in a temp dir on a free loopback port, and a role with a
 * random password owning a database for the catalog. PostgreSQL refuses to run as root, so under
 * root the cluster belongs to, and runs as, the `postgres` OS user. The connection string carries
 * no password: clients get it through libpq's PGPASSWORD (`env`), never in a spec.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { tempDir } from './fixtures';
import { freePort } from './ports';

export type ShutdownMode = 'smart' | 'fast' | 'immediate';

export interface Postgres {
  host: string;
  port: number;
  /** The catalog role (LOGIN, password-authenticated over TCP) and the database it owns. */
  user: string;
  password: string;
  database: string;
  /** libpq keywords for the catalog database, without the password. */
  connectionString: string;
  /** What a client process needs besides the connection string: `{ PGPASSWORD }`. */
  env: Record<string, string>;
  /** Runs SQL as the superuser over the private unix socket; returns psql's unaligned output. */
  psql: (sql: string, database?: string) => string;
  /** Another database owned by the catalog role (one lake per test). */
  createDatabase: (name: string) => string;
  /** Stops the server, keeping its data: an outage (`immediate` is a crash, recovered on start). */
  halt: (options?: { mode?: ShutdownMode }) => void;
  /** Starts it again on the same port, data and credentials. */
  resume: () => void;
  /** halt + resume; `{ mode: 'immediate' }` is the fault suites' PostgreSQL crash. */
  restart: (options?: { mode?: ShutdownMode }) => void;
  /** Stops the server and deletes the cluster. */
  stop: () => void;
}

/** Quotes a PostgreSQL identifier (names here are generated, but quoted all the same). */
export const pgIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** A libpq keyword value, quoted when it is more than a plain word. */
const libpqValue = (value: string) =>
  /^[\w.-]+$/.test(value) ? value : `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

function bindir(): string {
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('PostgreSQL is not installed (no pg_config): apt-get install postgresql');
  }
}

export async function startPostgres(options: { database?: string } = {}): Promise<Postgres> {
  const bin = bindir();
  const root = tempDir('postgres-');
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'postgres.log');
  const port = await freePort();
  const host = '127.0.0.1';
  const user = `lake_${randomBytes(3).toString('hex')}`;
  const password = randomBytes(18).toString('hex');
  const database = options.database ?? 'lake_catalog';

  // Under root every server command runs as `postgres`, which then owns the temp dir.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
    chownSync(root, id('-u'), id('-g'));
  }
  const server = (tool: string, args: string[]) => {
    const command = asRoot
      ? ['runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args]]
      : [path.join(bin, tool), args];
    try {
      execFileSync(command[0] as string, command[1] as string[], {
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: root,
      });
    } catch (error) {
      const log = existsSync(logFile)
        ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n')
        : '';
      throw new Error(
        `${tool} ${args[0]} failed: ${(error as { stderr?: Buffer }).stderr?.toString().trim()}\n${log}`,
      );
    }
  };
  // The superuser's psql over the private socket; a failing statement fails the call.
  const superuserPsql = (db: string, options: string[], input: string) =>
    execFileSync(
      path.join(bin, 'psql'),
      [
        '-X',
        '-q',
        '-v',
        'ON_ERROR_STOP=1',
        ...options,
        '-h',
        root,
        '-p',
        String(port),
        '-U',
        'postgres',
        '-d',
        db,
      ],
      { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] },
    );
  const psql = (sql: string, db = 'postgres') => superuserPsql(db, ['-A', '-t'], sql).trim();

  // The superuser connects only through the socket in the private temp dir (trust); everything
  // over TCP, the catalog role included, authenticates with its password.
  server('initdb', [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--no-sync',
    '--no-instructions',
  ]);
  const start = () =>
    server('pg_ctl', [
      'start',
      '-w',
      '-D',
      dataDir,
      '-l',
      logFile,
      '-o',
      `-c listen_addresses=${host} -p ${port} -c unix_socket_directories=${root}`,
    ]);
  const halt = ({ mode = 'fast' }: { mode?: ShutdownMode } = {}) =>
    server('pg_ctl', ['stop', '-w', '-m', mode, '-D', dataDir]);
  start();

  const createDatabase = (name: string) => {
    psql(`CREATE DATABASE ${pgIdent(name)} OWNER ${pgIdent(user)}`);
    return `dbname=${libpqValue(name)} host=${host} port=${port} user=${user}`;
  };
  // psql's :'var' quotes the password as a literal.
  superuserPsql('postgres', ['-v', `pw=${password}`], `CREATE ROLE ${pgIdent(user)} LOGIN PASSWORD :'pw';\n`);
  const connectionString = createDatabase(database);

  let stopped = false;
  // pg_ctl daemonizes the server: a test process that dies without stop() must not leave it running.
  const onExit = () => {
    try {
      halt({ mode: 'immediate' });
    } catch {
      // not running
    }
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  return {
    host,
    port,
    user,
    password,
    database,
    connectionString,
    env: { PGPASSWORD: password },
    psql,
    createDatabase,
    halt,
    resume: start,
    restart(options) {
      halt(options);
      start();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', onExit);
      try {
        halt({ mode: 'fast' });
      } catch {
        // already halted (a test's outage): nothing to stop
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
