import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readBody, requestUrl, sendJson } from '../http.js';
import { awsFaultNames } from './fault-names.js';
import { DEMO_SIZE, LARGE_SIZE, type SizeSpec } from './generate.js';
import { NAME_RE, PATH_RE, type GroupRec, type UserRec } from './records.js';
import { newStats, type AwsSim } from './sim.js';
import { isoSeconds } from './xml.js';

/**
 * The AWS part of the sandbox admin API (under /aws/ on the admin origin): inspect the
 * account, change it the way an admin would in the IAM console (for incremental-sync tests),
 * pick the account's size, tune the request quota, and list or clear the active AWS faults.
 */
const name = z.string().min(1).max(128).regex(NAME_RE);
const path = z.string().regex(PATH_RE).default('/');
const kind = z.enum(['user', 'group', 'role']);
const schemas = {
  user: z.object({ userName: name, path }),
  group: z.object({ groupName: name, path }),
  membership: z.object({ groupName: name, userName: name }),
  attachment: z.object({ kind, name, policyArn: z.string().min(20) }),
  inline: z.object({ kind, name, policyName: name, document: z.string().optional() }),
  key: z.object({ userName: name }),
  keyPatch: z.object({ status: z.enum(['Active', 'Inactive']).optional(), createDate: z.iso.datetime().optional() }),
  size: z.object({ size: z.enum(['demo', 'large']), users: z.number().int().min(0).max(1_000_000).optional(), groups: z.number().int().min(0).max(100_000).optional(), memberships: z.number().int().min(0).max(20_000_000).optional() }),
  throttle: z.object({ enabled: z.boolean(), ratePerSecond: z.number().positive(), burst: z.number().int().positive(), writeRatePerSecond: z.number().positive(), writeBurst: z.number().int().positive() }).partial(),
};

export function awsAdmin(sim: AwsSim) {
  return async (req: IncomingMessage, res: ServerResponse, p: string): Promise<boolean> => {
    if (p !== '/aws' && !p.startsWith('/aws/')) return false;
    const method = req.method ?? 'GET';
    const url = requestUrl(req);
    const w = (): typeof sim.world => sim.world;
    const ok = (status: number, body: unknown): true => (sendJson(res, status, body), true);
    const bad = (message: string): true => ok(400, { error: message });
    async function body<T>(schema: z.ZodType<T>): Promise<T | undefined> {
      let raw: unknown;
      try {
        const text = (await readBody(req, 1 << 20)).toString('utf8');
        raw = text ? JSON.parse(text) : Object.fromEntries(url.searchParams);
      } catch {
        raw = undefined;
      }
      const r = schema.safeParse(raw);
      if (!r.success) {
        bad(r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
        return undefined;
      }
      return r.data;
    }
    const userView = (u: UserRec) => ({
      userName: u.userName,
      userId: u.userId,
      arn: u.arn,
      path: u.path,
      createDate: isoSeconds(u.createDateMs),
      passwordLastUsed: u.passwordLastUsedMs === null ? null : isoSeconds(u.passwordLastUsedMs),
      groups: w().groupsOfUser(u.userName).map((g) => g.groupName),
      attachedPolicies: w().attached('user', u.userName),
      inlinePolicies: w().inline('user', u.userName).map((x) => x.policyName),
      accessKeys: w().keysOf(u.userName).map((k) => ({ accessKeyId: k.accessKeyId, status: k.status, createDate: isoSeconds(k.createDateMs), lastUsed: k.lastUsed && { date: isoSeconds(k.lastUsed.dateMs), service: k.lastUsed.service, region: k.lastUsed.region } })),
    });
    const groupView = (g: GroupRec) => ({
      groupName: g.groupName,
      groupId: g.groupId,
      arn: g.arn,
      path: g.path,
      createDate: isoSeconds(g.createDateMs),
      members: w().usersOfGroup(g.groupName).map((u) => u.userName),
      attachedPolicies: w().attached('group', g.groupName),
      inlinePolicies: w().inline('group', g.groupName).map((x) => x.policyName),
    });
    /** Admin listings page by position: ?offset=&limit= (≤ 1000); `next` is the following offset. */
    function listing<T, V>(n: number, at: (i: number) => T | undefined, view: (x: T) => V): true {
      const offset = Math.max(0, Number(url.searchParams.get('offset') ?? 0) || 0);
      const limit = Math.min(1000, Math.max(1, Number(url.searchParams.get('limit') ?? 1000) || 1000));
      const items: V[] = [];
      let i = offset;
      for (; i < n && items.length < limit; i++) {
        const x = at(i);
        if (x !== undefined) items.push(view(x));
      }
      return ok(200, { items, next: i < n ? i : null });
    }
    const seg = p.split('/').slice(2).map(decodeURIComponent);

    if (p === '/aws' || p === '/aws/') {
      const b = w().base;
      return ok(200, {
        accountId: w().accountId,
        size: b.spec,
        positions: { users: w().userPositions(), groups: w().groupPositions() },
        integration: { userName: b.integration.userName, accessKeyId: b.integration.accessKeyId, roleArn: b.integration.roleArn, externalId: b.integration.externalId },
        throttle: sim.throttle,
        faults: awsFaultNames,
      });
    }
    if (seg[0] === 'users') {
      if (method === 'GET' && seg.length === 1) return listing(w().userPositions(), (i) => w().userAtPosition(i), userView);
      if (method === 'GET' && seg.length === 2) {
        const u = w().findUser(seg[1]!);
        return u ? ok(200, userView(u)) : ok(404, { error: `no IAM user ${seg[1]}` });
      }
      if (method === 'POST' && seg.length === 1) {
        const b = await body(schemas.user);
        if (!b) return true;
        if (w().findUser(b.userName)) return ok(409, { error: `user ${b.userName} exists` });
        return ok(201, userView(w().addUser(b.userName, b.path, sim.ctx.now())));
      }
      if (method === 'DELETE' && seg.length === 2) return w().removeUser(seg[1]!) ? ok(200, { removed: seg[1] }) : ok(404, { error: `no IAM user ${seg[1]}` });
    }
    if (seg[0] === 'groups') {
      if (method === 'GET' && seg.length === 1) return listing(w().groupPositions(), (i) => w().groupAtPosition(i), groupView);
      if (method === 'GET' && seg.length === 2) {
        const g = w().findGroup(seg[1]!);
        return g ? ok(200, groupView(g)) : ok(404, { error: `no IAM group ${seg[1]}` });
      }
      if (method === 'POST' && seg.length === 1) {
        const b = await body(schemas.group);
        if (!b) return true;
        if (w().findGroup(b.groupName)) return ok(409, { error: `group ${b.groupName} exists` });
        return ok(201, groupView(w().addGroup(b.groupName, b.path, sim.ctx.now())));
      }
      if (method === 'DELETE' && seg.length === 2) return w().removeGroup(seg[1]!) ? ok(200, { removed: seg[1] }) : ok(404, { error: `no IAM group ${seg[1]}` });
    }
    if (p === '/aws/memberships' && (method === 'POST' || method === 'DELETE')) {
      const b = await body(schemas.membership);
      if (!b) return true;
      if (!w().findGroup(b.groupName) || !w().findUser(b.userName)) return ok(404, { error: 'no such user or group' });
      if (method === 'POST') {
        w().addMembership(b.groupName, b.userName);
        return ok(200, { member: true });
      }
      return ok(200, { removed: w().removeMembership(b.groupName, b.userName) });
    }
    if (p === '/aws/attachments' && (method === 'POST' || method === 'DELETE')) {
      const b = await body(schemas.attachment);
      if (!b) return true;
      if (!w().findPolicy(b.policyArn)) return ok(404, { error: `no managed policy ${b.policyArn}` });
      if (!principalExists(b.kind, b.name)) return ok(404, { error: `no IAM ${b.kind} ${b.name}` });
      if (method === 'POST') {
        w().attach(b.kind, b.name, b.policyArn);
        return ok(200, { attached: w().attached(b.kind, b.name) });
      }
      return ok(200, { removed: w().detach(b.kind, b.name, b.policyArn), attached: w().attached(b.kind, b.name) });
    }
    if (p === '/aws/inline-policies' && (method === 'POST' || method === 'DELETE')) {
      const b = await body(schemas.inline);
      if (!b) return true;
      if (!principalExists(b.kind, b.name)) return ok(404, { error: `no IAM ${b.kind} ${b.name}` });
      if (method === 'POST') {
        if (!b.document) return bad('document: required');
        try {
          JSON.parse(b.document);
        } catch {
          return bad('document: not JSON');
        }
        w().putInline(b.kind, b.name, { policyName: b.policyName, document: b.document });
        return ok(200, { inline: w().inline(b.kind, b.name).map((x) => x.policyName) });
      }
      return ok(200, { removed: w().deleteInline(b.kind, b.name, b.policyName) });
    }
    if (seg[0] === 'keys') {
      if (method === 'POST' && seg.length === 1) {
        const b = await body(schemas.key);
        if (!b) return true;
        if (!w().findUser(b.userName)) return ok(404, { error: `no IAM user ${b.userName}` });
        const k = w().addKey(b.userName, sim.ctx.now());
        return ok(201, { accessKeyId: k.accessKeyId, secretAccessKey: k.secret, userName: k.userName });
      }
      if (method === 'PATCH' && seg.length === 2) {
        const b = await body(schemas.keyPatch);
        if (!b) return true;
        const k = w().patchKey(seg[1]!, { ...(b.status ? { status: b.status } : {}), ...(b.createDate ? { createDateMs: Date.parse(b.createDate) } : {}) });
        return k ? ok(200, { accessKeyId: k.accessKeyId, status: k.status, createDate: isoSeconds(k.createDateMs) }) : ok(404, { error: `no access key ${seg[1]}` });
      }
    }
    if (p === '/aws/policies' && method === 'GET') {
      return ok(200, { policies: w().policies().map((x) => ({ policyName: x.policyName, arn: x.arn, awsManaged: x.awsManaged, document: JSON.parse(x.document) })) });
    }
    if (p === '/aws/size') {
      if (method === 'POST') {
        const b = await body(schemas.size);
        if (!b) return true;
        const preset = b.size === 'large' ? LARGE_SIZE : DEMO_SIZE;
        const spec: SizeSpec = { size: b.size, users: b.users ?? preset.users, groups: b.groups ?? preset.groups, memberships: b.memberships ?? preset.memberships };
        if (spec.size === 'demo' && (spec.users || spec.groups)) return bad('the demo size has no generated users or groups; use size "large"');
        sim.setSize(spec);
      }
      return ok(200, { size: w().base.spec, accountId: w().accountId });
    }
    if (p === '/aws/throttle') {
      if (method === 'POST') {
        const b = await body(schemas.throttle);
        if (!b) return true;
        Object.assign(sim.throttle, b);
        // A new quota starts from a full bucket, so a test's small limit means what it says.
        sim.resetThrottle();
      }
      return ok(200, { throttle: sim.throttle });
    }
    if (p === '/aws/effects' || p === '/aws/stats') {
      const mine = (): unknown[] => sim.ctx.faults.list().filter((f) => f.name.startsWith('aws.') && (f.scope === w().accountId || f.scope === '*'));
      if (method === 'DELETE') {
        if (p === '/aws/effects') for (const n of awsFaultNames) for (const scope of [w().accountId, '*']) sim.ctx.faults.clear(scope, n);
        sim.stats = newStats();
      }
      return ok(200, { faults: mine(), stats: sim.stats, throttle: sim.throttle });
    }
    return false;
  };

  function principalExists(k: 'user' | 'group' | 'role', n: string): boolean {
    return k === 'user' ? !!sim.world.findUser(n) : k === 'group' ? !!sim.world.findGroup(n) : !!sim.world.findRole(n);
  }
}
