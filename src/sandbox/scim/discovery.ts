import { allSchemas, extensionsOf } from './schema-defs.js';
import type { Json } from './store.js';
import { URN, type ResourceType } from './urns.js';

/**
 * Discovery endpoints (RFC 7644 §4, RFC 7643 §§5–7): /ServiceProviderConfig,
 * /ResourceTypes and /Schemas. The lists answer as ListResponse.
 */
const SEEDED = '2024-01-08T09:00:00.000Z';

export interface DiscoveryOptions {
  readonly base: string;
  readonly patchSupported: boolean;
  readonly maxResults: number;
}

export function serviceProviderConfig(o: DiscoveryOptions): Json {
  return {
    schemas: [URN.serviceProviderConfig],
    documentationUri: 'https://www.rfc-editor.org/rfc/rfc7644',
    patch: { supported: o.patchSupported },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: o.maxResults },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'Authentication with a long-lived bearer token issued in the app\'s admin console.',
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        documentationUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${o.base}/ServiceProviderConfig`, created: SEEDED, lastModified: SEEDED, version: `W/"${o.patchSupported ? 1 : 2}"` },
  };
}

const RESOURCE_TYPES: readonly ResourceType[] = ['User', 'Group'];

export function resourceType(base: string, rt: ResourceType): Json {
  return {
    schemas: [URN.resourceType],
    id: rt,
    name: rt,
    endpoint: `/${rt}s`,
    description: rt === 'User' ? 'User Account' : 'Group',
    schema: rt === 'User' ? URN.user : URN.group,
    ...(extensionsOf[rt].length ? { schemaExtensions: extensionsOf[rt].map((s) => ({ schema: s.id, required: false })) } : {}),
    meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/${rt}` },
  };
}

export function resourceTypeByName(name: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((r) => r.toLowerCase() === name.toLowerCase());
}

export function resourceTypes(base: string): Json {
  return listOf(RESOURCE_TYPES.map((rt) => resourceType(base, rt)));
}

export function schemaResource(base: string, id: string): Json | undefined {
  const s = allSchemas.find((x) => x.id.toLowerCase() === id.toLowerCase());
  if (!s) return undefined;
  return { schemas: [URN.schema], id: s.id, name: s.name, description: s.description, attributes: s.attributes, meta: { resourceType: 'Schema', location: `${base}/Schemas/${s.id}` } };
}

export function schemaList(base: string): Json {
  return listOf(allSchemas.map((s) => schemaResource(base, s.id)!));
}

function listOf(resources: Json[]): Json {
  return { schemas: [URN.listResponse], totalResults: resources.length, startIndex: 1, itemsPerPage: resources.length, Resources: resources };
}
