/** `backfill query`: read-only SQL against a spec's target. */
export { openReadOnly, TargetUnavailableError, type ReadOnlyTarget } from './read-only';
export { prepareRead, QueryRefusedError } from './statements';
export { partitionsInTarget } from './partitions';
