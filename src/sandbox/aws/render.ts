import type { ManagedPolicy } from './policy.js';
import { encodeDocument } from './query.js';
import type { GroupRec, InlinePolicy, RoleRec, UserRec } from './records.js';
import type { AccountWorld } from './world.js';
import { isoSeconds, members, type XmlNode } from './xml.js';

/** IAM's XML shapes (botocore iam/2010-05-08 model: User, Group, UserDetail, …). */
export function userXml(u: UserRec): XmlNode {
  return { Path: u.path, UserName: u.userName, UserId: u.userId, Arn: u.arn, CreateDate: isoSeconds(u.createDateMs), PasswordLastUsed: u.passwordLastUsedMs === null ? undefined : isoSeconds(u.passwordLastUsedMs) };
}

export function groupXml(g: GroupRec): XmlNode {
  return { Path: g.path, GroupName: g.groupName, GroupId: g.groupId, Arn: g.arn, CreateDate: isoSeconds(g.createDateMs) };
}

export function attachedXml(world: AccountWorld, arns: readonly string[]): XmlNode {
  return members(arns.map((arn) => ({ PolicyName: world.findPolicy(arn)?.policyName ?? arn.split('/').pop(), PolicyArn: arn })));
}

const inlineXml = (ps: readonly InlinePolicy[]): XmlNode => members(ps.map((p) => ({ PolicyName: p.policyName, PolicyDocument: encodeDocument(p.document) })));

export function userDetailXml(world: AccountWorld, u: UserRec): XmlNode {
  return {
    Path: u.path,
    UserName: u.userName,
    UserId: u.userId,
    Arn: u.arn,
    CreateDate: isoSeconds(u.createDateMs),
    UserPolicyList: inlineXml(world.inline('user', u.userName)),
    GroupList: members(world.groupsOfUser(u.userName).map((g) => g.groupName)),
    AttachedManagedPolicies: attachedXml(world, world.attached('user', u.userName)),
    Tags: members([]),
  };
}

export function groupDetailXml(world: AccountWorld, g: GroupRec): XmlNode {
  return {
    Path: g.path,
    GroupName: g.groupName,
    GroupId: g.groupId,
    Arn: g.arn,
    CreateDate: isoSeconds(g.createDateMs),
    GroupPolicyList: inlineXml(world.inline('group', g.groupName)),
    AttachedManagedPolicies: attachedXml(world, world.attached('group', g.groupName)),
  };
}

export function roleDetailXml(world: AccountWorld, r: RoleRec): XmlNode {
  return {
    Path: r.path,
    RoleName: r.roleName,
    RoleId: r.roleId,
    Arn: r.arn,
    CreateDate: isoSeconds(r.createDateMs),
    AssumeRolePolicyDocument: encodeDocument(r.trustDocument),
    InstanceProfileList: members([]),
    RolePolicyList: inlineXml(world.inline('role', r.roleName)),
    AttachedManagedPolicies: attachedXml(world, world.attached('role', r.roleName)),
    Tags: members([]),
    RoleLastUsed: {},
  };
}

export function roleXml(r: RoleRec): XmlNode {
  return { Path: r.path, RoleName: r.roleName, RoleId: r.roleId, Arn: r.arn, CreateDate: isoSeconds(r.createDateMs), AssumeRolePolicyDocument: encodeDocument(r.trustDocument), Description: r.description || undefined, MaxSessionDuration: r.maxSessionDuration };
}

export function policyXml(world: AccountWorld, p: ManagedPolicy): XmlNode {
  return { PolicyName: p.policyName, PolicyId: p.policyId, Arn: p.arn, Path: p.path, DefaultVersionId: 'v1', AttachmentCount: world.attachmentCount(p.arn), PermissionsBoundaryUsageCount: 0, IsAttachable: true, CreateDate: isoSeconds(p.createDateMs), UpdateDate: isoSeconds(p.updateDateMs) };
}

export function policyDetailXml(world: AccountWorld, p: ManagedPolicy): XmlNode {
  return {
    PolicyName: p.policyName,
    PolicyId: p.policyId,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: 'v1',
    AttachmentCount: world.attachmentCount(p.arn),
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    Description: p.description,
    CreateDate: isoSeconds(p.createDateMs),
    UpdateDate: isoSeconds(p.updateDateMs),
    PolicyVersionList: members([{ Document: encodeDocument(p.document), VersionId: 'v1', IsDefaultVersion: true, CreateDate: isoSeconds(p.updateDateMs) }]),
  };
}
