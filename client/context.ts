/** What every CLI command shares: config, output streams, the exit code, a client when needed. */
import { InvalidArgumentError } from 'commander';
import type { Client } from '@temporalio/client';
import type { Config } from '../common/config';
import { connectClient } from './connect';

export interface CliContext {
  config: Config;
  out: (line: string) => void;
  err: (line: string) => void;
  exitCode: number;
}

export async function withClient<T>(ctx: CliContext, fn: (client: Client) => Promise<T>): Promise<T> {
  const { client, close } = await connectClient(ctx.config);
  try {
    return await fn(client);
  } finally {
    await close();
  }
}

export function parseInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
}
