/** Moved to testkit/; kept until the open branches merge (they import '../helpers'). */
export * from '../testkit/cli';
export * from '../testkit/env';
export * from '../testkit/fixtures';
export * from '../testkit/inspect';
export * from '../testkit/logger';
export * from '../testkit/oracle';
export * from '../testkit/ports';
export * from '../testkit/processes';
export * from '../testkit/specs';
export * from '../testkit/wait';
export * from '../testkit/worker';
