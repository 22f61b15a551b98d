/** Moved to testkit/tls-proxy.ts; kept until the open branches merge. */
export * from '../testkit/tls-proxy';
