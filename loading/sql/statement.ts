/** A statement: SQL text and the values bound to its `$name` parameters. */
export type Params = Record<string, string | number | boolean | null>;

export interface Statement {
  sql: string;
  params?: Params;
}
