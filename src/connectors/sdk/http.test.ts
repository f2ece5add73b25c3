import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../errors/index.js';
import { createHttpClient } from './http.js';

/**
 * A provider endpoint whose *name* passes the URL policy but resolves to a link-local or
 * metadata address gets no request (and so no credential): the client checks what the name
 * resolves to before it connects. The names here resolve through the client's `lookup`
 * option, the seam for the system resolver; the requests that do go out reach a real server.
 */
describe('HTTP client: where a host name resolves', () => {
  let server: Server;
  let port = 0;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits += 1;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const zone: Record<string, string[]> = {
    'idp.example.test': ['127.0.0.1'],
    'rebound.example.test': ['203.0.113.7', '169.254.169.254'],
    'v6.example.test': ['fe80::1'],
    'mapped.example.test': ['::ffff:169.254.169.254'],
    'aws6.example.test': ['fd00:ec2::254'],
  };
  // The names all reach the local server: fetch connects to 127.0.0.1 whatever the name says.
  const client = () =>
    createHttpClient({
      provider: 'Test IdP',
      lookup: async (host) => zone[host] ?? [],
      fetch: (async (url: string | URL | Request, init?: RequestInit) => fetch(String(url).replace(/\/\/[^/:]+:/, '//127.0.0.1:'), init)) as typeof fetch,
      sleep: async () => {},
    });

  it('a name resolving to a normal address is fetched', async () => {
    const res = await client().request({ method: 'GET', url: `http://idp.example.test:${port}/token` });
    expect(res.status).toBe(200);
    expect(hits).toBe(1);
  });

  it.each(['rebound.example.test', 'v6.example.test', 'mapped.example.test', 'aws6.example.test'])('%s: refused before any request, named, not retried', async (host) => {
    const before = hits;
    const err = await client().request({ method: 'POST', url: `https://${host}:${port}/token`, body: 'client_secret=s3cret' }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('provider.address_refused');
    expect((err as AppError).params['host']).toBe(host);
    expect(hits).toBe(before);
  });
});
