/** A real Temporal dev server for a suite. */
import { after, before } from 'node:test';
import { Client } from '@temporalio/client';
import { startDevServer, type DevServer } from '../client/dev-server';

export interface TestEnv {
  server: DevServer;
  client: Client;
}

export async function startTestEnv(options: Parameters<typeof startDevServer>[0] = {}): Promise<TestEnv> {
  const server = await startDevServer(options);
  const client = new Client({ connection: server.connection, namespace: server.namespace });
  return { server, client };
}

/**
 * A real dev server for the suite around it: started before its tests, stopped after. The object
 * is filled in place, so tests use it as a plain TestEnv.
 */
export function useTestEnv(): TestEnv {
  const env = {} as TestEnv;
  before(async () => {
    Object.assign(env, await startTestEnv());
  });
  after(async () => {
    await env.server?.stop();
  });
  return env;
}
