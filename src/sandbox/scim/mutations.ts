import type { Directory, Json, Stored } from './store.js';
import type { ResourceType } from './urns.js';

/** Writes shared by the SCIM endpoints and the sandbox admin API. */
export function saveResource(dir: Directory, rt: ResourceType, s: Stored): void {
  if (rt === 'User') dir.putUser(s);
  else dir.putGroup(s);
}

/** Deletes a resource and takes it out of every group that held it, as real servers keep references whole. */
export function deleteResource(dir: Directory, rt: ResourceType, id: string, now: number): boolean {
  for (const gid of dir.groupsOfMember(id)) setMember(dir, gid, id, null, now);
  return rt === 'User' ? dir.deleteUser(id) : dir.deleteGroup(id);
}

/** Adds (type given) or removes (type null) one member of a group; false when nothing changed. */
export function setMember(dir: Directory, groupId: string, memberId: string, type: 'User' | 'Group' | null, now: number): boolean {
  const g = dir.groups.get(groupId);
  if (!g) return false;
  const members = Array.isArray(g.data['members']) ? (g.data['members'] as Json[]) : [];
  const present = members.some((m) => m['value'] === memberId);
  if ((type !== null) === present) return false;
  const next = type === null ? members.filter((m) => m['value'] !== memberId) : [...members, { value: memberId, type }];
  const data: Json = { ...g.data };
  if (next.length) data['members'] = next;
  else delete data['members'];
  dir.putGroup({ ...g, data, lastModified: now, version: g.version + 1 });
  return true;
}
