import type { Label, StoredMessage } from './world.js';
import { header } from './mime.js';

/**
 * The part of Gmail's search syntax Syncwarden and tests use: rfc822msgid:, label:, in:,
 * is:, after:, before:, subject:, from:, and bare words (subject or snippet). Terms are ANDed.
 * https://support.google.com/mail/answer/7190
 */
export type Predicate = (m: StoredMessage) => boolean;

export interface ParsedQuery {
  readonly match: Predicate;
  /** in:anywhere, in:spam or in:trash bring spam and trash into scope like includeSpamTrash. */
  readonly includesSpamTrash: boolean;
}

export function parseQuery(q: string, labels: ReadonlyMap<string, Label>): ParsedQuery {
  const preds: Predicate[] = [];
  let includesSpamTrash = false;
  for (const term of tokenize(q)) {
    const negate = term.startsWith('-');
    const t = negate ? term.slice(1) : term;
    const i = t.indexOf(':');
    const op = i > 0 ? t.slice(0, i).toLowerCase() : '';
    const value = unquote(i > 0 ? t.slice(i + 1) : t);
    let p: Predicate;
    switch (op) {
      case 'rfc822msgid': {
        const id = value.replace(/^<|>$/g, '');
        p = (m) => m.rfc822MessageId === id;
        break;
      }
      case 'label':
      case 'in':
      case 'is': {
        const v = value.toLowerCase();
        if (op === 'in' && v === 'anywhere') {
          includesSpamTrash = true;
          p = () => true;
          break;
        }
        if (op === 'is' && v === 'read') {
          p = (m) => !m.labelIds.includes('UNREAD');
          break;
        }
        if (v === 'spam' || v === 'trash') includesSpamTrash = true;
        const ids = [...labels.values()].filter((l) => normalizeLabel(l.name) === normalizeLabel(v)).map((l) => l.id);
        p = (m) => ids.some((id) => m.labelIds.includes(id));
        break;
      }
      case 'after':
      case 'before': {
        // Epoch seconds, or a date (yyyy/mm/dd, midnight Pacific in Gmail; UTC here).
        const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(`${value.replace(/\//g, '-')}T00:00:00Z`);
        p = Number.isNaN(ms) ? () => false : op === 'after' ? (m) => m.internalDate >= ms : (m) => m.internalDate < ms;
        break;
      }
      case 'subject':
        p = (m) => m.subject.toLowerCase().includes(value.toLowerCase());
        break;
      case 'from':
        p = (m) => (header(m.headers, 'from') ?? '').toLowerCase().includes(value.toLowerCase());
        break;
      default: {
        const w = t.toLowerCase();
        p = (m) => m.subject.toLowerCase().includes(w) || m.snippet.toLowerCase().includes(w);
      }
    }
    preds.push(negate ? (m) => !p(m) : p);
  }
  return { match: (m) => preds.every((p) => p(m)), includesSpamTrash };
}

/** label:my-project matches "My Project" and label:a-b (or a/b) matches nested "A/B". */
export function normalizeLabel(name: string): string {
  return name.toLowerCase().replace(/[\s/_-]+/g, '-');
}

function tokenize(q: string): string[] {
  const out: string[] = [];
  const re = /(-?[\w.]+:)?("[^"]*"|\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(q)) !== null) out.push(`${m[1] ?? ''}${m[2]}`);
  return out;
}

function unquote(v: string): string {
  return v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1) : v;
}
