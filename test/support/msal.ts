import type { INetworkModule, NetworkResponse } from '@azure/msal-node';
import type { Sandbox } from '../../src/sandbox/server.js';

/**
 * MSAL's network client for the sandbox (providers.md §6, option B): the authority stays
 * https://login.microsoftonline.com/{tenant}, whose metadata MSAL knows, and this client sends
 * that host's requests to the sandbox's Entra endpoints on loopback. `onPost` sees each POST
 * (a test that checks the client assertion MSAL built).
 */
export function msalNetworkClient(sb: Sandbox, onPost?: (url: string, body: URLSearchParams) => void): INetworkModule {
  const rewrite = (url: string) => url.replace('https://login.microsoftonline.com', sb.urls.entra_login);
  const answer = async <T>(r: Response): Promise<NetworkResponse<T>> => ({
    status: r.status,
    headers: Object.fromEntries([...r.headers.entries()].map(([k, v]) => [k.toLowerCase(), v])),
    body: (await r.json()) as T,
  });
  return {
    async sendGetRequestAsync<T>(url: string, options?: { headers?: Record<string, string> }) {
      return answer<T>(await fetch(rewrite(url), { headers: options?.headers }));
    },
    async sendPostRequestAsync<T>(url: string, options?: { headers?: Record<string, string>; body?: string }) {
      onPost?.(url, new URLSearchParams(options?.body ?? ''));
      return answer<T>(await fetch(rewrite(url), { method: 'POST', headers: options?.headers, body: options?.body }));
    },
  };
}
