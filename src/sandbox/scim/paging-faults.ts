import type { ServerResponse } from 'node:http';
import type { SandboxContext } from '../types.js';
import { SCIM_CONTENT_TYPE } from './urns.js';
import { runList, type ListQuery } from './query.js';
import type { RenderContext } from './render.js';
import type { Json } from './store.js';
import type { ResourceType } from './urns.js';

/**
 * A list request (GET /Users, GET /Groups) through the paging faults: the ways real SCIM
 * servers were seen to page wrongly, so tests can show a client never reads them as a
 * complete pass. Without a fault this is the plain RFC 7644 list.
 */
export function sendList(ctx: SandboxContext, rc: RenderContext, rt: ResourceType, q: ListQuery, res: ServerResponse, send: (body: Json) => void): void {
  const scope = rc.tenant.id;
  const huge = ctx.faults.get(scope, 'scim.huge_response');
  if (huge) return streamHuge(res, Number(huge.params['mb'] ?? 200));
  const ignore = ctx.faults.get(scope, 'scim.ignore_start_index');
  const endless = ctx.faults.get(scope, 'scim.endless_paging');
  const newIds = endless?.params['newIds'] === true;
  // Ignoring startIndex (or an endless "same page") serves page 1 to every request.
  const list = runList(rc, rt, ignore || (endless && !newIds) ? { ...q, startIndex: 1 } : q);
  if (ignore && ignore.params['echoStartIndex'] === true) list['startIndex'] = q.startIndex;
  if (endless) {
    list['totalResults'] = Number(endless.params['total'] ?? 1e12);
    list['startIndex'] = q.startIndex;
    if (newIds) {
      // Positions past the real end are filled with fresh copies of the first resources.
      const size = Math.max(1, Number(list['itemsPerPage'] ?? 0) || (q.count ?? 25));
      const base = runList(rc, rt, { ...q, startIndex: 1 });
      const seed = (base['Resources'] as Json[] | undefined) ?? [];
      const out: Json[] = [];
      for (let i = 0; i < size && seed.length > 0; i++) {
        const r = seed[i % seed.length]!;
        const n = q.startIndex + i;
        out.push({ ...r, id: `${String(r['id'])}-${n}`, ...(rt === 'User' ? { userName: `${n}.${String(r['userName'])}` } : { displayName: `${String(r['displayName'])} ${n}` }) });
      }
      list['Resources'] = out;
      list['itemsPerPage'] = out.length;
    }
  }
  if (ctx.faults.get(scope, 'scim.duplicate_ids')) {
    const rs = list['Resources'] as Json[] | undefined;
    if (rs && rs.length >= 2) rs[rs.length - 1] = { ...rs[rs.length - 1]!, id: rs[0]!['id'] as string };
  }
  send(list);
}

/**
 * A ListResponse of `mb` megabytes whose one user carries a giant displayName, written a
 * chunk at a time as the socket drains: the sandbox never holds it (a client must not either).
 */
function streamHuge(res: ServerResponse, mb: number): void {
  const total = Math.max(1, Math.floor(mb * 1024 * 1024));
  const head = Buffer.from('{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[{"id":"huge","userName":"huge@example.test","displayName":"');
  const tail = Buffer.from('"}]}');
  const chunk = Buffer.alloc(256 * 1024, 'a');
  let left = total - head.length - tail.length;
  // Chunked, with no Content-Length: a client learns the size only by reading.
  res.writeHead(200, { 'content-type': SCIM_CONTENT_TYPE });
  res.write(head);
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
    }
    res.end(tail);
  };
  res.on('close', () => (left = 0));
  pump();
}
