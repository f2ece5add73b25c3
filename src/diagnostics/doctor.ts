import type { Runtime } from '../runtime/context.js';
import { AppError, toAppError, type ErrorCode, type StoredError } from '../errors/index.js';
import { isErrorCode } from '../errors/index.js';
import type { CheckResult, ConnectorContext, HttpClient } from '../connectors/sdk/index.js';
import type { ConnectionRow } from '../store/connections-repo.js';
import type { CredentialRow } from '../store/credentials-repo.js';
import { kindSpec, methodSpec, roleSpec } from '../connections/kinds/index.js';
import { PREFLIGHT, type Checkable, type ConnectorParts, type KindSpec } from '../connections/kinds/types.js';
import { connectorParts } from '../connections/credentials.js';
import { firstFailure, mergeFindings } from './merge.js';

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
}

/** Extra runs of the provider checks when a failure may be a change still propagating. */
const PROPAGATION_RERUNS = 2;

export async function runDoctor(rt: Runtime, tenantId: string, connection: ConnectionRow, credential: CredentialRow): Promise<DoctorResult> {
  const started = rt.now();
  const findings = await diagnose(rt, tenantId, connection, credential);
  return { ok: !findings.some((f) => f.status === 'fail'), findings, error: firstFailure(findings), ranAt: new Date(started).toISOString(), durationMs: Math.max(0, rt.now() - started) };
}

async function diagnose(rt: Runtime, tenantId: string, connection: ConnectionRow, credential: CredentialRow): Promise<CheckResult[]> {
  let spec: KindSpec;
  let build: ((ctx: ConnectorContext, parts: ConnectorParts) => Checkable) | null;
  let parts: ConnectorParts;
  try {
    spec = kindSpec(connection.kind);
    build = roleSpec(spec, connection.role).build;
    parts = await connectorParts(rt, tenantId, connection, credential);
  } catch (e) {
    return [{ id: 'setup', label: 'Read the connection and its credential', status: 'fail', error: toAppError(e).toJSON() }];
  }
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
    return [...preflight, { id: 'provider', label: `${spec.displayName} checks`, status: 'skipped', detail: 'not run: fix the failing check above first' }];
  }
  if (!build) {
    return [
      ...preflight,
      { id: 'connector', label: `${spec.displayName} connector`, status: 'fail', error: new AppError('connection.connector_unavailable', { kind: spec.displayName, role: connection.role }).toJSON() },
    ];
  }

  const recorder = createRecorder(rt);
  // The doctor answers an admin who is waiting: one in-line retry, short waits.
  const http: HttpClient = rt.http({ provider: spec.http.provider, ...(spec.http.isThrottle ? { isThrottle: spec.http.isThrottle } : {}), maxRetries: 1, maxInlineWaitMs: 5_000, timeoutMs: 30_000, fetch: recorder.fetch });
  const ctx: ConnectorContext = { http, now: () => new Date(rt.now()) };
  const run = async (): Promise<CheckResult[]> => {
    try {
      // A fresh connector each run: no cached token hides what the provider says now.
      return await build(ctx, parts).checks();
    } catch (e) {
      return [{ id: 'provider', label: `${spec.displayName} checks`, status: 'fail', error: toAppError(e).toJSON() }];
    }
  };
  const runs = [await run()];
  const mayPropagate = (f: CheckResult) => f.status === 'fail' && f.error !== undefined && isErrorCode(f.error.code) && spec.propagating.includes(f.error.code as ErrorCode);
  if (runs[0]!.some(mayPropagate)) {
    for (let i = 0; i < PROPAGATION_RERUNS; i++) runs.push(await run());
  }
  return mergeFindings({
    preflight,
    providerRuns: runs,
    superseded: spec.supersededChecks,
    propagating: spec.propagating,
    provider: spec.http.provider,
    throttled: http.stats.throttled,
    requests: recorder.requests(),
    skewSeconds: recorder.skewSeconds(),
  });
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
