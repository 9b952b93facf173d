/** The header line of an uploaded CSV, checked for its delimiter, duplicates and required columns. */

/** Why a CSV header was refused. */
export type CsvProblem = 'empty' | 'delimiter' | 'missing' | 'duplicate';

/** The CSV's column names, or the problem with its header. */
export function csvHeader(
  text: string,
  required: readonly string[],
): { columns: string[]; rows: number } | { problem: CsvProblem; columns?: string[] } {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length === 0) return { problem: 'empty' };
  const header = lines[0]!;
  // Semicolons and tabs are the delimiters spreadsheets export by locale; the API reads commas only.
  if (!header.includes(',') && /[;\t|]/.test(header)) return { problem: 'delimiter' };
  const columns = header.split(',').map((c) => c.trim().toLowerCase());
  if (new Set(columns).size !== columns.length) return { problem: 'duplicate', columns };
  if (required.some((name) => !columns.includes(name))) return { problem: 'missing', columns };
  return { columns, rows: lines.length - 1 };
}
