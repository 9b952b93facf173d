/**
 * CSV uploads (RFC 4180: comma-separated, fields quoted with `"` and `""` inside), header checked for
 * its delimiter, duplicates and required columns. Written here because the seed needs only this much
 * and takes no CSV dependency; the body is already bounded to 1 MiB by its reader.
 */

/** Why a CSV header was refused. */
export type CsvProblem = 'empty' | 'delimiter' | 'missing' | 'duplicate';

/** The records of `text`; blank lines are skipped. An unterminated quote runs to the end of the text. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRecord = () => {
    record.push(field);
    if (record.length > 1 || record[0]!.trim() !== '') records.push(record);
    record = [];
    field = '';
  };
  while (i < text.length) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (char === '"') quoted = false;
      else field += char;
      i++;
      continue;
    }
    if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      endRecord();
      if (char === '\r' && text[i + 1] === '\n') i++;
    } else field += char;
    i++;
  }
  if (field !== '' || record.length > 0) endRecord();
  return records;
}

/** The CSV's column names (lower-cased, trimmed) and its data records, or the problem with its header. */
export function csvTable(
  text: string,
  required: readonly string[],
): { columns: string[]; rows: string[][] } | { problem: CsvProblem; columns?: string[] } {
  const records = parseCsv(text);
  if (records.length === 0) return { problem: 'empty' };
  const header = records[0]!;
  // Semicolons and tabs are the delimiters spreadsheets export by locale; the API reads commas only.
  if (header.length === 1 && /[;\t|]/.test(header[0]!)) return { problem: 'delimiter' };
  const columns = header.map((c) => c.trim().toLowerCase());
  if (new Set(columns).size !== columns.length) return { problem: 'duplicate', columns };
  if (required.some((name) => !columns.includes(name))) return { problem: 'missing', columns };
  return { columns, rows: records.slice(1) };
}
