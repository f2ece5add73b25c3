import type { Runtime } from '../runtime/context.js';
import type { Person } from './wire.js';

export type { Person } from './wire.js';

/** The tenant's enabled users, by id and by email (lower case). */
export interface People {
  byId: Map<string, Person>;
  byEmail: Map<string, Person>;
}

export async function loadPeople(rt: Runtime, tenantId: string): Promise<People> {
  const rows = await rt.store.db.selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.email', 'users.display_name', 'users.disabled_at'])
    .where('memberships.tenant_id', '=', tenantId).execute();
  const byId = new Map<string, Person>();
  const byEmail = new Map<string, Person>();
  for (const r of rows) {
    const p = { userId: r.id, email: r.email, displayName: r.display_name || r.email };
    byId.set(r.id, p);
    if (r.disabled_at === null) byEmail.set(r.email.toLowerCase(), p);
  }
  return { byId, byEmail };
}

/** A person by id, or a placeholder naming the id (a user removed since). */
export function personOf(people: People, userId: string | null | undefined): Person | null {
  if (!userId) return null;
  return people.byId.get(userId) ?? { userId, email: '', displayName: `(removed user ${userId})` };
}

/** The user id an actor string names ('user:<id>' or 'user:<id> (…)'), else null. */
export function userIdOfActor(actor: string): string | null {
  const m = /^user:([^\s]+)/.exec(actor);
  return m ? m[1]! : null;
}
