/**
 * Quality gates (spec `checks:`): validated before a backfill starts (validate.ts), run on each
 * partition's staged batch before its commit (run.ts), and against what is already in the target
 * without loading (`backfill check`, target.ts).
 */
export { validateChecks, assertChecksValid, assertSpecChecks } from './validate';
export { checkBatch, type BatchChecks } from './run';
export { runChecksOnTarget, TargetTableMissingError } from './target';
