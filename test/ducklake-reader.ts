/** Moved to testkit/ducklake-reader.ts; kept until the open branches merge. */
export * from '../testkit/ducklake-reader';
