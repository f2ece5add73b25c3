import { z } from 'zod';

/**
 * C0 and C1 control characters (and DEL). In a name they are never meant: they break the
 * lines of logs and CSV exports, and ESC sequences rewrite a terminal that prints them.
 */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/** A name an admin types (connection, policy, alert channel): trimmed, 1..max, no control characters. */
export function nameText(max = 120): z.ZodString {
  return z.string().trim().min(1).max(max).regex(new RegExp(`^[^${CONTROL_CHARS.source.slice(1, -1)}]*$`), 'must not contain control characters (line breaks, tabs, escape sequences)');
}

/**
 * Text from a provider or a user, made safe for a terminal: control characters (ESC, CR, BEL,
 * …) are shown as \\xNN so text cannot move the cursor, change colours, retitle the window or
 * hide what follows. Tabs and line breaks are escaped too: one value stays on one line.
 */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * A CLI line made safe for a terminal: like escapeControl, but keeps the line breaks the CLI
 * writes itself (\n, and \r\n in CSV) and tabs. A lone \r (which returns to the start of
 * the line and overwrites it) is escaped.
 */
export function escapeTerminal(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|\r(?!\n)/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
