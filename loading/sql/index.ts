/**
 * Every SQL statement the service runs, by phase: read → stage → batch (staging), then write, ddl
 * and maintain (destinations). Identifiers are quoted, values bound, literals escaped (quote.ts).
 */
export * from './statement';
export * from './quote';
export * from './tables';
export * from './read';
export * from './stage';
export * from './fast-read';
export * from './batch';
export * from './write';
export * from './ddl';
export * from './maintain';
export * from './checks';
export * from './shards';
