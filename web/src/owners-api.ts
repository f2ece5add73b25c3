import { call } from './api.js';
import type { Person } from './campaigns-api.js';

/** Owners set in Syncwarden for a directory connection's group or role (campaigns' owner reviewers). */
export interface ResourceOwners {
  connectionId: string; resourceId: string; resourceName: string; resourceType: string;
  owners: Person[];
  reported: { accountId: string; name: string }[];
}

const enc = encodeURIComponent;
const path = (connectionId: string, resourceId: string) => `/connections/${enc(connectionId)}/resources/${enc(resourceId)}/owners`;

export const ownersApi = {
  get: (connectionId: string, resourceId: string) => call<ResourceOwners>('GET', path(connectionId, resourceId)),
  set: (connectionId: string, resourceId: string, userIds: string[]) => call<ResourceOwners>('PUT', path(connectionId, resourceId), { userIds }),
};
