/**
 * The one scrubber for provider text that is stored or shown. Provider answers are untrusted:
 * a hostile or careless server may echo our Authorization header, a token request body, or a
 * key back in its error text, and that text becomes an error param (lastError in the API, the
 * CLI, the database). AppError runs every string param through `scrubText` when it is built,
 * so no output path has to remember to.
 *
 * Two layers: shapes that are secrets wherever they appear (bearer tokens, Authorization
 * echoes, client_secret= and friends, PEM private keys, JWTs, AWS secret keys), and the exact
 * values of secrets this process has opened (`rememberSecret`), so a secret of no recognisable
 * shape (a SCIM token, a client secret) is caught too.
 */

const REDACTED = '[redacted]';

/** Secrets shorter than this are not matched by value: too many innocent words would match. */
const MIN_SECRET_LENGTH = 6;
/** Bounded, so a long-running process does not keep every secret it ever opened. */
const MAX_REMEMBERED = 2_000;
const remembered = new Set<string>();

/**
 * Remembers a secret's value (and its JSON-escaped spelling) so provider text echoing it is
 * scrubbed. Called where secrets are opened; the values are already in this process's memory.
 */
export function rememberSecret(value: string | null | undefined): void {
  if (typeof value !== 'string') return;
  const v = value.trim();
  if (v.length < MIN_SECRET_LENGTH) return;
  for (const form of new Set([v, JSON.stringify(v).slice(1, -1)])) {
    if (remembered.has(form)) {
      // Refresh its place, so the oldest unused one is dropped first.
      remembered.delete(form);
    } else if (remembered.size >= MAX_REMEMBERED) {
      const oldest = remembered.values().next().value;
      if (oldest !== undefined) remembered.delete(oldest);
    }
    remembered.add(form);
  }
  // A key file is JSON: its private key may be echoed on its own.
  if (v.startsWith('{')) {
    try {
      const inner = JSON.parse(v) as unknown;
      if (inner && typeof inner === 'object') for (const x of Object.values(inner)) if (typeof x === 'string' && /PRIVATE KEY/.test(x)) rememberSecret(x);
    } catch {
      // Not JSON after all: the value itself is remembered.
    }
  }
}

/** Remembers every value of a sealed secret record ({ clientSecret }, { token }, …). */
export function rememberSecrets(secret: Readonly<Record<string, unknown>> | null | undefined): void {
  for (const v of Object.values(secret ?? {})) if (typeof v === 'string') rememberSecret(v);
}

const PATTERNS: readonly [RegExp, string | ((m: string) => string)][] = [
  // PEM private keys, complete or cut off by a length limit.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
  // Authorization / Proxy-Authorization header echoes, whatever the scheme ("Authorization: AWS4-HMAC-SHA256 Credential=…").
  [/((?:proxy-)?authorization["']?\s*[:=]\s*["']?)[^"'\r\n,;}]+/gi, `$1${REDACTED}`],
  // Bearer / Basic credentials on their own.
  [/\b(bearer|basic)(\s+)[A-Za-z0-9\-._~+/]+=*/gi, `$1$2${REDACTED}`],
  // Form and query fields and JSON members that carry secrets.
  // (Private keys are caught by their PEM markers above; a `private_key:` label alone is not.)
  [
    /((?:client_secret|client_assertion|assertion|access_token|refresh_token|id_token|secret_?access_?key|x-amz-security-token|sessiontoken|apikey|api_key)["']?\s*[:=]\s*["']?)[^"'&\s,;}]+/gi,
    `$1${REDACTED}`,
  ],
  // password= / passwd: followed by a value, not by prose ("password: must be at least…"):
  // a value with a digit or symbol, or a long one.
  [/((?:password|passwd)["']?\s*[:=]\s*["']?)(?=[^"'&\s,;}]*[^A-Za-z"'&\s,;}]|[^"'&\s,;}]{12})[^"'&\s,;}]+/gi, `$1${REDACTED}`],
  // JWTs (header.payload.signature, base64url; the header always starts with eyJ).
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // AWS secret access keys: 40 characters of base64 with both cases and a digit or / or +.
  // Hex thumbprints (40 hex digits, one case) do not match.
  [/(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g, (m) => (/[a-z]/.test(m) && /[A-Z]/.test(m) && /[0-9/+]/.test(m) ? REDACTED : m)],
];

/** Provider text with every secret-shaped part and every remembered secret replaced. */
export function scrubText(text: string): string {
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  const known: string[] = [];
  // Only texts long enough to hold a remembered secret are searched (most params are short words).
  if (out.length >= MIN_SECRET_LENGTH) for (const s of remembered) if (out.includes(s)) known.push(s);
  known.sort((a, b) => b.length - a.length);
  for (const s of known) out = out.split(s).join(REDACTED);
  for (const [re, replacement] of PATTERNS) out = typeof replacement === 'string' ? out.replace(re, replacement) : out.replace(re, replacement);
  return out;
}
