import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody } from '../http.js';
import { authenticate } from './auth.js';
import type { ActionSpec, Call } from './call.js';
import { accessDenied } from './iam.js';
import { paramsOf } from './query.js';
import { IAM_WRITE_ACTION, type AwsSim } from './sim.js';
import { AwsError, IAM_NS, newRequestId, sendError, sendResult, sendXml, STS_NS, type ReplyContext } from './xml.js';

/**
 * One query-protocol service (IAM or STS): parse the form body (or query string), check the
 * signature, spend the account's request quota, check the caller's permission, run the
 * action, answer XML. https://docs.aws.amazon.com/IAM/latest/APIReference/iam-api.pdf
 */
const VERSIONS = { iam: '2010-05-08', sts: '2011-06-15' } as const;

export function queryService(sim: AwsSim, service: 'iam' | 'sts', actions: Readonly<Record<string, ActionSpec>>): RequestListener {
  const ns = service === 'iam' ? IAM_NS : STS_NS;
  return (req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendError(res, { status: 500, code: 'ServiceFailure', message: String(e), type: 'Receiver' }, { ns, requestId: newRequestId(), nowMs: sim.nowMs() });
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const r: ReplyContext = { ns, requestId: newRequestId(), nowMs: sim.nowMs() };
    let action = 'unknown';
    try {
      if (req.method !== 'POST' && req.method !== 'GET') throw new AwsError(405, 'InvalidAction', `The HTTP method ${req.method} is not supported.`);
      let body: Buffer;
      try {
        body = await readBody(req, 1 << 20);
      } catch (e) {
        if (e instanceof BodyTooLargeError) throw new AwsError(413, 'RequestEntityTooLarge', 'Request body is too large.');
        throw e;
      }
      const search = new URL(req.url ?? '/', 'http://aws.invalid').searchParams;
      if (req.method === 'POST') for (const [k, v] of new URLSearchParams(body.toString('utf8'))) search.append(k, v);
      const params = paramsOf(search);
      action = params.get('Action') ?? 'unknown';
      sim.stats.requests[action] = (sim.stats.requests[action] ?? 0) + 1;

      let caller;
      try {
        caller = authenticate(sim, req, body, service);
      } catch (e) {
        sim.stats.authFailures += 1;
        throw e;
      }
      if (sim.fires('aws.throttle') || !sim.takeToken()) {
        sim.stats.throttled += 1;
        throw new AwsError(400, 'Throttling', 'Rate exceeded');
      }
      if (service === 'iam' && IAM_WRITE_ACTION.test(action) && (sim.fires('aws.write_throttle') || !sim.takeWriteToken())) {
        sim.stats.throttled += 1;
        throw new AwsError(400, 'Throttling', 'Rate exceeded');
      }
      const spec = actions[action];
      const version = params.get('Version');
      if (!spec || version !== VERSIONS[service]) {
        throw new AwsError(400, 'InvalidAction', `Could not find operation ${action} for version ${version ?? 'NO_VERSION_SPECIFIED'}`);
      }
      const call: Call = { sim, world: sim.world, caller, params, nowMs: r.nowMs };
      if (spec.permission) {
        const resource = spec.resource?.(call) ?? '*';
        const decision = sim.decide(caller, spec.permission, resource);
        if (decision !== 'allowed') {
          sim.stats.denied += 1;
          throw accessDenied(call, spec.permission, resource, decision === 'explicitDeny');
        }
      }
      const result = spec.handler(call);
      if (sim.fires('aws.bad_response')) return sendBroken(res, action, r);
      sendResult(res, action, result, r);
    } catch (e) {
      if (e instanceof AwsError) return sendError(res, e, r);
      throw e;
    }
  }

  /** aws.bad_response: a 200 whose body a client must refuse rather than trust. */
  function sendBroken(res: ServerResponse, action: string, r: ReplyContext): void {
    const kind = String(sim.fault('aws.bad_response')?.params['kind'] ?? 'truncated');
    const good = `<${action}Response xmlns="${r.ns}"><${action}Result><IsTruncated>false</IsTruncated></${action}Result><ResponseMetadata><RequestId>${r.requestId}</RequestId></ResponseMetadata></${action}Response>`;
    switch (kind) {
      case 'wrong_root':
        return sendXml(res, 200, `<html xmlns="${r.ns}"><body>Service Unavailable</body></html>`, r);
      case 'huge':
        // 24 MiB of one element: more than any IAM page, enough to test a client's limit.
        return sendXml(res, 200, `<${action}Response xmlns="${r.ns}"><${action}Result><Padding>${'x'.repeat(24 << 20)}</Padding></${action}Result></${action}Response>`, r);
      case 'not_xml':
        return sendXml(res, 200, '{"message":"this is not the query protocol"}', r);
      default:
        return sendXml(res, 200, good.slice(0, Math.floor(good.length / 2)), r);
    }
  }
}
