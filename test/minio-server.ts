/** Moved to testkit/minio-server.ts; kept until the open branches merge. */
export * from '../testkit/minio-server';
