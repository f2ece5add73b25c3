import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * The one rule for every URL an admin gives us that we will later send a secret or signed
 * payload to: provider endpoint overrides, SCIM base URLs, webhook alert channels. A stored
 * credential must not be steerable to a script URL, a local file, or the cloud metadata
 * service of the machine Syncwarden runs on (169.254.169.254 would hand out this host's own
 * cloud credentials). Loopback http: stays allowed because the sandbox and local test
 * servers live there; everything else must be https:.
 */

/** Host names that resolve to a cloud metadata service (GCP, Azure, AWS, Alibaba, Oracle). */
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata', 'metadata.azure.internal', 'instance-data', 'instance-data.ec2.internal', 'metadata.tencentyun.com', '100.100.100.200']);

export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

/** Why a URL is refused as a destination for credentials, or the parsed URL. */
export function checkOutboundUrl(raw: string): UrlVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'must be an absolute https:// URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: `must be an https:// URL (${url.protocol} is not allowed)` };
  if (url.username || url.password) return { ok: false, reason: 'must not carry a user name or password' };
  const host = hostOf(url);
  if (host === '') return { ok: false, reason: 'must name a host' };
  if (isMetadataHost(host)) return { ok: false, reason: `must not point at a cloud metadata address (${host})` };
  if (isLinkLocal(host)) return { ok: false, reason: `must not point at a link-local address (${host})` };
  if (url.protocol === 'http:' && !isLoopback(host)) return { ok: false, reason: 'must be an https:// URL (http:// only on this machine: localhost, 127.0.0.1, [::1])' };
  return { ok: true, url };
}

/**
 * Why a resolved address must not receive a credential (link-local, cloud metadata), or null.
 * The save-time check sees only the host as written; a name can resolve to such an address, so
 * the HTTP client checks what the name resolves to before each connection (connectors/sdk/http.ts).
 */
export function refusedAddress(ip: string): string | null {
  const host = ip.replace(/^\[|\]$/g, '').toLowerCase();
  if (isMetadataHost(host)) return 'a cloud metadata address';
  if (isIP(host) !== 0 && isLinkLocal(host)) return 'a link-local address';
  return null;
}

/** zod string that must pass checkOutboundUrl; the error message says why. */
export function outboundUrl(): z.ZodType<string> {
  return z.string().trim().superRefine((v, ctx) => {
    const verdict = checkOutboundUrl(v);
    if (!verdict.ok) ctx.addIssue({ code: 'custom', message: verdict.reason });
  });
}

/** Host without IPv6 brackets and without a trailing root dot, lower-cased. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
}

function isMetadataHost(host: string): boolean {
  if (METADATA_HOSTS.has(host)) return true;
  // AWS's IPv6 metadata address (fd00:ec2::254).
  return isIP(host) === 6 && expandV6(host) === expandV6('fd00:ec2::254');
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) {
    const v4 = mappedV4(host);
    return v4 ? v4.startsWith('127.') : expandV6(host) === expandV6('::1');
  }
  return false;
}

function isLinkLocal(host: string): boolean {
  const v4 = isIP(host) === 4 ? host : isIP(host) === 6 ? mappedV4(host) : null;
  if (v4) return v4.startsWith('169.254.');
  if (isIP(host) === 6) {
    // fe80::/10: the first 10 bits are 1111 1110 10.
    const first = parseInt(expandV6(host).slice(0, 4), 16);
    return (first & 0xffc0) === 0xfe80;
  }
  // A decimal or hex spelling of an IPv4 address (http://2852039166/) is normalised by URL
  // already, so a name here is a real DNS name.
  return false;
}

/** The IPv4 address of an IPv4-mapped IPv6 address (::ffff:169.254.169.254), if it is one. */
function mappedV4(host: string): string | null {
  const full = expandV6(host);
  if (!full.startsWith('0000:0000:0000:0000:0000:ffff:')) return null;
  const [a, b] = full.split(':').slice(6).map((h) => parseInt(h, 16)) as [number, number];
  return `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
}

/** Eight four-digit groups, so two spellings of one address compare equal. */
function expandV6(host: string): string {
  let h = host.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (dotted) {
    const p = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    h = h.slice(0, -dotted[1]!.length) + `${((p[0] << 8) | p[1]).toString(16)}:${((p[2] << 8) | p[3]).toString(16)}`;
  }
  const [head, tail] = h.includes('::') ? (h.split('::') as [string, string]) : [h, null];
  const a = head ? head.split(':') : [];
  const b = tail === null ? [] : tail ? tail.split(':') : [];
  const fill = tail === null ? [] : Array.from({ length: 8 - a.length - b.length }, () => '0');
  return [...a, ...fill, ...b].map((g) => g.padStart(4, '0')).join(':');
}
