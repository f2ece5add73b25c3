import { randomBytes, randomInt } from 'node:crypto';
import { z } from 'zod';
import { customerFor, fail, ok, parsed, type AdminRequest } from './admin-http.js';
import { groupResource, memberResource, resolveMemberId } from './groups.js';
import { assignmentResource, roleResource } from './roles.js';
import type { MemberType } from './directory-model.js';

/**
 * Admin routes for groups, memberships and admin-role assignments of any customer (the
 * customer is the one owning the group's or member's domain, or `?domain=`).
 */
const newGroupSchema = z.object({ email: z.email(), name: z.string().min(1), description: z.string().default('') });
const newMemberSchema = z.object({ email: z.string().min(3), role: z.enum(['OWNER', 'MANAGER', 'MEMBER']).default('MEMBER'), type: z.enum(['USER', 'EXTERNAL']).optional() });
const newAssignmentSchema = z.object({ role: z.string().min(1), assignee: z.string().min(3), scopeType: z.enum(['CUSTOMER', 'ORG_UNIT']).default('CUSTOMER'), orgUnitId: z.string().optional() });

export async function directoryAdmin(a: AdminRequest): Promise<boolean> {
  if (a.parts[0] === 'groups') return groups(a);
  if (a.parts[0] === 'roles' || a.parts[0] === 'role-assignments') return roles(a);
  return false;
}

async function groups(a: AdminRequest): Promise<boolean> {
  const { parts, method, url } = a;
  if (parts.length === 1) {
    const c = customerFor(a, url.searchParams.get('domain'));
    if (!c) return fail(a, 404, 'no such customer');
    if (method === 'GET') {
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 1000) || 1000, 10_000);
      const out = [];
      for (const g of c.groups.scan(null)) {
        if (out.length >= limit) break;
        out.push(groupResource(c, g));
      }
      return ok(a, 200, { groups: out });
    }
    if (method === 'POST') {
      const b = await parsed(a, newGroupSchema);
      if (!b) return true;
      const owner = customerFor(a, b.email);
      if (!owner) return fail(a, 400, `domain of ${b.email} is not a customer's`);
      if (owner.groups.get(b.email) || owner.users.get(b.email)) return fail(a, 409, `${b.email} is taken`);
      const g = owner.groups.add({ id: `0${randomBytes(7).toString('hex')}`, email: b.email, name: b.name, description: b.description, aliases: [], adminCreated: true });
      return ok(a, 201, groupResource(owner, g));
    }
    return false;
  }
  const c = customerFor(a, parts[1]!.includes('@') ? parts[1]! : url.searchParams.get('domain'));
  const group = c?.groups.get(parts[1]!);
  if (!c || !group) return fail(a, 404, `no group ${parts[1]}`);
  if (parts.length === 2 && method === 'GET') return ok(a, 200, groupResource(c, group));
  if (parts.length === 2 && method === 'DELETE') {
    for (const x of c.roles.assignmentsOf(group.id)) c.roles.unassign(x.roleAssignmentId);
    c.groups.delete(group.id);
    return ok(a, 200, { deleted: group.id });
  }
  if (parts[2] !== 'members') return false;
  if (parts.length === 3 && method === 'GET') {
    const members = [];
    for (const { member } of c.groups.members(group.id, 0)) members.push(memberResource(member));
    return ok(a, 200, { members });
  }
  if (parts.length === 3 && method === 'POST') {
    const b = await parsed(a, newMemberSchema);
    if (!b) return true;
    const user = c.users.get(b.email);
    const sub = user ? undefined : c.groups.get(b.email);
    let member: { id: string; email: string | null; type: MemberType };
    if (user) member = { id: user.id, email: user.primaryEmail, type: 'USER' };
    else if (sub) member = { id: sub.id, email: sub.email, type: 'GROUP' };
    else if (b.email.includes('@') && !c.domains.includes(b.email.slice(b.email.lastIndexOf('@') + 1).toLowerCase())) {
      member = { id: resolveMemberId(c, b.email) ?? `1${Array.from({ length: 20 }, () => randomInt(10)).join('')}`, email: b.email.toLowerCase(), type: b.type ?? 'EXTERNAL' };
    } else return fail(a, 404, `no user or group ${b.email}`);
    if (c.groups.findMember(group.id, member.id)) return fail(a, 409, 'Member already exists.');
    c.groups.addMember(group.id, { ...member, role: b.role });
    return ok(a, 201, memberResource(c.groups.findMember(group.id, member.id)!));
  }
  if (parts.length === 4 && method === 'DELETE') {
    const id = resolveMemberId(c, parts[3]!);
    if (!id || !c.groups.removeMember(group.id, id)) return fail(a, 404, `${parts[3]} is not a member of ${group.email}`);
    return ok(a, 200, { removed: id });
  }
  return false;
}

async function roles(a: AdminRequest): Promise<boolean> {
  const { parts, method, url } = a;
  const c = customerFor(a, url.searchParams.get('domain'));
  if (!c) return fail(a, 404, 'no such customer');
  if (parts[0] === 'roles' && parts.length === 1 && method === 'GET') {
    return ok(a, 200, { roles: c.roles.roles().map(roleResource), assignments: c.roles.assignments().map(assignmentResource) });
  }
  if (parts[0] !== 'role-assignments') return false;
  if (parts.length === 1 && method === 'POST') {
    const b = await parsed(a, newAssignmentSchema);
    if (!b) return true;
    const owner = customerFor(a, b.assignee) ?? c;
    const role = owner.roles.role(b.role);
    if (!role) return fail(a, 404, `no role ${b.role}`);
    const user = owner.users.get(b.assignee);
    const group = user ? undefined : owner.groups.get(b.assignee);
    if (!user && !group) return fail(a, 404, `no user or group ${b.assignee}`);
    const x = owner.roles.assign({ roleId: role.roleId, assignedTo: (user ?? group)!.id, assigneeType: user ? 'USER' : 'GROUP', scopeType: b.scopeType, ...(b.orgUnitId ? { orgUnitId: b.orgUnitId } : {}) });
    return ok(a, 201, assignmentResource(x));
  }
  if (parts.length === 2 && method === 'DELETE') {
    for (const cust of a.sim.world.customers.values()) {
      const x = cust.roles.unassign(parts[1]!);
      if (x) return ok(a, 200, { deleted: x.roleAssignmentId });
    }
    return fail(a, 404, `no role assignment ${parts[1]}`);
  }
  return false;
}
