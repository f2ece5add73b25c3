import { randomBytes } from 'node:crypto';
import type { FaultName } from '../faults.js';
import type { SandboxContext } from '../types.js';
import { DEMO_SIZE, seedBase, type SizeSpec } from './generate.js';
import { evaluate, parsePolicy, type EvalDecision, type PolicyDocument } from './policy.js';
import type { RoleRec, UserRec } from './records.js';
import { createWorld, type AccountWorld } from './world.js';

/**
 * Everything the AWS simulators share: the account (replaced when the admin API picks
 * another size), issued temporary credentials, the request-rate quota, counters, and the
 * account as seen through the active faults (faults overlay the world; switching one off
 * restores it at once).
 */
export interface Session {
  readonly accessKeyId: string;
  readonly secret: string;
  readonly token: string;
  readonly expirationMs: number;
  readonly roleName: string;
  readonly sessionName: string;
  readonly assumedRoleId: string;
}

export type Caller =
  | { readonly kind: 'user'; readonly user: UserRec; readonly accessKeyId: string }
  | { readonly kind: 'role'; readonly role: RoleRec; readonly session: Session };

export function callerArn(world: AccountWorld, c: Caller): string {
  return c.kind === 'user' ? c.user.arn : `arn:aws:sts::${world.accountId}:assumed-role/${c.role.roleName}/${c.session.sessionName}`;
}

/**
 * IAM's request quotas are not published ("IAM throttles requests … to help protect
 * performance"; docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). Field
 * reports put sustained read rates around 10–20 requests per second per account, so the
 * simulator defaults to a token bucket of 20/s refill and 40 burst, per account, shared by IAM
 * and STS. Set with POST {admin}/aws/throttle; `enabled: false` for benchmarks.
 */
export interface ThrottleSettings {
  enabled: boolean;
  ratePerSecond: number;
  burst: number;
  /**
   * IAM's mutating calls (RemoveUserFromGroup, the Detach and Delete policy calls, UpdateAccessKey, …) have
   * a tighter quota of their own on top of the request quota: modelled at 5/s refill, 10 burst
   * per account (AWS publishes no number; "write" APIs throttle first in field reports).
   */
  writeRatePerSecond: number;
  writeBurst: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = { enabled: true, ratePerSecond: 20, burst: 40, writeRatePerSecond: 5, writeBurst: 10 };

/** The IAM actions that change the account (charged to the write quota too). */
export const IAM_WRITE_ACTION = /^(Add|Attach|Create|Delete|Detach|Put|Remove|Update|Tag|Untag|Enable|Deactivate|Reset|Resync|Set|Upload|Change)/;

export interface AwsStats {
  requests: Record<string, number>;
  throttled: number;
  denied: number;
  authFailures: number;
}

export const newStats = (): AwsStats => ({ requests: {}, throttled: 0, denied: 0, authFailures: 0 });

export interface AwsSim {
  readonly ctx: SandboxContext;
  world: AccountWorld;
  readonly sessions: Map<string, Session>;
  readonly throttle: ThrottleSettings;
  stats: AwsStats;
  /** Re-seeds the account at another size; mutations and sessions are dropped. */
  setSize(spec: SizeSpec): void;
  fault(name: FaultName): { params: Readonly<Record<string, string | number | boolean>> } | undefined;
  fires(name: FaultName): boolean;
  /** The server's clock: the sandbox clock moved by an aws.clock_skew fault. */
  nowMs(): number;
  /** Spends one request from the account's quota; false when throttled. */
  takeToken(): boolean;
  /** Spends one write from the account's write quota; false when throttled. */
  takeWriteToken(): boolean;
  resetThrottle(): void;
  /** The caller's identity policies, as evaluated for an action on a resource. */
  decide(c: Caller, action: string, resource: string): EvalDecision;
  /** A principal's identity policies (user: own + groups'; role: own). */
  documentsOf(kind: 'user' | 'role', name: string): PolicyDocument[];
  newSession(role: RoleRec, sessionName: string, durationSeconds: number): Session;
}

export function createAwsSim(ctx: SandboxContext): AwsSim {
  let bucket = { tokens: DEFAULT_THROTTLE.burst, atMs: ctx.now() };
  let writeBucket = { tokens: DEFAULT_THROTTLE.writeBurst, atMs: ctx.now() };
  const sim: AwsSim = {
    ctx,
    world: createWorld(seedBase(ctx.seed, DEMO_SIZE, ctx.now())),
    sessions: new Map(),
    throttle: { ...DEFAULT_THROTTLE },
    stats: newStats(),
    setSize(spec) {
      sim.world = createWorld(seedBase(ctx.seed, spec, ctx.now()));
      sim.sessions.clear();
    },
    fault: (name) => ctx.faults.get(sim.world.accountId, name),
    fires: (name) => ctx.faults.fires(sim.world.accountId, name),
    nowMs() {
      const f = sim.fault('aws.clock_skew');
      return ctx.now() + (f ? Number(f.params['seconds'] ?? 0) * 1000 : 0);
    },
    takeToken() {
      if (!sim.throttle.enabled) return true;
      const now = ctx.now();
      const tokens = Math.min(sim.throttle.burst, bucket.tokens + ((now - bucket.atMs) / 1000) * sim.throttle.ratePerSecond);
      if (tokens < 1) {
        bucket = { tokens, atMs: now };
        return false;
      }
      bucket = { tokens: tokens - 1, atMs: now };
      return true;
    },
    takeWriteToken() {
      if (!sim.throttle.enabled) return true;
      const now = ctx.now();
      const tokens = Math.min(sim.throttle.writeBurst, writeBucket.tokens + ((now - writeBucket.atMs) / 1000) * sim.throttle.writeRatePerSecond);
      if (tokens < 1) {
        writeBucket = { tokens, atMs: now };
        return false;
      }
      writeBucket = { tokens: tokens - 1, atMs: now };
      return true;
    },
    resetThrottle() {
      bucket = { tokens: sim.throttle.burst, atMs: ctx.now() };
      writeBucket = { tokens: sim.throttle.writeBurst, atMs: ctx.now() };
    },
    documentsOf(kind, name) {
      const w = sim.world;
      const docs: string[] = [];
      const add = (k: 'user' | 'group' | 'role', n: string): void => {
        for (const arn of w.attached(k, n)) {
          const p = w.findPolicy(arn);
          if (p) docs.push(p.document);
        }
        for (const p of w.inline(k, n)) docs.push(p.document);
      };
      add(kind, name);
      if (kind === 'user') for (const g of w.groupsOfUser(name)) add('group', g.groupName);
      return docs.map(parsePolicy);
    },
    decide(c, action, resource) {
      const denied = sim.fault('aws.action_denied');
      if (denied && String(denied.params['action'] ?? '').toLowerCase() === action.toLowerCase()) return 'implicitDeny';
      const docs = c.kind === 'user' ? sim.documentsOf('user', c.user.userName) : sim.documentsOf('role', c.role.roleName);
      return evaluate(docs, action, resource);
    },
    newSession(role, sessionName, durationSeconds) {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
      const id = `ASIA${[...randomBytes(16)].map((b) => alphabet[b % 32]).join('')}`;
      const now = ctx.now();
      for (const [k, s] of sim.sessions) if (s.expirationMs < now) sim.sessions.delete(k);
      const session: Session = {
        accessKeyId: id,
        secret: randomBytes(30).toString('base64'),
        // Real session tokens are long opaque base64 blobs (several hundred characters).
        token: `IQoJb3JpZ2luX2VjE${randomBytes(300).toString('base64')}`,
        expirationMs: now + durationSeconds * 1000,
        roleName: role.roleName,
        sessionName,
        assumedRoleId: `${role.roleId}:${sessionName}`,
      };
      sim.sessions.set(id, session);
      return session;
    },
  };
  return sim;
}
