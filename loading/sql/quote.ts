/**
 * Quoting. Identifiers (table, column, catalog names) always go through `ident()`; values from
 * files, partitions and users are bound as `$name` parameters; the few literals DuckDB does not
 * accept as parameters (ATTACH paths, reader option values, constant messages) go through `literal()`.
 */

/** Quotes an identifier for DuckDB: wraps in double quotes, doubles inner ones. */
export const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Quotes a string literal: wraps in single quotes, doubles inner ones. */
export const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * A table in a catalog (a destination's attached database), fully qualified, so a statement never
 * depends on the connection's current database.
 */
export const qualified = (catalog: string, table: string, schema = 'main') =>
  `${ident(catalog)}.${ident(schema)}.${ident(table)}`;
