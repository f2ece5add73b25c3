import type { ErrorDefinition } from '../definition.js';

/** Several organisations in one installation (issue 12, point 4). (Tenants) */
export const tenantErrors = {
  'tenant.not_found': {
    title: 'Organisation not found',
    cause: 'There is no organisation (tenant) "{id}" that you belong to.',
    resolution: 'Pick one of your organisations in the account menu (or `syncwarden tenants list`); an owner of the other organisation has to add you to it first.',
    scope: 'request', kind: 'not_found', retry: 'never', http: 404,
  },
  'tenant.exists': {
    title: 'Organisation id already taken',
    cause: 'An organisation with the id "{id}" already exists in this installation.',
    resolution: 'Choose another id (lower-case letters, digits and dashes); the name shown to people can be the same.',
    scope: 'request', kind: 'invalid_input', retry: 'never', http: 409,
  },
  'tenant.choose': {
    title: 'Choose an organisation',
    cause: 'You belong to several organisations and none was used last, so Syncwarden cannot tell which one to open.',
    resolution: 'Fill in the Organisation field of the sign-in form with its id (your owner can tell you), then sign in again.',
    scope: 'request', kind: 'invalid_input', retry: 'never', http: 400,
  },
  'tenant.user_shared': {
    title: 'Person belongs to other organisations too',
    cause: '{email} also belongs to other organisations of this installation, so their account (password, sign-in link, name, disabling) cannot be changed from this one.',
    resolution: 'Change their role here, or take them out of this organisation by giving the change to the operator of the installation (`syncwarden users …` on the server), who may act on the account itself.',
    scope: 'request', kind: 'permission', retry: 'never', http: 409,
  },
  'tenant.token_switch': {
    title: 'API tokens stay in their organisation',
    cause: 'An API token belongs to the organisation it was made in; it cannot switch to another.',
    resolution: 'Make a token in the other organisation (switch to it in the browser, then API tokens), or sign in with a session.',
    scope: 'request', kind: 'invalid_input', retry: 'never', http: 400,
  },
} as const satisfies Record<string, ErrorDefinition>;
