/**
 * Tables as kubectl and `temporal workflow list` print them: a header row, one line per row, no
 * rules, columns apart by spaces, numbers right-aligned. cli-table3 does the widths; it is only
 * told to draw no borders.
 */
import Table from 'cli-table3';

export interface Column {
  header: string;
  /** Numbers read best right-aligned. */
  align?: 'left' | 'right';
}

const NO_RULES = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '',
};

/** Longest cell text: a row stays one line even when a message is long or has line breaks. */
const MAX_CELL = 120;

const oneLine = (cell: string) => {
  const flat = cell.replace(/\s*\n\s*/g, ' ');
  return flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat;
};

export function formatTable(columns: Column[], rows: (string | number)[][]): string {
  const table = new Table({
    head: columns.map((c) => c.header.toUpperCase()),
    chars: NO_RULES,
    colAligns: columns.map((c) => c.align ?? 'left'),
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 3 },
  });
  for (const row of rows) table.push(row.map((cell) => oneLine(String(cell))));
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.length > 0)
    .join('\n');
}
