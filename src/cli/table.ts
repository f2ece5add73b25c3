import { escapeControl } from '../model/text.js';

/** Renders rows as an aligned plain-text table for humans (`--json` gives machines JSON). */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  // A cell is one value on one line: its line breaks and control characters are shown escaped.
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : escapeControl(String(c)))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
