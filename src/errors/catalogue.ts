/**
 * The error catalogue: every failure an admin can see, as a code `area.reason` with a title,
 * cause and resolution written for an admin. The first entries are the rows of the
 * troubleshooting tables in the product's help articles (../shared/seeds/).
 *
 * We store code + params and render late (see render.ts), so wording can improve without
 * rewriting history. Retry, log level, run status and HTTP status are exhaustive switches
 * on `kind` and `retry` (see policy.ts) — never on message text.
 */

import type { ErrorDefinition } from './definition.js';
import { m365Errors } from './catalogue/m365.js';
import { googleErrors } from './catalogue/google.js';
import { syncErrors } from './catalogue/sync.js';
import { itemErrors } from './catalogue/item.js';
import { platformErrors } from './catalogue/platform.js';
import { directoryErrors } from './catalogue/directory.js';
import { awsErrors } from './catalogue/aws.js';
import { scimErrors } from './catalogue/scim.js';
import { connectionErrors } from './catalogue/connections.js';
import { failoverErrors } from './catalogue/failover.js';
import { keyErrors } from './catalogue/keys.js';
import { auditErrors } from './catalogue/audit.js';
import { authErrors } from './catalogue/auth.js';
import { tenantErrors } from './catalogue/tenants.js';
import { campaignErrors } from './catalogue/campaigns.js';

export type { ErrorScope, RetryRule, ErrorKind, ErrorDefinition } from './definition.js';

/**
 * One section file per area under catalogue/ (so areas grow without touching each other);
 * codes must be unique across sections, which catalogue.test.ts checks.
 */
export const catalogue = {
  ...m365Errors,
  ...googleErrors,
  ...syncErrors,
  ...itemErrors,
  ...platformErrors,
  ...directoryErrors,
  ...awsErrors,
  ...scimErrors,
  ...connectionErrors,
  ...failoverErrors,
  ...keyErrors,
  ...auditErrors,
  ...authErrors,
  ...tenantErrors,
  ...campaignErrors,
} as const satisfies Record<string, ErrorDefinition>;

/** Every section, for the uniqueness check. */
export const catalogueSections = [m365Errors, googleErrors, syncErrors, itemErrors, platformErrors, directoryErrors, awsErrors, scimErrors, connectionErrors, failoverErrors, keyErrors, auditErrors, authErrors, tenantErrors, campaignErrors] as const;

export type ErrorCode = keyof typeof catalogue;

export const errorCodes = Object.keys(catalogue) as ErrorCode[];

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(catalogue, code);
}

export function definitionOf(code: ErrorCode): ErrorDefinition {
  return catalogue[code];
}
