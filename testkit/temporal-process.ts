/**
 * The Temporal dev server as a plain child process on a fixed port and SQLite file, so a test can
 * kill it and start it again on the same state (the SDK's test environment owns its process and
 * cannot restart it).
 */
import { spawn } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { setRetention, SQLITE_SPEED_ARGS } from '../client/dev-server';
import { ensureTool } from '../client/tools';
import { SEARCH_ATTRIBUTES } from '../common/ids';
import { freePort } from './ports';
import { stopChild } from './processes';
import { waitFor } from './wait';

export interface TemporalProcess {
  address: string;
  namespace: string;
  /** Stops the server (SIGKILL: a crash; SIGTERM: a clean stop); its SQLite file stays. */
  halt: (signal: 'SIGKILL' | 'SIGTERM') => Promise<void>;
  /** Starts it again on the same port and file; resolves once it answers. */
  resume: () => Promise<void>;
  stop: () => Promise<void>;
}

export async function startTemporalProcess(dbFile: string): Promise<TemporalProcess> {
  const binary = ensureTool('temporal');
  if (!binary) throw new Error('no temporal binary and no Go to build it');
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const namespace = 'default';
  const attributes = SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
  let server: { kill: (signal: NodeJS.Signals) => void; exited: Promise<void> } | undefined;

  const launch = async () => {
    const child = spawn(
      binary,
      [
        'server',
        'start-dev',
        '--headless',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--db-filename',
        dbFile,
        '--namespace',
        namespace,
        '--log-level',
        'error',
        ...SQLITE_SPEED_ARGS,
        ...attributes,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const stderr: string[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let dead = false;
    void exited.then(() => (dead = true));
    server = { kill: (signal) => child.kill(signal), exited };
    await waitFor(
      'the Temporal dev server to answer',
      async () => {
        if (dead) throw new Error(`temporal server exited: ${stderr.join('').slice(-2000)}`);
        const connection = await Connection.connect({ address, connectTimeout: 1000 }).catch(() => undefined);
        if (!connection) return false;
        try {
          await connection.workflowService.describeNamespace({ namespace });
          return true;
        } catch {
          return false;
        } finally {
          await connection.close();
        }
      },
      120_000,
    );
  };
  const halt = async (signal: NodeJS.Signals) => {
    const running = server;
    server = undefined;
    if (running) await stopChild(running, signal, 10_000);
  };

  await launch();
  const connection = await Connection.connect({ address });
  await setRetention(connection, namespace, 30);
  await connection.close();
  return { address, namespace, halt, resume: launch, stop: () => halt('SIGTERM') };
}
