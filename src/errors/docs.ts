import { catalogue, errorCodes, type ErrorCode, type ErrorDefinition } from './catalogue.js';

/** docs/errors.md, generated from the catalogue; a test keeps the checked-in copy current. */
export function renderErrorsMarkdown(): string {
  const areas = new Map<string, ErrorCode[]>();
  for (const code of errorCodes) {
    const area = code.split('.')[0]!;
    areas.set(area, [...(areas.get(area) ?? []), code]);
  }
  const out: string[] = [
    '# Error catalogue',
    '',
    '<!-- Generated from src/errors/catalogue.ts by `npm run docs:errors`; do not edit by hand. -->',
    '',
    'Every failure Syncwarden shows has a code `area.reason`. **Scope** says what it blocks (one item, one',
    "user, everything behind a connection, or one API request); **retry** says what Syncwarden does next",
    '(`never`: a person must act; `next_cycle`: tried again on the next scheduled cycle; `backoff`: retried',
    "soon with exponential backoff; `retry_after`: retried when the provider's Retry-After has passed).",
    'Words in {braces} are filled in with the details of each occurrence.',
    '',
  ];
  for (const [area, codes] of areas) {
    out.push(`## ${area}`, '');
    for (const code of codes) {
      const d: ErrorDefinition = catalogue[code];
      out.push(`### \`${code}\` — ${d.title}`, '');
      out.push(`- **Cause:** ${d.cause}`);
      out.push(`- **Fix:** ${d.resolution}`);
      if (d.cliResolution) out.push(`- **Fix (CLI):** ${d.cliResolution}`);
      out.push(`- **Scope:** ${d.scope} · **Retry:** ${d.retry} · **Kind:** ${d.kind} · **HTTP:** ${d.http}${d.source ? ` · **From:** ${d.source}` : ''}`);
      out.push('');
    }
  }
  return out.join('\n');
}
