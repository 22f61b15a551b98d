/** Connects the CLI to Temporal with the configured address, namespace, TLS and API key. */
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../common/config';
import { connectionOptions } from '../common/connection-options';
import { credentialsError, UnreachableError } from './errors';

export async function connectClient(config: Config): Promise<{ client: Client; close: () => Promise<void> }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...connectionOptions(config), connectTimeout: '5s' });
  } catch (err) {
    throw (
      credentialsError(err, config.TEMPORAL_ADDRESS) ??
      new UnreachableError(
        `cannot reach the Temporal server at ${config.TEMPORAL_ADDRESS}: ${(err as Error).message}`,
      )
    );
  }
  return {
    client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }),
    close: () => connection.close(),
  };
}
