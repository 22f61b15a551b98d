/**
 * Quality gates (`checks:`): declared checks run on each partition's staged, deduped batch inside
 * its load, before the commit. Row checks count violating rows; partition checks measure the whole
 * partition. Rules across fields (one kind per check, known columns, thresholds) are in rules.ts;
 * what needs DuckDB (the expression is boolean and read-only, the regex compiles) is checked by
 * loading/checks/validate.ts before anything starts.
 */
import { z } from 'zod';

/** The lineage columns a target gets with target.lineage (loading/sql/tables.ts writes them). */
export const LINEAGE_COLUMNS = {
  _source_file: 'VARCHAR',
  _loaded_at: 'TIMESTAMP',
  _backfill_id: 'VARCHAR',
} as const;

export const CHECK_ACTIONS = ['warn', 'drop', 'fail'] as const;
/** Checks over rows: `drop` and thresholds allowed. */
export const ROW_CHECK_KINDS = [
  'notNull',
  'unique',
  'acceptedValues',
  'range',
  'pattern',
  'expression',
] as const;
/** Checks over the whole partition: pass or fire, no rows to drop. */
export const PARTITION_CHECK_KINDS = ['rowCount', 'freshness', 'maxRejectedShare'] as const;
export const CHECK_KINDS = [...ROW_CHECK_KINDS, ...PARTITION_CHECK_KINDS] as const;

const column = z
  .string()
  .min(1, 'must not be empty')
  .max(255)
  .refine((s) => !s.includes('\0'), 'must not contain NUL')
  .describe('A schema, partition or lineage column.');

/** A bound compared with the column's values: a number, or text cast to the column's type (a date, a timestamp). */
const bound = z.union([z.number(), z.string().min(1).max(200)]);

const ratio = z.number().positive().max(1_000_000);

export const CheckSchema = z
  .object({
    name: z
      .string()
      .min(1, 'must not be empty')
      .max(200)
      .refine((s) => !s.includes('\0'), 'must not contain NUL')
      .describe(
        'Names the check in stats, status, metrics, rejects (reason "check <name>") and failures; unique.',
      ),
    action: z
      .enum(CHECK_ACTIONS)
      .default('fail')
      .describe(
        'warn = the partition lands, the outcome is recorded; drop (row checks) = violating rows go to <table>__rejects with reason "check <name>" (dropped and counted under readMode dropmalformed; a row two drop checks name goes once, with the first reason); fail = the partition fails (CheckFailedError, not retried) and nothing of it lands.',
      ),
    maxViolations: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        'Row checks: violating rows tolerated (default 0); warn/fail fire above it, drop fails the partition above it.',
      ),
    maxViolationShare: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        'Row checks: like maxViolations, as a share (0..1) of the rows checked; not with maxViolations.',
      ),
    notNull: z.object({ column }).strict().optional().describe('Row check: the column is never NULL.'),
    unique: z
      .object({ columns: z.array(column).min(1).describe('Columns whose values together are unique.') })
      .strict()
      .optional()
      .describe(
        'Row check: no two rows of the deduped batch share these values (every row of a repeated value violates; a NULL among them is not compared).',
      ),
    acceptedValues: z
      .object({
        column,
        values: z
          .array(z.union([z.string(), z.number(), z.boolean()]))
          .min(1)
          .max(10_000)
          .describe("The allowed values, cast to the column's type."),
      })
      .strict()
      .optional()
      .describe('Row check: the column holds one of the values (NULL passes; add notNull for that).'),
    range: z
      .object({
        column,
        min: bound.optional().describe("Smallest allowed value, inclusive (cast to the column's type)."),
        max: bound.optional().describe('Largest allowed value, inclusive.'),
      })
      .strict()
      .optional()
      .describe('Row check: min <= column <= max (NULL passes).'),
    pattern: z
      .object({
        column,
        regex: z.string().min(1).max(2000).describe('An RE2 regular expression the whole text must match.'),
      })
      .strict()
      .optional()
      .describe('Row check: regexp_full_match(CAST(column AS VARCHAR), regex) (NULL passes).'),
    expression: z
      .string()
      .min(1)
      .max(4000)
      .optional()
      .describe(
        'Row check: a boolean DuckDB SQL expression over one row (e.g. amount >= 0); a row violates when it is false (NULL passes). One read-only expression: no ";", no subqueries that write.',
      ),
    rowCount: z
      .object({
        min: z.number().int().min(0).optional().describe('Fewest rows the partition may have.'),
        max: z.number().int().min(0).optional().describe('Most rows the partition may have.'),
        relativeMin: ratio
          .optional()
          .describe(
            'Fewest rows as a multiple of the median row count of the partitions already in the target (e.g. 0.5); needs target.partitionColumns.',
          ),
        relativeMax: ratio.optional().describe('Most rows as a multiple of that median (e.g. 2).'),
      })
      .strict()
      .optional()
      .describe(
        "Partition check: the deduped batch's row count (after drops) within bounds; relative bounds pass when the target holds no other partition.",
      ),
    freshness: z
      .object({
        column: column.optional().describe('A DATE or TIMESTAMP column; default target.orderingColumn.'),
        minCoverage: z
          .number()
          .min(0)
          .max(1)
          .default(1)
          .describe('Smallest share of the covered units allowed.'),
      })
      .strict()
      .optional()
      .describe(
        "Partition check: coverage = share of the partition's window units (months of a year, days of a month, hours of a day, minutes of an hour) with at least one row whose column falls in it (the window's bounds in UTC).",
      ),
    maxRejectedShare: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        'Partition check: rejected records (bad records and rows dropped by checks) over records read must not exceed this share.',
      ),
  })
  .strict();

export type CheckSpec = z.output<typeof CheckSchema>;
export type CheckKind = (typeof CHECK_KINDS)[number];

/** The kind keys a check sets (exactly one in a valid spec). */
export const kindsOf = (check: Partial<Record<CheckKind, unknown>>): CheckKind[] =>
  CHECK_KINDS.filter((k) => check[k] !== undefined);

/** The kind of a validated check. */
export const kindOf = (check: CheckSpec): CheckKind => kindsOf(check)[0]!;

export const isRowCheck = (kind: CheckKind) => (ROW_CHECK_KINDS as readonly string[]).includes(kind);

/** Whether a load's batch keeps its rows' origin (file, line): only drops need it, to name the winning record. */
export const dropsRows = (checks: readonly CheckSpec[]) => checks.some((c) => c.action === 'drop');
