import { z } from 'zod';

/**
 * What we read from SCIM servers (RFC 7643 / 7644), validated with zod and tolerant of what
 * real servers send: Entra-style "True"/"False" strings, numbers as strings, nulls for
 * absent values, missing optional attributes, `Resources` left out when totalResults is 0.
 * Unknown attributes are dropped.
 */
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const SERVICE_PROVIDER_CONFIG = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export const boolish = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0']))
    .transform((s) => s === 'true' || s === '1'),
]);
const count = z.union([z.number().int().min(0), z.string().trim().regex(/^\d+$/).transform(Number)]);
const id = z.union([z.string().min(1), z.number().transform(String)]);
const text = z
  .union([z.string(), z.number().transform(String)])
  .nullish()
  .transform((v) => (v === undefined || v === null || v === '' ? null : v));

const email = z.object({ value: text, type: text, primary: boolish.nullish() });

export const scimUser = z.object({
  id,
  userName: z.string().min(1),
  externalId: text,
  displayName: text,
  name: z.object({ formatted: text, givenName: text, familyName: text }).nullish(),
  userType: text,
  title: text,
  active: boolish.nullish(),
  emails: z.array(email).nullish(),
  [ENTERPRISE_USER]: z
    .object({
      employeeNumber: text,
      department: text,
      costCenter: text,
      organization: text,
      division: text,
      // A manager is a complex value; some servers send the bare id.
      manager: z.union([z.object({ value: text }), z.string().transform((value) => ({ value }))]).nullish(),
    })
    .nullish(),
  meta: z.object({ created: text, lastModified: text }).nullish(),
});
export type ScimUser = z.infer<typeof scimUser>;

export const scimMember = z.object({ value: id, type: text, $ref: text, display: text });
export type ScimMember = z.infer<typeof scimMember>;

export const scimGroup = z.object({
  id,
  displayName: text,
  externalId: text,
  members: z.array(scimMember).nullish(),
  meta: z.object({ created: text, lastModified: text }).nullish(),
});
export type ScimGroup = z.infer<typeof scimGroup>;

/** A group read for its members only (GET /Groups/{id}?attributes=members). */
export const scimGroupMembers = z.object({ members: z.array(scimMember).nullish() });

export const listResponse = z
  .object({
    totalResults: count,
    startIndex: count.nullish(),
    itemsPerPage: count.nullish(),
    Resources: z.array(z.unknown()).nullish(),
    // Not RFC, but seen: a lower-case key.
    resources: z.array(z.unknown()).nullish(),
  })
  // The startIndex the server answered is kept: a server answering another page than the one
  // asked (or ignoring startIndex) is caught by the paging checker, not read as the next page.
  .transform((l) => ({ totalResults: l.totalResults, startIndex: l.startIndex ?? null, itemsPerPage: l.itemsPerPage ?? null, resources: l.Resources ?? l.resources ?? [] }));

export const serviceProviderConfig = z.object({
  schemas: z.array(z.string()).nullish(),
  patch: z.object({ supported: boolish }).nullish(),
});

/** An RFC 7644 §3.12 error body; `status` should be a string but some servers send a number. */
export const scimError = z.object({
  schemas: z.array(z.string()).nullish(),
  status: z.union([z.string(), z.number().transform(String)]).nullish(),
  scimType: text,
  detail: text,
});
export type ScimErrorBody = z.infer<typeof scimError>;
