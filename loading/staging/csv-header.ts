/** The header line of a CSV file, split by the file's dialect (see read.ts: headers are parsed, not sniffed). */
import type { CsvDialect } from '../sql';

/** Splits one CSV line (the header) by the dialect; inside quotes, escape + quote is a quote. */
export function splitCsvLine(line: string, csv: CsvDialect): string[] {
  const out: string[] = [];
  const escape = csv.escape ?? csv.quote;
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    const next = line[i + 1];
    if (
      quoted &&
      escape &&
      ch === escape &&
      (next === csv.quote || (next === escape && escape !== csv.quote))
    ) {
      field += next;
      i++;
    } else if (csv.quote && ch === csv.quote) {
      quoted = !quoted;
    } else if (ch === csv.delimiter && !quoted) {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field.replace(/\r$/, ''));
  return out.map((f) => f.trim());
}
