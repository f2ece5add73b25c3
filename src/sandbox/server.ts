import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultBoard, isFaultName, faultNames } from './faults.js';
import { readBody, requestUrl, sendJson } from './http.js';
import { serviceNames, type SandboxContext, type ServiceName, type ServiceUrls } from './types.js';
import { createMicrosoftSandbox, type MicrosoftDemo } from './microsoft/index.js';
import { createGoogleSandbox, type GoogleDemo } from './google/index.js';
import { createAwsSandbox, type AwsDemo } from './aws/index.js';
import { createScimSandbox, type ScimDemo } from './scim/index.js';
import { DEMO } from './demo.js';

export interface SandboxOptions {
  readonly host?: string;
  /**
   * First port; services take consecutive ports in `serviceNames` order. 0 (the default)
   * picks free ports, which tests want; `npm start` uses a fixed base so stored
   * connections keep working across restarts.
   */
  readonly basePort?: number;
  readonly seed?: number;
  readonly stateDir?: string;
  readonly now?: () => number;
}

export interface Sandbox {
  readonly urls: ServiceUrls;
  readonly faults: FaultBoard;
  readonly demo: { readonly microsoft: MicrosoftDemo; readonly google: GoogleDemo; readonly aws: AwsDemo; readonly scim: ScimDemo };
  close(): Promise<void>;
}

/**
 * Starts every simulated provider on loopback, each on its own origin, plus the sandbox
 * admin API (fault injection, inspection). Nothing here is reachable from outside the machine.
 */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const host = opts.host ?? '127.0.0.1';
  const faults = new FaultBoard();
  const listeners = new Map<ServiceName, RequestListener>();
  const servers: Server[] = [];
  const urls: Record<string, string> = {};

  // Bind first (so every simulator knows every base URL), route later.
  for (const [i, name] of serviceNames.entries()) {
    const server = createServer((req, res) => dispatch(name, req, res));
    // Longer than clients keep idle sockets (undici: 4 s), so a client never reuses a socket the
    // server is closing at that moment (an ECONNRESET race under load).
    server.keepAliveTimeout = 30_000;
    const port = opts.basePort ? opts.basePort + i : 0;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    urls[name] = `http://${host}:${addr.port}`;
    servers.push(server);
  }

  const ctx: SandboxContext = {
    urls: urls as ServiceUrls,
    faults,
    seed: opts.seed ?? DEMO.seed,
    stateDir: opts.stateDir,
    now: opts.now ?? Date.now,
  };
  const microsoft = await createMicrosoftSandbox(ctx);
  const google = await createGoogleSandbox(ctx);
  const aws = await createAwsSandbox(ctx);
  const scim = createScimSandbox(ctx);
  const vendors = [microsoft, google, aws, scim];
  for (const v of vendors) {
    for (const [name, listener] of Object.entries(v.services)) listeners.set(name as ServiceName, listener);
  }

  function dispatch(name: ServiceName, req: IncomingMessage, res: ServerResponse): void {
    void (async () => {
      if (name === 'admin') return admin(req, res);
      const listener = listeners.get(name);
      if (!listener) return sendJson(res, 501, { error: `sandbox service ${name} is not implemented yet` });
      if (await networkFaults(name, req, res)) return;
      await listener(req, res);
    })().catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: 'sandbox internal error', detail: String(e) });
      else res.destroy();
    });
  }

  /** net.slow / net.drop / net.lost_success, scoped by service name or '*'. */
  async function networkFaults(name: ServiceName, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const slow = faults.get(name, 'net.slow');
    if (slow && faults.fires(name, 'net.slow')) await new Promise((r) => setTimeout(r, Number(slow.params['ms'] ?? 1000)));
    if (faults.fires(name, 'net.drop')) {
      req.socket.destroy();
      return true;
    }
    if (faults.fires(name, 'net.lost_success')) {
      // Let the simulator act, then lose its answer: the caller cannot know it succeeded.
      const socket = req.socket;
      res.writeHead = (() => {
        socket.destroy();
        return res;
      }) as typeof res.writeHead;
    }
    return false;
  }

  async function admin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    const path = url.pathname;
    if (path === '/' || path === '/services') return sendJson(res, 200, { services: urls, faults: faultNames });
    if (path === '/faults' && req.method === 'GET') return sendJson(res, 200, { faults: faults.list() });
    if (path === '/faults' && req.method === 'POST') {
      const body = JSON.parse((await readBody(req, 1 << 20)).toString('utf8') || '{}') as {
        scope?: string; name?: string; params?: Record<string, string | number | boolean>; on?: boolean;
      };
      if (!body.name || !isFaultName(body.name)) return sendJson(res, 400, { error: `unknown fault; one of: ${faultNames.join(', ')}` });
      const scope = body.scope ?? '*';
      if (body.on === false) faults.clear(scope, body.name);
      else faults.set(scope, body.name, body.params ?? {});
      return sendJson(res, 200, { faults: faults.list() });
    }
    if (path === '/faults' && req.method === 'DELETE') {
      faults.clear(url.searchParams.get('scope') ?? undefined);
      return sendJson(res, 200, { faults: faults.list() });
    }
    for (const v of vendors) {
      if (v.admin && (await v.admin(req, res, path))) return;
    }
    sendJson(res, 404, { error: `no sandbox admin route ${req.method} ${path}` });
  }

  return {
    urls: urls as ServiceUrls,
    faults,
    demo: { microsoft: microsoft.demo, google: google.demo, aws: aws.demo, scim: scim.demo },
    async close() {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
