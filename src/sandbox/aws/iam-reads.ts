import type { ActionSpec, Call } from './call.js';
import { encodeDocument, pageOfArray } from './query.js';
import { NAME_RE } from './records.js';
import { attachedXml, policyXml, roleXml } from './render.js';
import { effectiveRole } from './trust.js';
import { AwsError, invalidInput, isoSeconds, members, noSuchEntity, validationError, type XmlNode } from './xml.js';

/**
 * IAM reads beyond the inventory's own calls — roles, managed policies and their versions,
 * role and group inline policies, a policy's entities, account aliases — so that no valid
 * IAM action the product (or an SDK user) may call answers InvalidAction, which real IAM
 * never does for an action it has (issue 10, finding 9).
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_Operations.html
 *
 * Every other action of IAM's API (`IAM_ACTIONS`) is checked against the caller's policies
 * like any call (AccessDenied, as IAM answers) and, when allowed, answers 501
 * NotImplemented naming the action: the sandbox does not simulate it, and says so instead of
 * claiming the action does not exist.
 */
const acct = (c: Call): string => c.world.accountId;

function roleNamed(c: Call) {
  const name = c.params.required('RoleName');
  if (!NAME_RE.test(name)) throw validationError(`1 validation error detected: Value '${name}' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`);
  const r = c.world.findRole(name);
  if (!r) throw noSuchEntity(`The role with name ${name} cannot be found.`);
  return r;
}

function policyNamed(c: Call) {
  const arn = c.params.required('PolicyArn');
  if (!/^arn:aws:iam::(\d{12}|aws):policy\//.test(arn)) throw invalidInput(`ARN ${arn} is not valid.`);
  const p = c.world.findPolicy(arn);
  if (!p) throw noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
  return p;
}

const roleResource = (c: Call): string => c.world.findRole(c.params.get('RoleName') ?? '')?.arn ?? `arn:aws:iam::${acct(c)}:role/${c.params.get('RoleName') ?? ''}`;
const policyResource = (c: Call): string => c.params.get('PolicyArn') ?? '*';
const groupResource = (c: Call): string => c.world.findGroup(c.params.get('GroupName') ?? '')?.arn ?? `arn:aws:iam::${acct(c)}:group/${c.params.get('GroupName') ?? ''}`;

export const iamReadActions: Readonly<Record<string, ActionSpec>> = {
  ListRoles: {
    permission: 'iam:ListRoles',
    resource: (c) => `arn:aws:iam::${acct(c)}:role${c.params.get('PathPrefix') ?? '/'}`,
    handler: (c) => {
      const prefix = c.params.get('PathPrefix') ?? '/';
      const roles = c.world.roles().filter((r) => r.path.startsWith(prefix)).map((r) => roleXml(effectiveRole(c.sim, r)));
      const page = pageOfArray(roles, c.params, `roles:${prefix}`);
      return { Roles: members(page.items), IsTruncated: page.isTruncated, Marker: page.marker };
    },
  },
  ListAttachedRolePolicies: {
    permission: 'iam:ListAttachedRolePolicies',
    resource: roleResource,
    handler: (c) => {
      const r = roleNamed(c);
      const page = pageOfArray(c.world.attached('role', r.roleName), c.params, `attached:role:${r.roleName.toLowerCase()}`);
      return { AttachedPolicies: attachedXml(c.world, page.items), IsTruncated: page.isTruncated, Marker: page.marker };
    },
  },
  ListRolePolicies: {
    permission: 'iam:ListRolePolicies',
    resource: roleResource,
    handler: (c) => {
      const r = roleNamed(c);
      const page = pageOfArray(c.world.inline('role', r.roleName).map((p) => p.policyName), c.params, `inline:role:${r.roleName.toLowerCase()}`);
      return { PolicyNames: members(page.items), IsTruncated: page.isTruncated, Marker: page.marker };
    },
  },
  GetRolePolicy: {
    permission: 'iam:GetRolePolicy',
    resource: roleResource,
    handler: (c) => {
      const r = roleNamed(c);
      const name = c.params.required('PolicyName');
      const p = c.world.inline('role', r.roleName).find((x) => x.policyName === name);
      if (!p) throw noSuchEntity(`The role policy with name ${name} cannot be found.`);
      return { RoleName: r.roleName, PolicyName: p.policyName, PolicyDocument: encodeDocument(p.document) };
    },
  },
  GetGroupPolicy: {
    permission: 'iam:GetGroupPolicy',
    resource: groupResource,
    handler: (c) => {
      const groupName = c.params.required('GroupName');
      const g = c.world.findGroup(groupName);
      if (!g) throw noSuchEntity(`The group with name ${groupName} cannot be found.`);
      const name = c.params.required('PolicyName');
      const p = c.world.inline('group', g.groupName).find((x) => x.policyName === name);
      if (!p) throw noSuchEntity(`The group policy with name ${name} cannot be found.`);
      return { GroupName: g.groupName, PolicyName: p.policyName, PolicyDocument: encodeDocument(p.document) };
    },
  },
  GetPolicy: { permission: 'iam:GetPolicy', resource: policyResource, handler: (c) => ({ Policy: { ...policyXml(c.world, policyNamed(c)), Description: policyNamed(c).description || undefined } }) },
  GetPolicyVersion: {
    permission: 'iam:GetPolicyVersion',
    resource: policyResource,
    handler: (c) => {
      const p = policyNamed(c);
      const v = c.params.required('VersionId');
      // The simulator keeps one version per policy, v1, the default.
      if (v !== 'v1') throw noSuchEntity(`Policy ${p.arn} version ${v} does not exist or is not attachable.`);
      return { PolicyVersion: { Document: encodeDocument(p.document), VersionId: 'v1', IsDefaultVersion: true, CreateDate: isoSeconds(p.updateDateMs) } };
    },
  },
  ListPolicyVersions: {
    permission: 'iam:ListPolicyVersions',
    resource: policyResource,
    handler: (c) => {
      const p = policyNamed(c);
      return { Versions: members([{ VersionId: 'v1', IsDefaultVersion: true, CreateDate: isoSeconds(p.updateDateMs) }]), IsTruncated: false };
    },
  },
  ListEntitiesForPolicy: {
    permission: 'iam:ListEntitiesForPolicy',
    resource: policyResource,
    handler: (c) => {
      const p = policyNamed(c);
      const filter = c.params.get('EntityFilter');
      const want = (k: string): boolean => !filter || filter === k;
      const users: XmlNode[] = [];
      if (want('User')) {
        for (let i = 0; i < c.world.userPositions(); i++) {
          const u = c.world.userAtPosition(i);
          if (u && c.world.attached('user', u.userName).includes(p.arn)) users.push({ UserName: u.userName, UserId: u.userId });
        }
      }
      const groups: XmlNode[] = [];
      if (want('Group')) {
        for (let i = 0; i < c.world.groupPositions(); i++) {
          const g = c.world.groupAtPosition(i);
          if (g && c.world.attached('group', g.groupName).includes(p.arn)) groups.push({ GroupName: g.groupName, GroupId: g.groupId });
        }
      }
      const roles = want('Role') ? c.world.roles().filter((r) => c.world.attached('role', r.roleName).includes(p.arn)).map((r) => ({ RoleName: r.roleName, RoleId: r.roleId })) : [];
      return { PolicyGroups: members(groups), PolicyUsers: members(users), PolicyRoles: members(roles), IsTruncated: false };
    },
  },
  ListAccountAliases: { permission: 'iam:ListAccountAliases', resource: () => '*', handler: () => ({ AccountAliases: members([]), IsTruncated: false }) },
};

/**
 * IAM's API operations (API Reference, "Actions"), for telling a valid action the sandbox does
 * not simulate (501 NotImplemented) from one IAM does not have (400 InvalidAction).
 */
export const IAM_ACTIONS: ReadonlySet<string> = new Set([
  'AddClientIDToOpenIDConnectProvider', 'AddRoleToInstanceProfile', 'AddUserToGroup', 'AttachGroupPolicy', 'AttachRolePolicy', 'AttachUserPolicy',
  'ChangePassword', 'CreateAccessKey', 'CreateAccountAlias', 'CreateGroup', 'CreateInstanceProfile', 'CreateLoginProfile', 'CreateOpenIDConnectProvider',
  'CreatePolicy', 'CreatePolicyVersion', 'CreateRole', 'CreateSAMLProvider', 'CreateServiceLinkedRole', 'CreateServiceSpecificCredential', 'CreateUser',
  'CreateVirtualMFADevice', 'DeactivateMFADevice', 'DeleteAccessKey', 'DeleteAccountAlias', 'DeleteAccountPasswordPolicy', 'DeleteGroup', 'DeleteGroupPolicy',
  'DeleteInstanceProfile', 'DeleteLoginProfile', 'DeleteOpenIDConnectProvider', 'DeletePolicy', 'DeletePolicyVersion', 'DeleteRole',
  'DeleteRolePermissionsBoundary', 'DeleteRolePolicy', 'DeleteSAMLProvider', 'DeleteServerCertificate', 'DeleteServiceLinkedRole',
  'DeleteServiceSpecificCredential', 'DeleteSigningCertificate', 'DeleteSSHPublicKey', 'DeleteUser', 'DeleteUserPermissionsBoundary', 'DeleteUserPolicy',
  'DeleteVirtualMFADevice', 'DetachGroupPolicy', 'DetachRolePolicy', 'DetachUserPolicy', 'EnableMFADevice', 'GenerateCredentialReport',
  'GenerateOrganizationsAccessReport', 'GenerateServiceLastAccessedDetails', 'GetAccessKeyLastUsed', 'GetAccountAuthorizationDetails',
  'GetAccountPasswordPolicy', 'GetAccountSummary', 'GetContextKeysForCustomPolicy', 'GetContextKeysForPrincipalPolicy', 'GetCredentialReport', 'GetGroup',
  'GetGroupPolicy', 'GetInstanceProfile', 'GetLoginProfile', 'GetMFADevice', 'GetOpenIDConnectProvider', 'GetOrganizationsAccessReport', 'GetPolicy',
  'GetPolicyVersion', 'GetRole', 'GetRolePolicy', 'GetSAMLProvider', 'GetServerCertificate', 'GetServiceLastAccessedDetails',
  'GetServiceLastAccessedDetailsWithEntities', 'GetServiceLinkedRoleDeletionStatus', 'GetSSHPublicKey', 'GetUser', 'GetUserPolicy', 'ListAccessKeys',
  'ListAccountAliases', 'ListAttachedGroupPolicies', 'ListAttachedRolePolicies', 'ListAttachedUserPolicies', 'ListEntitiesForPolicy', 'ListGroupPolicies',
  'ListGroups', 'ListGroupsForUser', 'ListInstanceProfiles', 'ListInstanceProfilesForRole', 'ListInstanceProfileTags', 'ListMFADevices', 'ListMFADeviceTags',
  'ListOpenIDConnectProviders', 'ListOpenIDConnectProviderTags', 'ListPolicies', 'ListPoliciesGrantingServiceAccess', 'ListPolicyTags', 'ListPolicyVersions',
  'ListRolePolicies', 'ListRoles', 'ListRoleTags', 'ListSAMLProviders', 'ListSAMLProviderTags', 'ListServerCertificates', 'ListServerCertificateTags',
  'ListServiceSpecificCredentials', 'ListSigningCertificates', 'ListSSHPublicKeys', 'ListUserPolicies', 'ListUsers', 'ListUserTags', 'ListVirtualMFADevices',
  'PutGroupPolicy', 'PutRolePermissionsBoundary', 'PutRolePolicy', 'PutUserPermissionsBoundary', 'PutUserPolicy', 'RemoveClientIDFromOpenIDConnectProvider',
  'RemoveRoleFromInstanceProfile', 'RemoveUserFromGroup', 'ResetServiceSpecificCredential', 'ResyncMFADevice', 'SetDefaultPolicyVersion',
  'SetSecurityTokenServicePreferencesVersion', 'SimulateCustomPolicy', 'SimulatePrincipalPolicy', 'TagInstanceProfile', 'TagMFADevice',
  'TagOpenIDConnectProvider', 'TagPolicy', 'TagRole', 'TagSAMLProvider', 'TagServerCertificate', 'TagUser', 'UntagInstanceProfile', 'UntagMFADevice',
  'UntagOpenIDConnectProvider', 'UntagPolicy', 'UntagRole', 'UntagSAMLProvider', 'UntagServerCertificate', 'UntagUser', 'UpdateAccessKey',
  'UpdateAccountPasswordPolicy', 'UpdateAssumeRolePolicy', 'UpdateGroup', 'UpdateLoginProfile', 'UpdateOpenIDConnectProviderThumbprint', 'UpdateRole',
  'UpdateRoleDescription', 'UpdateSAMLProvider', 'UpdateServerCertificate', 'UpdateServiceSpecificCredential', 'UpdateSigningCertificate',
  'UpdateSSHPublicKey', 'UpdateUser', 'UploadServerCertificate', 'UploadSigningCertificate', 'UploadSSHPublicKey',
]);

/** The IAM service's actions: the simulated ones, then every other valid action as not simulated. */
export function withEveryIamAction(simulated: Readonly<Record<string, ActionSpec>>): Readonly<Record<string, ActionSpec>> {
  return { ...Object.fromEntries([...IAM_ACTIONS].map((a) => [a, notSimulated(a)])), ...iamReadActions, ...simulated };
}

/** An action IAM has that the sandbox does not simulate: allowed by policy, then 501 naming it. */
export function notSimulated(action: string): ActionSpec {
  return {
    permission: `iam:${action}`,
    resource: () => '*',
    handler: () => {
      throw new AwsError(501, 'NotImplemented', `The Syncwarden sandbox does not simulate ${action}; real IAM serves it.`, 'Receiver');
    },
  };
}
