import { describe, expect, it } from 'vitest';
import { DEMO } from '../demo.js';
import { DEMO_SIZE, LARGE_SIZE, seedBase } from './generate.js';
import { createWorld } from './world.js';

const START = Date.UTC(2026, 10, 1);

describe('the seeded AWS account', () => {
  it('demo: ~40 users incl. break-glass and service identities, 8 groups, keys of realistic ages', () => {
    const w = createWorld(seedBase(DEMO.seed, DEMO_SIZE, START));
    const users = Array.from({ length: w.userPositions() }, (_, i) => w.userAtPosition(i)!);
    expect(users.length).toBe(40);
    expect(users.map((u) => u.userName)).toEqual(expect.arrayContaining(['breakglass-admin', 'syncwarden-integration', 'ci-deployer', 'backup-agent']));
    expect(w.groupPositions()).toBe(8);
    expect(w.attached('user', 'breakglass-admin')).toEqual(['arn:aws:iam::aws:policy/AdministratorAccess']);
    const keys = users.flatMap((u) => w.keysOf(u.userName));
    const day = 86_400_000;
    const old = keys.filter((k) => k.status === 'Active' && START - k.createDateMs > 90 * day);
    expect(old.map((k) => k.userName)).toEqual(['ci-deployer']);
    expect(keys.some((k) => k.lastUsed === null)).toBe(true);
    expect(users.some((u) => w.keysOf(u.userName).length === 0)).toBe(true);
    expect(users.some((u) => w.keysOf(u.userName).length === 2)).toBe(true);
    // Same seed, same account; the integration credentials do not depend on the size.
    const again = seedBase(DEMO.seed, DEMO_SIZE, START);
    const large = seedBase(DEMO.seed, LARGE_SIZE, START);
    expect(again.integration).toEqual(w.base.integration);
    expect(large.integration).toEqual(w.base.integration);
  });

  it('large: 100,000 users, 10,000 groups and 1,000,000 memberships by formula, consistent both ways', () => {
    const w = createWorld(seedBase(DEMO.seed, LARGE_SIZE, START));
    const gen = w.base.gen;
    expect([gen.users, gen.groups, gen.perUser]).toEqual([100_000, 10_000, 10]);
    let memberships = 0;
    for (let j = 0; j < gen.groups; j++) memberships += gen.usersOfGroup(j).length;
    expect(memberships).toBe(1_000_000);
    for (const i of [0, 1, 4242, 99_999]) {
      const groups = w.groupsOfUser(gen.userAt(i).userName);
      expect(groups).toHaveLength(10);
      for (const g of groups) expect(w.usersOfGroup(g.groupName).map((u) => u.userName)).toContain(gen.userAt(i).userName);
    }
    const key = gen.keysOfUser(2).concat(gen.keysOfUser(5), gen.keysOfUser(8))[0]!;
    expect(w.findKey(key.accessKeyId)).toMatchObject({ userName: key.userName, secret: key.secret });
    expect(w.findKey(key.accessKeyId.slice(0, -1) + (key.accessKeyId.endsWith('A') ? 'B' : 'A'))).toBeUndefined();
  });

  it('the overlay: memberships, detachments, removals and additions are seen by every view', () => {
    const w = createWorld(seedBase(DEMO.seed, LARGE_SIZE, START));
    const u = w.base.gen.userAt(7).userName;
    const g = w.groupsOfUser(u)[0]!.groupName;
    expect(w.removeMembership(g, u)).toBe(true);
    expect(w.removeMembership(g, u)).toBe(false);
    expect(w.usersOfGroup(g).map((x) => x.userName)).not.toContain(u);
    w.addMembership(g, u);
    expect(w.isMember(g, u)).toBe(true);
    const added = w.addUser('new.hire', '/', START);
    w.addMembership(g, added.userName);
    expect(w.usersOfGroup(g).map((x) => x.userName)).toContain('new.hire');
    expect(w.userAtPosition(w.userPositions() - 1)?.userName).toBe('new.hire');
    expect(w.removeUser(u)).toBe(true);
    expect(w.findUser(u)).toBeUndefined();
    expect(w.usersOfGroup(g).map((x) => x.userName)).not.toContain(u);
    expect(w.userAtPosition(w.base.specialUsers.length + 7)).toBeUndefined();
    const arn = w.attached('group', g)[0]!;
    const before = w.attachmentCount(arn);
    expect(w.detach('group', g, arn)).toBe(true);
    expect(w.attachmentCount(arn)).toBe(before - 1);
    expect(w.detach('group', g, arn)).toBe(false);
  });
});
