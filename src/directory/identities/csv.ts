/**
 * RFC 4180 CSV for exports admins open in spreadsheets: fields with commas, quotes or line
 * breaks are quoted with quotes doubled; a leading = + - @ is defused with a quote, because
 * spreadsheet apps run such a cell as a formula (CSV injection). Same rules as web/src/csv.ts,
 * which the server cannot import.
 */
export function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(headers: readonly string[], rows: Iterable<readonly unknown[]>): string {
  const lines = [headers.map(csvCell).join(',')];
  for (const r of rows) lines.push(r.map(csvCell).join(','));
  return lines.join('\r\n') + '\r\n';
}
