import { z } from 'zod';
import type { Runtime } from '../../runtime/context.js';
import type { RouteSpec } from '../route.js';
import { AppError } from '../../errors/index.js';
import { roleOf } from '../../auth/users.js';
import { createTenant, renameTenant, switchTenant, tenantIdSchema, tenantsOf, tenantView } from '../../tenants/tenants.js';
import type { Principal } from '../security.js';

const idParams = z.object({ id: z.string().min(1).max(100) });

/**
 * Several organisations (issue 12, point 4): the tenants the caller belongs to, making one (an
 * Owner; they become its Owner), renaming, and moving the browser session to another of them.
 * A tenant the caller does not belong to answers 404, like one that does not exist.
 */
export function tenantRoutes(rt: Runtime): RouteSpec[] {
  const need = (p: Principal | null): Principal => {
    if (!p) throw new AppError('auth.required', {});
    return p;
  };
  const mine = async (p: Principal, id: string) => {
    const t = (await tenantsOf(rt, p.userId)).find((x) => x.id === id.toLowerCase());
    if (!t) throw new AppError('tenant.not_found', { id });
    return t;
  };
  return [
    {
      method: 'GET', url: '/tenants', permission: 'session', tag: 'Organisations', summary: 'The organisations (tenants) you belong to, with your role in each, and the one in use',
      handler: async ({ principal, tenantId }) => ({ current: tenantId, tenants: await tenantsOf(rt, need(principal).userId) }),
    },
    {
      method: 'POST', url: '/tenants', permission: 'tenants.manage', tag: 'Organisations', summary: 'Create an organisation (id and name); you become its owner', body: z.object({ id: tenantIdSchema, name: z.string() }), status: 201,
      handler: async ({ principal, tenantId, body }) => {
        const p = need(principal);
        return createTenant(rt, body, { userId: p.userId, email: p.email, fromTenantId: tenantId });
      },
    },
    {
      method: 'GET', url: '/tenants/:id', permission: 'session', tag: 'Organisations', summary: 'One organisation you belong to', params: idParams,
      handler: async ({ principal, params }) => mine(need(principal), params['id']!),
    },
    {
      method: 'PATCH', url: '/tenants/:id', permission: 'tenants.manage', tag: 'Organisations', summary: 'Rename an organisation you own (its id stays)', params: idParams, body: z.object({ name: z.string() }),
      handler: async ({ principal, params, body }) => {
        const p = need(principal);
        const t = await mine(p, params['id']!);
        // Owner of the tenant in use is what the permission checked; the one renamed needs it too.
        if (await roleOf(rt, t.id, p.userId) !== 'owner') throw new AppError('auth.forbidden', { role: t.role ?? 'none', permission: 'tenants.manage' });
        return { ...(await renameTenant(rt, t.id, body)), role: t.role };
      },
    },
    {
      method: 'POST', url: '/auth/tenant', permission: 'session', tag: 'Organisations', summary: 'Switch this browser session to another organisation where you have a role', body: z.object({ tenant: z.string() }),
      handler: async ({ principal, body }) => {
        const p = need(principal);
        if (p.kind !== 'session') throw new AppError('tenant.token_switch', {});
        const t = await switchTenant(rt, { sessionId: p.sessionId, userId: p.userId, email: p.email, tenantId: p.tenantId }, body);
        return { tenant: { ...(await tenantView(rt, t.id)), role: t.role } };
      },
    },
  ];
}
