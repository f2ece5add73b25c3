import { AppError } from '../../errors/index.js';

/**
 * Persisted page cursors. SCIM has no continuation token: the next page is a 1-based
 * startIndex (RFC 7644 §3.4.2.4). Versioned so a change of shape never misreads an old one.
 * The groups cursor also carries what the pass learnt about how the server lists members.
 */
export interface UsersCursor {
  readonly start: number;
}

export interface GroupsCursor {
  readonly start: number;
  /** Largest inline member count confirmed complete by a per-group read. */
  readonly complete: number;
  /** Inline member count at which the server was seen to truncate, or null. */
  readonly cap: number | null;
}

const USERS = /^scim1:users:(\d+)$/;
const GROUPS = /^scim1:groups:(\d+):(\d+):(\d+|-)$/;

export const encodeUsersCursor = (c: UsersCursor): string => `scim1:users:${c.start}`;
export const encodeGroupsCursor = (c: GroupsCursor): string => `scim1:groups:${c.start}:${c.complete}:${c.cap ?? '-'}`;

export function decodeUsersCursor(cursor: string | null): UsersCursor {
  if (cursor === null) return { start: 1 };
  const m = USERS.exec(cursor);
  if (!m) throw badCursor(cursor);
  return { start: Math.max(1, Number(m[1])) };
}

export function decodeGroupsCursor(cursor: string | null): GroupsCursor {
  if (cursor === null) return { start: 1, complete: 0, cap: null };
  const m = GROUPS.exec(cursor);
  if (!m) throw badCursor(cursor);
  return { start: Math.max(1, Number(m[1])), complete: Number(m[2]), cap: m[3] === '-' ? null : Number(m[3]) };
}

function badCursor(cursor: string): AppError {
  return new AppError('request.invalid', { detail: `the saved position ${JSON.stringify(cursor.slice(0, 60))} is not a SCIM cursor of this version; start the stream again` });
}
