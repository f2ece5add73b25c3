/**
 * Admin-level IAM policies: AWS's AdministratorAccess and IAMFullAccess (IAMFullAccess lets
 * its holder grant itself anything), and any document allowing every action — or every IAM
 * action — on every resource.
 */
const PRIVILEGED_AWS = /^arn:aws[\w-]*:iam::aws:policy\/(AdministratorAccess|IAMFullAccess)$/;

const list = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

export function isPrivilegedDocument(json: string | null | undefined): boolean {
  if (!json) return false;
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return false;
  }
  const st = (doc as { Statement?: unknown } | null)?.Statement;
  const statements = Array.isArray(st) ? st : st ? [st] : [];
  return statements.some((s) => {
    if (!s || typeof s !== 'object') return false;
    const x = s as Record<string, unknown>;
    return x['Effect'] === 'Allow' && list(x['Action']).some((a) => a === '*' || a.toLowerCase() === 'iam:*') && list(x['Resource']).includes('*');
  });
}

export function isPrivilegedPolicy(arn: string, document: string | null | undefined): boolean {
  return PRIVILEGED_AWS.test(arn) || isPrivilegedDocument(document);
}
