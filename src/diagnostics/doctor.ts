import type { Runtime } from '../runtime/context.js';
import { AppError, toAppError, type ErrorCode, type StoredError } from '../errors/index.js';
import { isErrorCode, scrubText } from '../errors/index.js';
import type { CheckResult, ConnectorContext, HttpClient } from '../connectors/sdk/index.js';
import type { ConnectionRow } from '../store/connections-repo.js';
import type { CredentialRow } from '../store/credentials-repo.js';
import { kindSpec, methodSpec, roleSpec } from '../connections/kinds/index.js';
import { PREFLIGHT, type Checkable, type ConnectorParts, type CredentialMeta, type KindSpec, type RoleSpec } from '../connections/kinds/types.js';
import { connectorParts } from '../connections/credentials.js';
import { firstFailure, mergeFindings } from './merge.js';
import { scopeFinding } from './scope-finding.js';
import { pagingFinding } from './paging-check.js';

/**
 * The connection doctor: one finding per prerequisite, each pass / fail / warning with a
 * catalogue code (cause and exact fix). Order: checks that need no network (pre-flight: the
 * credential file, the secret's shape, expiry), then the connector's own provider checks, then
 * what the doctor observes around them — throttling, the clock (Date headers vs ours), and
 * changes still propagating (a failure that some attempts do not reproduce).
 */
export interface DoctorResult {
  readonly ok: boolean;
  readonly findings: CheckResult[];
  readonly error: StoredError | null;
  readonly ranAt: string;
  readonly durationMs: number;
  /** Credential facts the provider told (key creation, key expiry) that differ from the stored ones. */
  readonly learned: LearnedFacts | null;
}

export interface LearnedFacts {
  readonly meta: CredentialMeta;
  readonly expiresAt: string | null;
  readonly issuedAt: string | null;
}

/** Extra runs of the provider checks when a failure may be a change still propagating. */
const PROPAGATION_RERUNS = 2;

export async function runDoctor(rt: Runtime, tenantId: string, connection: ConnectionRow, credential: CredentialRow): Promise<DoctorResult> {
  const started = rt.now();
  const diagnosed = await diagnose(rt, tenantId, connection, credential);
  const learned = diagnosed.learned;
  // A finding's detail may quote the provider (errors are scrubbed as they are made; details here).
  const findings = diagnosed.findings.map((f) => (f.detail === undefined ? f : { ...f, detail: scrubText(f.detail) }));
  return { ok: !findings.some((f) => f.status === 'fail'), findings, error: firstFailure(findings), ranAt: new Date(started).toISOString(), durationMs: Math.max(0, rt.now() - started), learned };
}

async function diagnose(rt: Runtime, tenantId: string, connection: ConnectionRow, credential: CredentialRow): Promise<{ findings: CheckResult[]; learned: LearnedFacts | null }> {
  let spec: KindSpec;
  let role: RoleSpec<Checkable>;
  let build: ((ctx: ConnectorContext, parts: ConnectorParts) => Checkable) | null;
  let parts: ConnectorParts;
  try {
    spec = kindSpec(connection.kind);
    role = roleSpec(spec, connection.role);
    build = role.build;
    parts = await connectorParts(rt, tenantId, connection, credential);
  } catch (e) {
    return { findings: [{ id: 'setup', label: 'Read the connection and its credential', status: 'fail', error: toAppError(e).toJSON() }], learned: null };
  }
  // What a directory connection reads: always said, a warning once counts show it leaves accounts out.
  const scope = connection.role === 'directory' ? [scopeFinding(parts.config)] : [];
  const now = new Date(rt.now());
  const preflight: CheckResult[] = [];
  const config = spec.configSchema.safeParse(parts.config);
  if (!config.success) {
    const detail = config.error.issues.map((i) => `config.${i.path.join('.')}: ${i.message}`).join('; ');
    preflight.push({ id: 'config', label: 'The connection settings are complete', status: 'fail', error: new AppError('request.invalid', { detail }).toJSON() });
  }
  try {
    preflight.push(...methodSpec(spec, credential.method).preflight(parts, { now, expiresAt: credential.expires_at }));
  } catch (e) {
    preflight.push({ id: PREFLIGHT.credential, label: 'Read the credential', status: 'fail', error: toAppError(e).toJSON() });
  }
  const expiryBasis = methodSpec(spec, credential.method).expiry(parts.meta).basis;
  const blocking = preflight.some((f) => f.status === 'fail' && (f.id !== PREFLIGHT.expiry || expiryBasis === 'credential'));
  if (blocking) {
    return { findings: [...preflight, { id: 'provider', label: `${spec.displayName} checks`, status: 'skipped', detail: 'not run: fix the failing check above first' }, ...scope], learned: null };
  }
  if (!build) {
    return {
      findings: [
        ...preflight,
        { id: 'connector', label: `${spec.displayName} connector`, status: 'fail', error: new AppError('connection.connector_unavailable', { kind: spec.displayName, role: connection.role }).toJSON() },
      ],
      learned: null,
    };
  }

  const recorder = createRecorder(rt);
  // The doctor answers an admin who is waiting: one in-line retry, short waits.
  const http: HttpClient = rt.http({ provider: spec.http.provider, ...(spec.http.isThrottle ? { isThrottle: spec.http.isThrottle } : {}), maxRetries: 1, maxInlineWaitMs: 5_000, timeoutMs: 30_000, fetch: recorder.fetch });
  const ctx: ConnectorContext = { http, now: () => new Date(rt.now()) };
  let first: Checkable | undefined;
  const run = async (): Promise<CheckResult[]> => {
    try {
      // A fresh connector each run: no cached token hides what the provider says now.
      const instance = build(ctx, parts);
      first ??= instance;
      return await instance.checks();
    } catch (e) {
      return [{ id: 'provider', label: `${spec.displayName} checks`, status: 'fail', error: toAppError(e).toJSON() }];
    }
  };
  const propagating = role.propagating ?? spec.propagating;
  const runs = [await run()];
  const mayPropagate = (f: CheckResult) => f.status === 'fail' && f.error !== undefined && isErrorCode(f.error.code) && propagating.includes(f.error.code as ErrorCode);
  if (runs[0]!.some(mayPropagate)) {
    for (let i = 0; i < PROPAGATION_RERUNS; i++) runs.push(await run());
  }
  // A directory connection's listing, past page 1, when the provider checks let it be read.
  if (connection.role === 'directory' && first && !runs[0]!.some((f) => f.status === 'fail')) {
    const paging = await pagingFinding(first, spec.http.provider);
    if (paging) runs[0] = [...runs[0]!, paging];
  }
  const learned = first ? await learn(role, first, runs[0]!, spec, credential.method, parts.meta) : null;
  if (learned) {
    // The expiry finding again, from the dates the provider just told (an AWS key first tested
    // today may be 95 days old).
    const fresh = methodSpec(spec, credential.method).preflight({ ...parts, meta: learned.meta }, { now, expiresAt: learned.expiresAt }).find((f) => f.id === PREFLIGHT.expiry);
    if (fresh) for (let i = 0; i < preflight.length; i++) if (preflight[i]!.id === PREFLIGHT.expiry) preflight[i] = fresh;
  }
  const findings = mergeFindings({
    preflight,
    providerRuns: runs,
    superseded: [...spec.supersededChecks, ...(role.supersededChecks ?? [])],
    propagating,
    provider: spec.http.provider,
    throttled: http.stats.throttled,
    requests: recorder.requests(),
    skewSeconds: recorder.skewSeconds(),
    clockChecks: spec.clockChecks,
    clockFailSeconds: spec.clockFailSeconds,
  });
  return { findings: [...findings, ...scope], learned };
}

/** Credential dates the provider told during the checks, applied to the stored facts; best effort. */
async function learn(role: RoleSpec<Checkable>, instance: Checkable, findings: readonly CheckResult[], spec: KindSpec, method: string, meta: CredentialMeta): Promise<LearnedFacts | null> {
  const apply = methodSpec(spec, method).learn;
  if (!role.learn || !apply) return null;
  try {
    const told = await role.learn(instance, findings);
    return told ? apply(meta, told) : null;
  } catch {
    // The dates are a detail of the inventory, never a reason for a test to fail.
    return null;
  }
}

/**
 * Wraps fetch to note every provider response's Date header against our clock (the clock the
 * connector signs its tokens with), including responses the HTTP client retried.
 */
function createRecorder(rt: Runtime) {
  const skews: number[] = [];
  let requests = 0;
  const recordingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    requests += 1;
    const date = res.headers.get('date');
    const t = date ? Date.parse(date) : NaN;
    // The header has whole seconds: compare against our time rounded the same way.
    if (!Number.isNaN(t)) skews.push((Math.floor(rt.now() / 1000) * 1000 - t) / 1000);
    return res;
  };
  return {
    fetch: recordingFetch,
    requests: () => requests,
    skewSeconds(): number | null {
      if (skews.length === 0) return null;
      const sorted = [...skews].sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)]!;
    },
  };
}
