import type { RevokeTarget } from '../connectors/sdk/directory.js';
import type { ItemRow } from './store.js';

/** How one revocation is carried out: written back, or manual with the exact steps for the admin. */
export type Plan =
  | { readonly writeBack: true; readonly target: RevokeTarget }
  | { readonly writeBack: false; readonly reason: 'no_consent' | 'via_group' | 'rule_based' | 'unsupported'; readonly steps: string };

const MEMBERSHIP_KINDS = new Set(['group_membership', 'aws_group_membership', 'scim_group_membership']);

const CONSOLE: Record<string, string> = {
  microsoft365: 'the Microsoft Entra admin center (entra.microsoft.com)',
  google_workspace: 'the Google Admin console (admin.google.com)',
  aws_iam: 'the AWS IAM console (console.aws.amazon.com/iam)',
  scim: 'the app\'s own admin console',
};

function where(kind: string, connectionKind: string, resource: string, user: string): string {
  const console = CONSOLE[connectionKind] ?? 'the provider\'s admin console';
  switch (kind) {
    case 'group_membership':
      return connectionKind === 'google_workspace'
        ? `In ${console}, open Directory > Groups > "${resource}" > Members, select ${user} and choose Remove member.`
        : `In ${console}, open Groups > All groups > "${resource}" > Members, select ${user} and choose Remove.`;
    case 'directory_role':
      return `In ${console}, open Roles & admins > Roles & admins > "${resource}" > Assignments, select ${user} and choose Remove assignment.`;
    case 'app_role':
      return `In ${console}, open Enterprise applications, find the application of "${resource}" > Users and groups, select ${user} and choose Remove.`;
    case 'google_admin_role':
      return `In ${console}, open Account > Admin roles > "${resource}" > Admins, select ${user} and choose Unassign role.`;
    case 'aws_group_membership':
      return `In ${console}, open User groups > "${resource}" > Users, select ${user} and choose Remove users (or: aws iam remove-user-from-group --group-name "${resource}" --user-name "${user}").`;
    case 'aws_policy':
      return `In ${console}, open Users > "${user}" > Permissions, select the policy "${resource}" and choose Remove (an inline policy: Delete).`;
    case 'aws_access_key':
      return `In ${console}, open Users > "${user}" > Security credentials > Access keys, and choose Actions > Deactivate for the key ${resource}.`;
    case 'scim_group_membership':
      return `In ${console}, remove ${user} from the group "${resource}" (it was provisioned over SCIM: removing it in the source of the provisioning keeps it removed).`;
    default:
      return `In ${console}, remove ${user}'s access to "${resource}".`;
  }
}

export function planItem(item: Pick<ItemRow, 'kind' | 'resource_id' | 'resource_name' | 'account_id' | 'user_name' | 'via' | 'via_group_id' | 'chain_json'>, connection: { kind: string; writeBack: boolean; ruleBased: ReadonlySet<string>; groupName: (id: string) => string }): Plan {
  const user = item.user_name;
  if (item.via === 'group' && item.via_group_id) {
    const chain = JSON.parse(item.chain_json) as string[];
    const direct = connection.groupName(item.via_group_id);
    const steps = `${user} holds "${item.resource_name}" through the group "${direct}"${chain.length > 1 ? ` (${chain.join(' → ')})` : ''}: revoking it means removing ${user} from "${direct}", which also removes everything else that group gives. ` +
      `${where(MEMBERSHIP_KINDS.has(item.kind) ? item.kind : connection.kind === 'aws_iam' ? 'aws_group_membership' : connection.kind === 'scim' ? 'scim_group_membership' : 'group_membership', connection.kind, direct, user)} ` +
      `If other access of that group must stay, remove "${item.resource_name}" from the group instead only if no other member needs it. Then mark the item done.`;
    return { writeBack: false, reason: 'via_group', steps };
  }
  if (MEMBERSHIP_KINDS.has(item.kind) && connection.ruleBased.has(item.resource_id)) {
    return { writeBack: false, reason: 'rule_based', steps: `"${item.resource_name}" is a rule-based (dynamic) group: its members cannot be removed one by one (directory.group_rule_based). Change the attribute of ${user} that the group's membership rule matches, or change the rule, in the provider's console; the next sync verifies the removal. Then mark the item done.` };
  }
  if (!connection.writeBack) {
    return { writeBack: false, reason: 'no_consent', steps: `${where(item.kind, connection.kind, item.resource_name, user)} Then mark the item done; the next sync verifies it.` };
  }
  let target: RevokeTarget;
  if (MEMBERSHIP_KINDS.has(item.kind)) target = { type: 'membership', groupId: item.resource_id, memberId: item.account_id, memberType: 'account' };
  else if (item.kind === 'aws_access_key') target = { type: 'credential', credentialId: item.resource_id, accountId: item.account_id };
  else target = { type: 'grant', entitlementId: item.resource_id, principalId: item.account_id, principalType: 'account' };
  return { writeBack: true, target };
}

export function manualStepsFor(item: Parameters<typeof planItem>[0], connectionKind: string): string {
  return `${where(item.kind, connectionKind, item.resource_name, item.user_name)} Then mark the item done; the next sync verifies it.`;
}
