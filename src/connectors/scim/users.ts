import type { DirectoryAccount, DirectoryRecord, Page } from '../sdk/index.js';
import { decodeUsersCursor, encodeUsersCursor } from './cursor.js';
import { checkIndexPage } from '../sdk/index.js';
import { badResponse, failure, parseBody, PROVIDER, scimCall, type ScimDeps } from './http.js';
import { ENTERPRISE_USER, listResponse, scimUser, type ScimUser } from './wire.js';

/**
 * The users stream: GET /Users page by page (startIndex/count, RFC 7644 §3.4.2.4) →
 * accounts. The pass ends when startIndex passes totalResults, so servers that answer
 * shorter pages than asked (their own cap) or ignore `count` altogether are read whole.
 */
export async function readUsers(deps: ScimDeps, cursor: string | null): Promise<Page<DirectoryRecord>> {
  const { start } = decodeUsersCursor(cursor);
  // A user's `groups` can be long and memberships come from the groups stream.
  const res = await scimCall(deps, 'GET', '/Users', { query: { startIndex: start, count: deps.config.pageSize, excludedAttributes: 'groups' } });
  if (res.status !== 200) throw failure(deps, res, 'users', 'GET /Users');
  const list = parseBody(deps, res, listResponse, 'GET /Users');
  checkIndexPage(PROVIDER, `GET /Users?startIndex=${start}&count=${deps.config.pageSize}`, { askedStart: start, answeredStart: list.startIndex, received: list.resources.length, totalResults: list.totalResults });
  const items = list.resources.map((raw, i) => {
    const r = scimUser.safeParse(raw);
    if (!r.success) throw badResponse(`GET /Users answered a user without ${r.error.issues[0]?.path.join('.') || 'a valid shape'} (item ${start + i})`);
    return toAccount(r.data);
  });
  const nextStart = start + items.length;
  const next = items.length > 0 && nextStart <= list.totalResults ? encodeUsersCursor({ start: nextStart }) : null;
  return { items, next, deltaCursor: null };
}

export function toAccount(u: ScimUser): DirectoryAccount {
  const ext = u[ENTERPRISE_USER];
  const given = u.name?.givenName ?? null;
  const family = u.name?.familyName ?? null;
  const fullName = [given, family].filter(Boolean).join(' ');
  return {
    type: 'account',
    externalId: u.id,
    // userType is free text (RFC 7643 §4.1.1); "Guest" is what Entra ID and most apps use for invitees.
    accountType: /^guest$/i.test(u.userType ?? '') ? 'guest' : 'user',
    userName: u.userName,
    email: emailOf(u),
    displayName: u.displayName ?? u.name?.formatted ?? (fullName || u.userName),
    givenName: given,
    familyName: family,
    employeeId: ext?.employeeNumber ?? null,
    // RFC 7643: active absent means the server does not say; treat as enabled, as apps do.
    enabled: u.active ?? true,
    external: false,
    createdAt: u.meta?.created ?? null,
    lastSignInAt: null,
    attributes: {
      clientExternalId: u.externalId,
      userType: u.userType,
      title: u.title,
      department: ext?.department ?? null,
      costCenter: ext?.costCenter ?? null,
      organization: ext?.organization ?? null,
      division: ext?.division ?? null,
      managerId: ext?.manager?.value ?? null,
      lastModified: u.meta?.lastModified ?? null,
    },
  };
}

/** The primary email, else the work one, else the first. */
function emailOf(u: ScimUser): string | null {
  const emails = (u.emails ?? []).filter((e) => e.value);
  const pick = emails.find((e) => e.primary === true) ?? emails.find((e) => e.type?.toLowerCase() === 'work') ?? emails[0];
  return pick?.value ?? null;
}
