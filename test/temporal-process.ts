/** Moved to testkit/temporal-process.ts; kept until the open branches merge. */
export * from '../testkit/temporal-process';
