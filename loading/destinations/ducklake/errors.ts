/**
 * DuckLake failures sorted into what retrying can and cannot fix. Configuration problems (wrong
 * password, an unreachable catalog after the connect window, a missing bucket, a catalog made with
 * another data path, a missing extension) fail the partition without retry, with one line; a commit
 * conflict is retried (commit.ts); anything else is a retryable write error.
 */
import { BackfillError } from '../../../common/failures';
import { MissingExtensionError } from '../../duckdb-extensions';

/** DuckLake's logical conflict ("Transaction conflict - attempting to insert into table ..."). */
export const isConflict = (err: unknown) => /Transaction conflict/.test(messageOf(err));

/** The catalog database cannot be reached (yet): worth waiting for within the connect window. */
export const isUnreachable = (err: unknown) =>
  /Connection refused|could not connect|could not translate host name|timeout expired|the database system is (starting up|shutting down|in recovery mode)|server closed the connection|terminating connection|no connection to the server/i.test(
    messageOf(err),
  );

const CONFIGURATION: [RegExp, string][] = [
  [/password authentication failed|no password supplied|fe_sendauth/i, 'the catalog refused the login'],
  [/NoSuchBucket|bucket does not exist/i, "the data path's bucket does not exist"],
  [/does not match existing data path/i, 'the catalog was created with another data path'],
  [
    /database "[^"]*" does not exist|role "[^"]*" does not exist/i,
    'the catalog database or role does not exist',
  ],
  [/AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch/i, 'the data path denies access'],
];

/** The message's first line, without DuckDB's stack trace. */
export function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n\nStack Trace')[0]!.trim();
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').slice(0, 600);

/** A configuration error for a recognised DuckLake failure, else undefined. */
export function configurationProblem(err: unknown, where: string): BackfillError | undefined {
  if (err instanceof MissingExtensionError)
    return new BackfillError('ConfigurationError', err.message, { cause: err });
  const cause = err instanceof Error && err.cause ? err.cause : err;
  const text = messageOf(cause);
  for (const [pattern, what] of CONFIGURATION) {
    if (pattern.test(text))
      return new BackfillError('ConfigurationError', `${where}: ${what}: ${oneLine(text)}`, { cause: err });
  }
  return undefined;
}

/** An unreachable catalog once the connect window is over: configuration, not retried. */
export const unreachable = (err: unknown, where: string, waitedMs: number) =>
  new BackfillError(
    'ConfigurationError',
    `${where}: the catalog database is unreachable (waited ${Math.round(waitedMs / 1000)} s): ${oneLine(messageOf(err))}`,
    { cause: err },
  );
