/** Moved to testkit/postgres-server.ts; kept until the open branches merge. */
export * from '../testkit/postgres-server';
