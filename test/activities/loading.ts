/** Moved to testkit/loader.ts; kept until the open branches merge. */
export * from '../../testkit/loader';
