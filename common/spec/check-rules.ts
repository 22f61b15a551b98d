/**
 * Rules over a spec's `checks:` (pure, run with the other spec rules): one kind per check, unique
 * names, known columns, thresholds only where they mean something, and an expression that is one
 * read-only SQL expression. What needs DuckDB (the expression's type, the regex) is
 * loading/checks/validate.ts.
 */
import type { z } from 'zod';
import { CHECK_KINDS, LINEAGE_COLUMNS, isRowCheck, kindsOf } from './checks';
import type { BackfillSpec } from './schema';

type Issue = (path: (string | number)[], message: string) => void;

/** Words that start a statement, a subquery or an extension load: an expression over a row needs none. */
const FORBIDDEN_WORDS =
  /\b(select|from|with|insert|update|delete|merge|create|drop|alter|attach|detach|copy|pragma|set|reset|call|install|load|export|import|checkpoint|vacuum|begin|commit|rollback|truncate|use|getenv|current_setting|query|query_table|read_\w+|glob)\b/i;

/** The expression's text outside string literals and quoted identifiers (both kept as blanks). */
export function expressionCode(expression: string): string | undefined {
  let out = '';
  for (let i = 0; i < expression.length;) {
    const c = expression[i]!;
    if (c === "'" || c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= expression.length) return undefined;
        if (expression[j] === c) {
          if (expression[j + 1] === c) j += 2;
          else break;
        } else j += 1;
      }
      out += c === '"' ? ' x ' : " '' ";
      i = j + 1;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/** Why the text is not one read-only expression over a row, or undefined. */
export function expressionProblem(expression: string): string | undefined {
  const code = expressionCode(expression);
  if (code === undefined) return 'has an unterminated quote';
  if (code.includes(';')) return 'must be one expression: ";" is not allowed';
  if (code.includes('--') || code.includes('/*')) return 'must not contain comments';
  let depth = 0;
  for (const c of code) {
    depth += c === '(' ? 1 : c === ')' ? -1 : 0;
    if (depth < 0) break;
  }
  if (depth !== 0) return 'has unbalanced parentheses';
  const word = FORBIDDEN_WORDS.exec(code);
  if (word)
    return `must be an expression over one row: "${word[1]}" is not allowed (quote a column of that name)`;
  return undefined;
}

const TEMPORAL_TYPE = /^(DATE|TIMESTAMP|TIMESTAMPTZ|TIMESTAMP WITH TIME ZONE)$/i;

/** Columns a check may name: the schema's, the partition columns and the lineage columns. */
export function checkColumns(spec: BackfillSpec): Record<string, string> {
  const columns: Record<string, string> = { ...spec.schema };
  for (const col of spec.target.partitionColumns) columns[col] = 'INTEGER';
  if (spec.target.lineage) Object.assign(columns, LINEAGE_COLUMNS);
  return columns;
}

export function checkRules(spec: BackfillSpec, ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  const columns = checkColumns(spec);
  for (const [i, check] of spec.checks.entries()) {
    const issue: Issue = (path, message) =>
      ctx.addIssue({ code: 'custom', path: ['checks', i, ...path], message });
    const other = seen.get(check.name);
    if (other !== undefined) issue(['name'], `"${check.name}" is also the name of checks[${other}]`);
    else seen.set(check.name, i);
    const kinds = kindsOf(check);
    if (kinds.length !== 1) {
      issue(
        [],
        kinds.length === 0
          ? `sets no check; set exactly one of ${CHECK_KINDS.join(', ')}`
          : `sets ${kinds.join(' and ')}; set exactly one kind per check`,
      );
      continue;
    }
    const kind = kinds[0]!;
    const known = (path: (string | number)[], col: string) => {
      if (!Object.hasOwn(columns, col)) issue(path, `"${col}" is not a schema, partition or lineage column`);
    };
    if (isRowCheck(kind)) {
      if (check.maxViolations !== undefined && check.maxViolationShare !== undefined)
        issue(['maxViolationShare'], 'set maxViolations or maxViolationShare, not both');
    } else {
      if (check.action === 'drop')
        issue(['action'], `drop needs rows to drop; ${kind} is a partition check (use warn or fail)`);
      for (const field of ['maxViolations', 'maxViolationShare'] as const)
        if (check[field] !== undefined) issue([field], `${kind} is a partition check and takes no threshold`);
    }
    switch (kind) {
      case 'notNull':
        known([kind, 'column'], check.notNull!.column);
        break;
      case 'unique':
        for (const [j, col] of check.unique!.columns.entries()) known([kind, 'columns', j], col);
        break;
      case 'acceptedValues':
        known([kind, 'column'], check.acceptedValues!.column);
        break;
      case 'pattern':
        known([kind, 'column'], check.pattern!.column);
        break;
      case 'range': {
        const { column, min, max } = check.range!;
        known([kind, 'column'], column);
        if (min === undefined && max === undefined) issue([kind], 'set min, max or both');
        if (typeof min === 'number' && typeof max === 'number' && min > max)
          issue([kind, 'max'], `is below min (${min})`);
        break;
      }
      case 'expression': {
        const problem = expressionProblem(check.expression!);
        if (problem) issue([kind], problem);
        break;
      }
      case 'rowCount': {
        const { min, max, relativeMin, relativeMax } = check.rowCount!;
        if ([min, max, relativeMin, relativeMax].every((b) => b === undefined))
          issue([kind], 'set at least one of min, max, relativeMin, relativeMax');
        if (min !== undefined && max !== undefined && min > max)
          issue([kind, 'max'], `is below min (${min})`);
        if (relativeMin !== undefined && relativeMax !== undefined && relativeMin > relativeMax)
          issue([kind, 'relativeMax'], `is below relativeMin (${relativeMin})`);
        if (
          (relativeMin !== undefined || relativeMax !== undefined) &&
          spec.target.partitionColumns.length === 0
        )
          issue(
            [kind],
            'relative bounds compare with the other partitions in the target, so they need target.partitionColumns',
          );
        break;
      }
      case 'freshness': {
        const column = check.freshness!.column ?? spec.target.orderingColumn;
        if (column === undefined) {
          issue([kind, 'column'], 'set a column (there is no target.orderingColumn to default to)');
        } else if (!Object.hasOwn(columns, column)) {
          issue([kind, 'column'], `"${column}" is not a schema, partition or lineage column`);
        } else if (!TEMPORAL_TYPE.test(columns[column]!)) {
          issue(
            [kind, 'column'],
            `"${column}" is ${columns[column]}; freshness needs a DATE or TIMESTAMP column`,
          );
        }
        break;
      }
      case 'maxRejectedShare':
        break;
    }
  }
}
