import { AppError, catalogue, isErrorCode, renderStored, type ErrorCode, type StoredError } from '../errors/index.js';
import type { CheckResult } from '../connectors/sdk/index.js';

/**
 * How the doctor turns its raw observations into one list of findings that names each cause
 * once. Pure, so every rule is tested without a network.
 */
export interface DoctorObservations {
  /** Checks that needed no network (credential file, secret shape, expiry). */
  readonly preflight: readonly CheckResult[];
  /** The connector's checks(), once per run: more than one run when a result may be a change still propagating. */
  readonly providerRuns: readonly (readonly CheckResult[])[];
  /** Connector check ids the pre-flight already answered. */
  readonly superseded: readonly string[];
  /** Codes a propagating change also produces. */
  readonly propagating: readonly ErrorCode[];
  readonly provider: string;
  /** Responses the provider throttled (429 or its own throttle signal), retried or not. */
  readonly throttled: number;
  readonly requests: number;
  /** Local clock minus the provider's Date header, median, in seconds; null without a sample. */
  readonly skewSeconds: number | null;
  /** The connector's own clock check ids: replaced by the doctor's clock finding when it has a sample. */
  readonly clockChecks?: readonly string[];
  /** Seconds of difference beyond which signed sign-ins fail (null: never fail, only warn). */
  readonly clockFailSeconds?: number | null;
}

/** Seconds of clock difference that still pass / the default beyond which the doctor fails (Entra and Google allow about 5 minutes). */
export const SKEW_WARN_S = 60;
export const SKEW_FAIL_S = 300;

/** What every throttling finding says: it is the provider asking to slow down, and nothing to fix. */
export const THROTTLE_DETAIL = 'the provider is throttling requests; Syncwarden backs off and retries automatically';

const codeOf = (f: CheckResult): ErrorCode | null => (f.error && isErrorCode(f.error.code) ? f.error.code : null);

export function mergeFindings(o: DoctorObservations): CheckResult[] {
  // One clock finding: the doctor's own (Date headers of every response) when it has a sample.
  const ownClock = o.skewSeconds !== null ? (o.clockChecks ?? []) : [];
  const first = (o.providerRuns[0] ?? []).filter((f) => !o.superseded.includes(f.id) && !ownClock.includes(f.id));
  let provider = applyPropagation(first, o.providerRuns.slice(1), o.propagating, o.provider);
  provider = provider.map((f) => {
    const code = codeOf(f);
    // Throttling is the provider asking us to slow down, not a broken prerequisite.
    if (f.status === 'fail' && code && catalogue[code].kind === 'throttle') {
      return { ...f, status: 'warning' as const, detail: THROTTLE_DETAIL };
    }
    return f;
  });
  const extra: CheckResult[] = [];
  const throttleNamed = provider.some((f) => {
    const code = codeOf(f);
    return code !== null && catalogue[code].kind === 'throttle';
  });
  if (o.throttled > 0 && !throttleNamed) {
    extra.push({
      id: 'throttling',
      label: `${o.provider} is not throttling Syncwarden`,
      status: 'warning',
      error: new AppError('sync.rate_limited', { provider: o.provider }).toJSON(),
      detail: `${o.throttled} of ${o.requests} requests during the test were throttled; Syncwarden backs off and retries automatically`,
    });
  }
  if (o.skewSeconds !== null) {
    const s = Math.round(o.skewSeconds);
    const abs = Math.abs(s);
    const label = `This server's clock agrees with ${o.provider}`;
    const failAt = o.clockFailSeconds === undefined ? SKEW_FAIL_S : o.clockFailSeconds;
    if (failAt !== null && abs > failAt) {
      const error = new AppError('doctor.clock_skew', { provider: o.provider, seconds: s }).toJSON();
      extra.push({ id: 'clock', label, status: 'fail', error, detail: `${s > 0 ? 'ahead by' : 'behind by'} ${abs} s` });
      // Signed sign-in tokens fail for this reason alone: nothing the provider said can be trusted.
      provider = provider.map((f) => (f.status === 'fail' ? { id: f.id, label: f.label, status: 'skipped' as const, detail: `not trusted while the clock differs by ${abs} s` } : f));
    } else if (abs > SKEW_WARN_S) {
      extra.push({ id: 'clock', label, status: 'warning', error: new AppError('doctor.clock_skew', { provider: o.provider, seconds: s }).toJSON(), detail: `${abs} s apart` });
    } else {
      extra.push({ id: 'clock', label, status: 'pass', detail: `${abs} s apart` });
    }
  }
  return [...o.preflight, ...provider, ...extra];
}

/**
 * A finding that failed with a "propagating" code in the first run but passed in a later one
 * is a change still spreading through the provider: a warning naming that, not a failure. The
 * checks the first run skipped because of it are taken from the run where it passed.
 */
function applyPropagation(first: CheckResult[], reruns: readonly (readonly CheckResult[])[], propagating: readonly ErrorCode[], provider: string): CheckResult[] {
  if (reruns.length === 0) return first;
  const attempts = reruns.length + 1;
  const flapping = first.filter((f) => {
    const code = codeOf(f);
    return f.status === 'fail' && code !== null && propagating.includes(code) && reruns.some((run) => run.find((r) => r.id === f.id)?.status === 'pass');
  });
  if (flapping.length === 0) return first;
  const healthyRun = reruns.find((run) => flapping.every((f) => run.find((r) => r.id === f.id)?.status === 'pass'));
  return first.map((f) => {
    if (flapping.includes(f)) {
      const failed = 1 + reruns.filter((run) => run.find((r) => r.id === f.id)?.status === 'fail').length;
      const failure = renderStored(f.error as StoredError)?.title ?? 'failed';
      return {
        id: f.id,
        label: f.label,
        status: 'warning' as const,
        error: new AppError('doctor.change_propagating', { check: f.label, provider, failed, attempts, failure }).toJSON(),
        detail: `${attempts - failed} of ${attempts} attempts succeeded`,
      };
    }
    if (f.status === 'skipped' && healthyRun) return healthyRun.find((r) => r.id === f.id) ?? f;
    return f;
  });
}

/** The error a run reports: the first failing finding's. */
export function firstFailure(findings: readonly CheckResult[]): StoredError | null {
  const failure = findings.find((f) => f.status === 'fail');
  if (!failure) return null;
  return failure.error ?? { code: 'internal.unexpected', params: { detail: `check ${failure.id} failed without an error` } };
}
