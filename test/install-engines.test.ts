import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The README promises Node ≥ 20.19 (and 22, 24): every package `npm install` puts in place —
 * dev dependencies included, they install too — must accept those versions, or the install
 * prints EBADENGINE warnings (cookie@2 needs Node 22; it came in through fastify's
 * light-my-request, and package.json overrides it with cookie@1.1, same API).
 */
type Version = [number, number, number];

function parse(v: string): Version {
  const [a = 0, b = 0, c = 0] = v.replace(/^v/, '').split('.').map((x) => (x === 'x' || x === '*' ? 0 : Number(x)));
  return [a, b, c];
}

const cmp = (a: Version, b: Version): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** One comparator of an npm range: >=X, >X, <=X, <X, ^X, ~X, X.x, X, *. */
function holds(node: Version, comparator: string): boolean {
  if (comparator === '*' || comparator === '') return true;
  const m = /^(>=|<=|>|<|\^|~|=)?\s*v?([0-9x*.]+)$/.exec(comparator);
  if (!m) throw new Error(`range part not understood: ${comparator}`);
  const op = m[1] ?? '';
  const raw = m[2]!;
  const v = parse(raw);
  const parts = raw.split('.').filter((x) => x !== 'x' && x !== '*').length;
  switch (op) {
    case '>=': return cmp(node, v) >= 0;
    case '>': return cmp(node, v) > 0;
    case '<=': return cmp(node, v) <= 0;
    case '<': return cmp(node, v) < 0;
    case '^': return node[0] === v[0] && cmp(node, v) >= 0;
    case '~': return node[0] === v[0] && (parts < 2 || node[1] === v[1]) && cmp(node, v) >= 0;
    default: return node[0] === v[0] && (parts < 2 || node[1] === v[1]) && (parts < 3 || node[2] === v[2]);
  }
}

export function satisfies(version: string, range: string): boolean {
  const node = parse(version);
  return range.split('||').some((alt) => alt.trim().replace(/(>=|<=|>|<|\^|~)\s+/g, '$1').split(/\s+/).every((c) => holds(node, c)));
}

describe('a Node 20.19 install is clean', () => {
  it('the range check reads npm ranges as npm does', () => {
    expect(satisfies('20.19.0', '>=22')).toBe(false);
    expect(satisfies('20.19.0', '^20.19.0 || >=22.12.0')).toBe(true);
    expect(satisfies('20.18.0', '^20.19.0 || >=22.12.0')).toBe(false);
    expect(satisfies('20.19.0', '20.x || 22.x')).toBe(true);
    expect(satisfies('20.19.0', '>=16 || 14 >=14.17')).toBe(true);
    expect(satisfies('20.19.0', '>= 10.x')).toBe(true);
  });

  it('every package in package-lock.json accepts Node 20.19, 22.13 and 24', () => {
    const lock = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; engines?: { node?: string } | string[]; optional?: boolean }> };
    const refused: string[] = [];
    for (const [path, p] of Object.entries(lock.packages)) {
      const range = !Array.isArray(p.engines) ? p.engines?.node : undefined;
      if (!path || !range) continue;
      for (const node of ['20.19.0', '22.13.0', '24.0.0']) if (!satisfies(node, range)) refused.push(`${path.replace(/^.*node_modules\//, '')}@${p.version} needs Node ${range} (not ${node})`);
    }
    expect(refused).toEqual([]);
  });
});
