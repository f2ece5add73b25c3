import { z } from 'zod';
import { AppError } from '../../errors/index.js';

/**
 * Stream cursors: 'aws1.' + base64url(JSON), versioned because the engine persists them.
 * `marker` is IAM's own opaque Marker for the phase's listing.
 */
const cursorSchema = z.object({
  v: z.literal(1),
  stream: z.string(),
  phase: z.enum(['groups', 'policies', 'users', 'keys']),
  marker: z.string().max(2048).nullable(),
});
export type Cursor = z.infer<typeof cursorSchema>;

export function encodeCursor(c: Omit<Cursor, 'v'>): string {
  return `aws1.${Buffer.from(JSON.stringify({ v: 1, ...c }), 'utf8').toString('base64url')}`;
}

export function decodeCursor(stream: string, raw: string): Cursor {
  const fail = (why: string): AppError => new AppError('request.invalid', { detail: `the checkpoint of stream ${stream} is not an AWS cursor (${why}); start the stream again` });
  if (!raw.startsWith('aws1.')) throw fail('unknown version');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw.slice(5), 'base64url').toString('utf8'));
  } catch {
    throw fail('unreadable');
  }
  const r = cursorSchema.safeParse(json);
  if (!r.success || r.data.stream !== stream) throw fail('wrong shape');
  return r.data;
}
