/**
 * The embedded Temporal dev server (Temporal CLI `server start-dev`), used by `backfill dev`, the
 * demo and the tests. SQLite in WAL mode (far faster than the default), the project's search
 * attributes registered, and the namespace's retention set long enough for history to serve as the
 * checkpoint store.
 */
import Long from 'long';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { SEARCH_ATTRIBUTES } from '../common/ids';
import { ensureTool } from './tools';

export interface DevServerOptions {
  /** SQLite file; omitted = in memory. */
  dbFile?: string;
  ip?: string;
  /** gRPC port; omitted = a free one. */
  port?: number;
  /** Web UI port; omitted = no UI. */
  uiPort?: number;
  namespace?: string;
  retentionDays?: number;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** More `temporal server start-dev` flags (benchmarks try dynamic config values with it). */
  extraArgs?: string[];
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  connection: Connection;
  nativeConnection: NativeConnection;
  stop(): Promise<void>;
}

/** SQLite in WAL mode with NORMAL sync: the dev server is far slower without it. */
export const SQLITE_SPEED_ARGS = [
  '--sqlite-pragma',
  'journal_mode=WAL',
  '--sqlite-pragma',
  'synchronous=NORMAL',
];

/** Keeps closed runs this long: they are the checkpoint store. */
export async function setRetention(
  connection: Pick<Connection, 'workflowService'>,
  namespace: string,
  days: number,
): Promise<void> {
  await connection.workflowService.updateNamespace({
    namespace,
    config: { workflowExecutionRetentionTtl: { seconds: Long.fromNumber(days * 86_400) } },
  });
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const namespace = options.namespace ?? 'default';
  const binary = ensureTool('temporal');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: binary ? { type: 'existing-path', path: binary } : { type: 'cached-download' },
      namespace,
      ip: options.ip ?? '127.0.0.1',
      ...(options.port ? { port: options.port } : {}),
      ...(options.dbFile ? { dbFilename: options.dbFile } : {}),
      ...(options.uiPort ? { ui: true, uiPort: options.uiPort } : { ui: false }),
      searchAttributes: SEARCH_ATTRIBUTES,
      log: { format: 'json', level: options.logLevel ?? 'error' },
      extraArgs: [...SQLITE_SPEED_ARGS, ...(options.extraArgs ?? [])],
    },
  });
  await setRetention(env.connection, namespace, options.retentionDays ?? 30);
  return {
    address: env.address,
    namespace,
    ...(options.uiPort ? { uiUrl: `http://localhost:${options.uiPort}` } : {}),
    connection: env.connection,
    nativeConnection: env.nativeConnection,
    stop: () => env.teardown(),
  };
}
