import type { SandboxContext, VendorSandbox } from '../types.js';
import { scimAdmin } from './admin.js';
import { hashString } from './seed.js';
import { baseUrlOf, createScimListener, type ScimSim } from './service.js';
import { addToken, createTenant, type Tenant } from './tenant.js';

/**
 * SCIM 2.0 service providers (RFC 7643 / 7644) on the `scim` origin, one per tenant at
 * `{scim}/apps/{tenant}/scim/v2`, and their admin API (under /scim/ on the admin origin).
 */
export interface ScimDemo {
  /** The demo app's tenant id (fault scope). */
  readonly tenant: string;
  readonly displayName: string;
  /** SCIM base URL, e.g. http://127.0.0.1:8097/apps/northwind-expenses/scim/v2 */
  readonly baseUrl: string;
  /** A read/write bearer token without expiry. */
  readonly token: string;
  /** A read-only bearer token (writes answer 403). */
  readonly readOnlyToken: string;
}

export const DEMO_SCIM_TENANT = 'northwind-expenses';

/** Deterministic demo secrets, so stored connections keep working across restarts. */
function demoSecret(seed: number, what: string): string {
  return `scim_${[1, 2, 3].map((k) => hashString(`${seed}/${what}/${k}`).toString(36).padStart(7, '0')).join('')}`;
}

export function createScimSandbox(ctx: SandboxContext): VendorSandbox<ScimDemo> & { tenants: Map<string, Tenant> } {
  const tenants = new Map<string, Tenant>();
  const now = ctx.now();
  const demo = createTenant(DEMO_SCIM_TENANT, 'Northwind Expenses', ctx.seed, { kind: 'demo' }, now);
  const rw = addToken(demo, { label: 'Syncwarden (read/write)', rights: 'read_write', expiresAt: null, secret: demoSecret(ctx.seed, 'rw'), now });
  const ro = addToken(demo, { label: 'Auditor (read-only)', rights: 'read', expiresAt: null, secret: demoSecret(ctx.seed, 'ro'), now });
  tenants.set(demo.id, demo);
  const sim: ScimSim = { ctx, tenants };
  return {
    services: { scim: createScimListener(sim) },
    admin: scimAdmin(sim),
    tenants,
    demo: { tenant: demo.id, displayName: demo.displayName, baseUrl: baseUrlOf(ctx, demo.id), token: rw.secret, readOnlyToken: ro.secret },
  };
}
