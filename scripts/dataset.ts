/** Moved to testkit/dataset.ts; kept until the open branches merge. */
export * from '../testkit/dataset';
