import type { ConnectorContext, HttpResponse } from '../sdk/index.js';
import type { AwsConfig, AwsEndpoints } from './config.js';
import { parseAwsError } from './errors.js';
import { signRequest, uriEncode, type AwsCredentials } from './sigv4.js';
import { badResponse, parseXml, REPORT_MAX_BODY_BYTES } from './xml.js';

/**
 * One query-protocol call (providers.md §4.1): `POST /` with a form body
 * `Action=…&Version=…&…`, signed with SigV4, through the shared HTTP client on the AWS
 * account's rate budget. Returns the `<{Action}Result>` element (unvalidated: callers parse
 * it with zod) and the response's Date header (for the clock check).
 */
export const VERSIONS = { iam: '2010-05-08', sts: '2011-06-15' } as const;

export interface QueryDeps {
  readonly ctx: ConnectorContext;
  readonly config: AwsConfig;
  readonly endpoints: AwsEndpoints;
}

export interface QueryCall {
  readonly service: 'iam' | 'sts';
  readonly action: string;
  readonly params: Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;
  readonly credentials: AwsCredentials;
  /** Rate budget, e.g. 'aws:iam:123456789012' (IAM's limits are per account). */
  readonly budgetKey: string;
  /** Reads are safe to repeat after a lost answer; writes are too (they are idempotent by outcome). */
  readonly idempotent?: boolean;
}

export interface QueryAnswer {
  readonly result: unknown;
  readonly date: string | null;
}

/** `Name.member.N` for lists; booleans and numbers as text. */
export function formBody(action: string, version: string, params: QueryCall['params']): string {
  const pairs: [string, string][] = [['Action', action], ['Version', version]];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) (v as readonly string[]).forEach((x, n) => pairs.push([`${k}.member.${n + 1}`, x]));
    else pairs.push([k, String(v)]);
  }
  return pairs.map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).join('&');
}

export async function query(deps: QueryDeps, call: QueryCall): Promise<QueryAnswer> {
  const url = `${call.service === 'iam' ? deps.endpoints.iam : deps.endpoints.sts}/`;
  const body = formBody(call.action, VERSIONS[call.service], call.params);
  const signed = signRequest({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
    region: deps.config.region,
    service: call.service,
    credentials: call.credentials,
    now: deps.ctx.now(),
  });
  const res: HttpResponse = await deps.ctx.http.request({ method: 'POST', url, headers: signed.headers, body, budgets: [{ key: call.budgetKey, cost: 1 }], idempotent: call.idempotent ?? true, ...(call.action === 'GetCredentialReport' ? { maxResponseBytes: REPORT_MAX_BODY_BYTES } : {}) });
  if (res.status !== 200) throw parseAwsError(call.action, res);
  const doc = parseXml(res.body, call.action, call.action === 'GetCredentialReport' ? REPORT_MAX_BODY_BYTES : undefined);
  const root = doc[`${call.action}Response`];
  if (root === undefined || root === null || typeof root !== 'object' && root !== '') {
    throw badResponse(`${call.action} answered <${Object.keys(doc).filter((k) => k !== '?xml')[0] ?? '?'}> instead of <${call.action}Response>`);
  }
  const result = root === '' ? undefined : (root as Record<string, unknown>)[`${call.action}Result`];
  return { result: result === '' ? undefined : result, date: res.headers.get('date') };
}
