import type { ErrorDefinition } from '../definition.js';

/** Certification campaigns and reviews (src/campaigns/, issue 13). */
export const campaignErrors = {
  'campaigns.invalid_state': {
    title: 'Not possible in this state',
    cause: 'The campaign "{name}" is {status}; you can {action} only a campaign that is {allowed}.',
    resolution: 'Refresh the campaign: another admin, the deadline or the worker may have moved it on.',
    scope: 'request', kind: 'invalid_input', retry: 'never', http: 409,
  },
  'campaigns.justification_required': {
    title: 'A justification is required',
    cause: 'This campaign asks for a justification {when}, and none was given for {count} item(s).',
    resolution: 'Write why you decide as you do (a sentence is enough), then decide again.',
    scope: 'request', kind: 'invalid_input', retry: 'never', http: 400,
  },
  'campaigns.stage_closed': {
    title: 'The review stage is closed',
    cause: 'The stage of the campaign "{name}" this item belongs to has closed, so its decision can no longer change.',
    resolution: 'Ask the campaign owner: a closed stage keeps its decisions; the next campaign reviews the access again.',
    scope: 'request', kind: 'invalid_input', retry: 'never', http: 409,
  },
  'campaigns.reviewer_cannot_approve': {
    title: 'A reviewer cannot approve this apply',
    cause: 'You review items of the campaign "{name}": the circuit breaker\'s hold must be approved by an admin who is not one of its reviewers.',
    resolution: 'Ask another owner or admin to check the preview and approve the apply.',
    scope: 'request', kind: 'permission', retry: 'never', http: 403,
  },
  'campaigns.no_scope': {
    title: 'The scope has no access to review',
    cause: 'The connections and kinds of access chosen for "{name}" yield no items{detail}.',
    resolution: 'Choose other kinds of access or connections (each connection offers the kinds of its provider), relax the filters, or sync the directory connections first.',
    scope: 'request', kind: 'invalid_input', retry: 'never', http: 400,
  },
  'campaigns.did_not_stick': {
    title: 'The revocation did not stick',
    cause: 'Access of {account} to {resource} on {connection} was revoked on {revokedAt}, but {when} the access is there again: something re-adds it (an on-premises directory sync, a provisioning rule, a dynamic group, or someone by hand).',
    resolution: 'Find what grants it back (the source of authority for this account and group), change the rule there, then retry the item. The campaign stays open until the access is verified gone.',
    scope: 'item', kind: 'configuration', retry: 'never', http: 409,
  },
  'campaigns.write_back_missing': {
    title: 'Write-back not consented',
    cause: 'The connection {connection} has no write-back consent, so Syncwarden cannot remove {access} itself.',
    resolution: 'Remove it by hand following the steps shown and mark the item done, or consent to write-back on the connection (Connections > {connection} > Write-back) and retry.',
    scope: 'item', kind: 'configuration', retry: 'never', http: 409,
  },
  'campaigns.no_reviewer': {
    title: 'Not a reviewer of this campaign',
    cause: 'The user {user} cannot receive review items: {detail}.',
    resolution: 'Pick a signed-in Syncwarden user of this tenant (Settings > Users) who is not the person whose access is reviewed.',
    scope: 'request', kind: 'invalid_input', retry: 'never', http: 400,
  },
} as const satisfies Record<string, ErrorDefinition>;
