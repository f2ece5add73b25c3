import type { ActionSpec, Call } from './call.js';
import { credentialReportActions } from './credential-report.js';
import { evaluate } from './policy.js';
import { encodeDocument, markerAt, pageOf, pageOfArray, type PageResult } from './query.js';
import { groupArn, NAME_RE, type GroupRec, type PrincipalKind, userArn, type UserRec } from './records.js';
import { attachedXml, groupDetailXml, groupXml, policyDetailXml, policyXml, roleDetailXml, roleXml, userDetailXml, userXml } from './render.js';
import { callerArn } from './sim.js';
import { effectiveRole } from './trust.js';
import { AwsError, invalidInput, isoSeconds, members, noSuchEntity, validationError, type XmlNode, type XmlValue } from './xml.js';

/**
 * IAM actions (botocore iam/2010-05-08; providers.md §4.2). Every list honours MaxItems /
 * Marker / IsTruncated; missing entities answer NoSuchEntity 404 with IAM's wording.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_Operations.html
 */
const paged = (key: string, page: PageResult<XmlValue>): XmlNode => ({ [key]: members(page.items), IsTruncated: page.isTruncated, Marker: page.marker });

function nameParam(call: Call, param: string): string {
  const v = call.params.required(param);
  if (v.length > 128 || !NAME_RE.test(v)) throw validationError(`1 validation error detected: Value '${v}' at '${param.charAt(0).toLowerCase()}${param.slice(1)}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`);
  return v;
}

function user(call: Call, param = 'UserName') {
  const name = nameParam(call, param);
  const u = call.world.findUser(name);
  if (!u) throw noSuchEntity(`The user with name ${name} cannot be found.`);
  return u;
}

function group(call: Call) {
  const name = nameParam(call, 'GroupName');
  const g = call.world.findGroup(name);
  if (!g) throw noSuchEntity(`The group with name ${name} cannot be found.`);
  return g;
}

/** GetUser / ListAccessKeys without UserName act on the calling user; a role must name one. */
function userOrCaller(call: Call) {
  if (call.params.get('UserName') !== undefined) return user(call);
  if (call.caller.kind === 'user') return call.caller.user;
  throw validationError('Must specify userName when calling with non-User credentials');
}

function policyArnParam(call: Call): string {
  const arn = call.params.required('PolicyArn');
  if (!/^arn:aws:iam::(aws|\d{12}):policy\/.+/.test(arn)) throw invalidInput(`ARN ${arn} is not valid.`);
  return arn;
}

const acct = (call: Call): string => call.world.accountId;
const userResource = (call: Call): string => {
  const n = call.params.get('UserName');
  if (n === undefined) return call.caller.kind === 'user' ? call.caller.user.arn : `arn:aws:iam::${acct(call)}:user/`;
  return call.world.findUser(n)?.arn ?? userArn(acct(call), '/', n);
};
const groupResource = (call: Call): string => {
  const n = call.params.get('GroupName') ?? '';
  return call.world.findGroup(n)?.arn ?? groupArn(acct(call), '/', n);
};

function pathPrefixFilter<T extends { path: string }>(call: Call): (x: T | undefined) => T | undefined {
  const prefix = call.params.get('PathPrefix') ?? '/';
  return (x) => (x && x.path.startsWith(prefix) ? x : undefined);
}

function listAttached(call: Call, kind: PrincipalKind, name: string): XmlNode {
  const prefix = call.params.get('PathPrefix') ?? '/';
  const arns = call.world.attached(kind, name).filter((a) => (call.world.findPolicy(a)?.path ?? '/').startsWith(prefix));
  const page = pageOfArray(arns, call.params, `attached:${kind}:${name.toLowerCase()}`);
  return { AttachedPolicies: attachedXml(call.world, page.items), IsTruncated: page.isTruncated, Marker: page.marker };
}

function listInlineNames(call: Call, kind: PrincipalKind, name: string): XmlNode {
  const page = pageOfArray(call.world.inline(kind, name).map((p) => p.policyName), call.params, `inline:${kind}:${name.toLowerCase()}`);
  return paged('PolicyNames', page);
}

/**
 * aws.repeat_marker: the listing never advances. A page read with a Marker answers that same
 * Marker; a first page says IsTruncated with a Marker back to its own start.
 */
function repeatMarker<T>(call: Call, page: PageResult<T>, listing: string): PageResult<T> {
  if (!call.sim.fault('aws.repeat_marker')) return page;
  return { ...page, isTruncated: true, marker: call.params.get('Marker') ?? markerAt(listing, 0) };
}

/** GetAccountAuthorizationDetails: one Marker across users, groups, roles and policies, in that order. */
function accountAuthorizationDetails(call: Call): XmlNode {
  const w = call.world;
  const filter = call.params.list('Filter');
  const known = ['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'];
  for (const f of filter) if (!known.includes(f)) throw validationError(`1 validation error detected: Value '[${filter.join(', ')}]' at 'filter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [${known.join(', ')}]]`);
  const want = (f: string): boolean => filter.length === 0 || filter.includes(f);
  type Entry = { list: 'u' | 'g' | 'r' | 'p'; node: XmlNode };
  const sections: { n: number; at: (i: number) => Entry | undefined }[] = [];
  if (want('User')) sections.push({ n: w.userPositions(), at: (i) => { const u = w.userAtPosition(i); return u && { list: 'u', node: userDetailXml(w, u) }; } });
  if (want('Group')) sections.push({ n: w.groupPositions(), at: (i) => { const g = w.groupAtPosition(i); return g && { list: 'g', node: groupDetailXml(w, g) }; } });
  if (want('Role')) sections.push({ n: w.roles().length, at: (i) => { const r = w.roles()[i]; return r && { list: 'r', node: roleDetailXml(w, effectiveRole(call.sim, r)) }; } });
  const policies = w.policies();
  const wantLocal = want('LocalManagedPolicy');
  const wantAws = want('AWSManagedPolicy');
  if (wantLocal || wantAws) {
    sections.push({
      n: policies.length,
      at: (i) => {
        const p = policies[i]!;
        // Customer policies always; AWS-managed ones only while something uses them.
        if (p.awsManaged ? !wantAws || w.attachmentCount(p.arn) === 0 : !wantLocal) return undefined;
        const node = policyDetailXml(w, p) as Record<string, unknown>;
        // An IAM implementation that leaves out what the SDKs do not require (the name is in the ARN).
        if (call.sim.fault('aws.gaad_sparse')) {
          delete node['PolicyName'];
          delete node['PolicyId'];
        }
        return { list: 'p', node: node as XmlNode };
      },
    });
  }
  const total = sections.reduce((s, x) => s + x.n, 0);
  const at = (pos: number): Entry | undefined => {
    for (const s of sections) {
      if (pos < s.n) return s.at(pos);
      pos -= s.n;
    }
    return undefined;
  };
  const page = repeatMarker(call, pageOf(total, at, call.params, `gaad:${filter.join(',')}`), `gaad:${filter.join(',')}`);
  const pick = (l: Entry['list']): XmlNode => members(page.items.filter((e) => e.list === l).map((e) => e.node));
  return { UserDetailList: pick('u'), GroupDetailList: pick('g'), RoleDetailList: pick('r'), Policies: pick('p'), IsTruncated: page.isTruncated, Marker: page.marker };
}

function simulatePrincipalPolicy(call: Call): XmlNode {
  const source = call.params.required('PolicySourceArn');
  const actions = call.params.list('ActionNames');
  if (actions.length === 0) throw validationError("1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null");
  const resources = call.params.list('ResourceArns');
  const m = /^arn:aws:iam::(\d{12}):(user|group|role)(\/.*)?\/([\w+=,.@-]+)$/.exec(source);
  if (!m || m[1] !== call.world.accountId) throw invalidInput(`Invalid ARN: ${source}`);
  const kind = m[2] as PrincipalKind;
  const name = m[4]!;
  const exists = kind === 'user' ? call.world.findUser(name) : kind === 'group' ? call.world.findGroup(name) : call.world.findRole(name);
  if (!exists) throw noSuchEntity(`The ${kind} with name ${name} cannot be found.`);
  const docs = kind === 'group' ? [...call.world.attached('group', name).map((a) => call.world.findPolicy(a)?.document).filter((d): d is string => !!d), ...call.world.inline('group', name).map((p) => p.document)].map((d) => JSON.parse(d)) : call.sim.documentsOf(kind, name);
  const denied = call.sim.fault('aws.action_denied');
  const results = actions.flatMap((action) =>
    (resources.length ? resources : ['*']).map((resource) => {
      const decision = denied && String(denied.params['action'] ?? '').toLowerCase() === action.toLowerCase() ? 'implicitDeny' : evaluate(docs, action, resource);
      return { EvalActionName: action, EvalResourceName: resource, EvalDecision: decision, MatchedStatements: members([]), MissingContextValues: members([]) };
    }),
  );
  const page = pageOfArray(results, call.params, `simulate:${source}`);
  return { EvaluationResults: members(page.items), IsTruncated: page.isTruncated, Marker: page.marker };
}

export const iamActions: Readonly<Record<string, ActionSpec>> = {
  ...credentialReportActions,
  ListUsers: {
    permission: 'iam:ListUsers',
    resource: (c) => `arn:aws:iam::${acct(c)}:user${c.params.get('PathPrefix') ?? '/'}`,
    handler: (c) => {
      const f = pathPrefixFilter<UserRec>(c);
      return paged('Users', repeatMarker(c, pageOf(c.world.userPositions(), (i) => { const u = f(c.world.userAtPosition(i)); return u && userXml(u); }, c.params, `users:${c.params.get('PathPrefix') ?? '/'}`), `users:${c.params.get('PathPrefix') ?? '/'}`));
    },
  },
  GetUser: { permission: 'iam:GetUser', resource: userResource, handler: (c) => ({ User: userXml(userOrCaller(c)) }) },
  ListGroups: {
    permission: 'iam:ListGroups',
    resource: (c) => `arn:aws:iam::${acct(c)}:group${c.params.get('PathPrefix') ?? '/'}`,
    handler: (c) => {
      const f = pathPrefixFilter<GroupRec>(c);
      return paged('Groups', pageOf(c.world.groupPositions(), (i) => { const g = f(c.world.groupAtPosition(i)); return g && groupXml(g); }, c.params, `groups:${c.params.get('PathPrefix') ?? '/'}`));
    },
  },
  GetGroup: {
    permission: 'iam:GetGroup',
    resource: groupResource,
    handler: (c) => {
      const g = group(c);
      const page = pageOfArray(c.world.usersOfGroup(g.groupName), c.params, `groupusers:${g.groupName.toLowerCase()}`);
      return { Group: groupXml(g), Users: members(page.items.map(userXml)), IsTruncated: page.isTruncated, Marker: page.marker };
    },
  },
  ListGroupsForUser: {
    permission: 'iam:ListGroupsForUser',
    resource: userResource,
    handler: (c) => {
      const u = user(c);
      return paged('Groups', pageOfArray(c.world.groupsOfUser(u.userName).map(groupXml), c.params, `usergroups:${u.userName.toLowerCase()}`));
    },
  },
  ListAttachedUserPolicies: { permission: 'iam:ListAttachedUserPolicies', resource: userResource, handler: (c) => listAttached(c, 'user', user(c).userName) },
  ListUserPolicies: { permission: 'iam:ListUserPolicies', resource: userResource, handler: (c) => listInlineNames(c, 'user', user(c).userName) },
  GetUserPolicy: {
    permission: 'iam:GetUserPolicy',
    resource: userResource,
    handler: (c) => {
      const u = user(c);
      const name = nameParam(c, 'PolicyName');
      const p = c.world.inline('user', u.userName).find((x) => x.policyName === name);
      if (!p) throw noSuchEntity(`The user policy with name ${name} cannot be found.`);
      return { UserName: u.userName, PolicyName: p.policyName, PolicyDocument: encodeDocument(p.document) };
    },
  },
  ListAttachedGroupPolicies: { permission: 'iam:ListAttachedGroupPolicies', resource: groupResource, handler: (c) => listAttached(c, 'group', group(c).groupName) },
  ListGroupPolicies: { permission: 'iam:ListGroupPolicies', resource: groupResource, handler: (c) => listInlineNames(c, 'group', group(c).groupName) },
  ListPolicies: {
    permission: 'iam:ListPolicies',
    resource: (c) => `arn:aws:iam::${acct(c)}:policy${c.params.get('PathPrefix') ?? '/'}`,
    handler: (c) => {
      const scope = c.params.get('Scope') ?? 'All';
      if (!['All', 'AWS', 'Local'].includes(scope)) throw validationError(`1 validation error detected: Value '${scope}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]`);
      const onlyAttached = c.params.get('OnlyAttached') === 'true';
      const prefix = c.params.get('PathPrefix') ?? '/';
      const ps = c.world.policies().filter((p) => (scope === 'All' || (scope === 'AWS') === p.awsManaged) && p.path.startsWith(prefix) && (!onlyAttached || c.world.attachmentCount(p.arn) > 0));
      return paged('Policies', pageOfArray(ps.map((p) => policyXml(c.world, p)), c.params, `policies:${scope}:${onlyAttached}:${prefix}`));
    },
  },
  ListAccessKeys: {
    permission: 'iam:ListAccessKeys',
    resource: userResource,
    handler: (c) => {
      const u = userOrCaller(c);
      if (c.sim.fault('aws.caller_elsewhere') && u.userName === c.world.base.integration.userName) throw noSuchEntity(`The user with name ${u.userName} cannot be found.`);
      const keys = c.world.keysOf(u.userName).map((k) => ({ UserName: k.userName, AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: isoSeconds(k.createDateMs) }));
      return paged('AccessKeyMetadata', pageOfArray(keys, c.params, `keys:${u.userName.toLowerCase()}`));
    },
  },
  GetAccessKeyLastUsed: {
    permission: 'iam:GetAccessKeyLastUsed',
    resource: (c) => {
      const k = c.world.findKey(c.params.get('AccessKeyId') ?? '');
      return k ? (c.world.findUser(k.userName)?.arn ?? '*') : `arn:aws:iam::${acct(c)}:user/*`;
    },
    handler: (c) => {
      const id = c.params.required('AccessKeyId');
      const k = c.world.findKey(id);
      const elsewhere = c.sim.fault('aws.caller_elsewhere') && k?.userName === c.world.base.integration.userName;
      if (!k || elsewhere) throw noSuchEntity(`The Access Key with id ${id} cannot be found`);
      // Never used (tracking began 2015-04-22): ServiceName and Region are N/A and there is no date.
      const last = k.lastUsed ? { LastUsedDate: isoSeconds(k.lastUsed.dateMs), ServiceName: k.lastUsed.service, Region: k.lastUsed.region } : { ServiceName: 'N/A', Region: 'N/A' };
      return { UserName: k.userName, AccessKeyLastUsed: last };
    },
  },
  GetAccountAuthorizationDetails: { permission: 'iam:GetAccountAuthorizationDetails', resource: () => '*', handler: accountAuthorizationDetails },
  GetRole: {
    permission: 'iam:GetRole',
    resource: (c) => c.world.findRole(c.params.get('RoleName') ?? '')?.arn ?? `arn:aws:iam::${acct(c)}:role/${c.params.get('RoleName') ?? ''}`,
    handler: (c) => {
      const name = nameParam(c, 'RoleName');
      const r = c.world.findRole(name);
      if (!r) throw noSuchEntity(`The role with name ${name} cannot be found.`);
      return { Role: roleXml(effectiveRole(c.sim, r)) };
    },
  },
  SimulatePrincipalPolicy: { permission: 'iam:SimulatePrincipalPolicy', resource: (c) => c.params.get('PolicySourceArn') ?? '*', handler: simulatePrincipalPolicy },
  RemoveUserFromGroup: {
    permission: 'iam:RemoveUserFromGroup',
    resource: groupResource,
    handler: (c) => {
      const g = group(c);
      const u = user(c);
      if (!c.world.removeMembership(g.groupName, u.userName)) throw noSuchEntity(`The user with name ${u.userName} cannot be found in group ${g.groupName}.`);
      return null;
    },
  },
  DetachUserPolicy: {
    permission: 'iam:DetachUserPolicy',
    resource: userResource,
    handler: (c) => {
      const u = user(c);
      const arn = policyArnParam(c);
      if (!c.world.detach('user', u.userName, arn)) throw noSuchEntity(`Policy ${arn} was not found.`);
      return null;
    },
  },
  DetachGroupPolicy: {
    permission: 'iam:DetachGroupPolicy',
    resource: groupResource,
    handler: (c) => {
      const g = group(c);
      const arn = policyArnParam(c);
      if (!c.world.detach('group', g.groupName, arn)) throw noSuchEntity(`Policy ${arn} was not found.`);
      return null;
    },
  },
  DeleteUserPolicy: {
    permission: 'iam:DeleteUserPolicy',
    resource: userResource,
    handler: (c) => {
      const u = user(c);
      const name = nameParam(c, 'PolicyName');
      if (!c.world.deleteInline('user', u.userName, name)) throw noSuchEntity(`The user policy with name ${name} cannot be found.`);
      return null;
    },
  },
  DeleteGroupPolicy: {
    permission: 'iam:DeleteGroupPolicy',
    resource: groupResource,
    handler: (c) => {
      const g = group(c);
      const name = nameParam(c, 'PolicyName');
      if (!c.world.deleteInline('group', g.groupName, name)) throw noSuchEntity(`The group policy with name ${name} cannot be found.`);
      return null;
    },
  },
  UpdateAccessKey: {
    permission: 'iam:UpdateAccessKey',
    resource: (c) => {
      const n = c.params.get('UserName');
      if (n !== undefined) return userResource(c);
      const k = c.world.findKey(c.params.get('AccessKeyId') ?? '');
      return k ? (c.world.findUser(k.userName)?.arn ?? '*') : userResource(c);
    },
    handler: (c) => {
      const id = c.params.required('AccessKeyId');
      const status = c.params.required('Status');
      if (status !== 'Active' && status !== 'Inactive') throw validationError(`1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]`);
      // Without UserName IAM acts on the caller's own keys.
      const owner = userOrCaller(c);
      const k = c.world.findKey(id);
      if (!k || k.userName.toLowerCase() !== owner.userName.toLowerCase()) throw noSuchEntity(`The Access Key with id ${id} cannot be found`);
      c.world.patchKey(id, { status });
      return null;
    },
  },
};

/** AccessDenied as IAM words it (the message names caller, action and resource). */
export function accessDenied(call: Call, action: string, resource: string, explicit: boolean): AwsError {
  const reason = explicit ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${action} action`;
  return new AwsError(403, 'AccessDenied', `User: ${callerArn(call.world, call.caller)} is not authorized to perform: ${action} on resource: ${resource} ${reason}`);
}
