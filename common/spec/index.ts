/** The backfill spec: its schema, the rules across fields, parsing with warnings, and spec files. */
export * from './schema';
export { SPEC_RULES } from './rules';
export * from './parse';
export * from './file';
export * from './checks';
export { checkColumns, expressionProblem } from './check-rules';
