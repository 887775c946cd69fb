import type { ErrorCode } from './errors.js';

/** One parsed record and the (1-based) line it starts on, for error messages people can act on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

export interface CsvProblem {
  line: number;
  code: ErrorCode;
  message: string;
}

/**
 * RFC 4180 CSV as spreadsheets write it: comma separated, optional double quotes with `""` inside,
 * LF or CRLF, an optional UTF-8 byte order mark. Blank lines are skipped. A malformed record is
 * reported with its line and parsing goes on, so one run lists every bad line.
 */
export function parseCsv(text: string): { records: CsvRecord[]; problems: CsvProblem[] } {
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  const problems: CsvProblem[] = [];
  let i = 0;
  let line = 1;
  while (i < src.length) {
    const startLine = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let anyQuoted = false;
    let bad: string | undefined;
    for (;;) {
      const c = src[i];
      if (c === undefined || c === '\n' || c === '\r') {
        if (c === '\r' && src[i + 1] === '\n') i++;
        if (c !== undefined) i++;
        line++;
        break;
      }
      i++;
      if (c === ',') {
        fields.push(field);
        field = '';
        quoted = false;
      } else if (c === '"' && !quoted && field.trim() === '') {
        const end = readQuoted(src, i);
        if (!end) {
          bad = 'a quoted field is never closed';
          i = src.length;
          break;
        }
        field = end.value;
        line += end.newlines;
        i = end.next;
        quoted = true;
        anyQuoted = true;
      } else if (quoted) {
        bad ??= 'text follows a closing quote';
      } else if (c === '"') {
        bad ??= 'a double quote inside an unquoted field';
      } else {
        field += c;
      }
    }
    fields.push(field);
    if (bad) problems.push({ line: startLine, code: 'CSV_MALFORMED', message: `line ${startLine}: ${bad}` });
    else if (anyQuoted || fields.length > 1 || fields[0]!.trim() !== '') records.push({ line: startLine, fields });
  }
  return { records, problems };
}

function readQuoted(src: string, from: number): { value: string; next: number; newlines: number } | undefined {
  let value = '';
  let newlines = 0;
  for (let i = from; i < src.length; i++) {
    const c = src[i]!;
    if (c === '"') {
      if (src[i + 1] !== '"') return { value, next: i + 1, newlines };
      i++;
    } else if (c === '\n') {
      newlines++;
    }
    value += c;
  }
  return undefined;
}

/**
 * Writes CSV with CRLF line ends, quoting only the fields that need it (and a lone blank field, so
 * the row is not read back as a blank line).
 */
export function formatCsv(header: readonly string[], rows: readonly (readonly (string | number | boolean | null | undefined)[])[]): string {
  const cell = (v: string | number | boolean | null | undefined, lone: boolean): string => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) || (lone && s.trim() === '') ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map((v) => cell(v, r.length === 1)).join(',')).join('\r\n') + '\r\n';
}
