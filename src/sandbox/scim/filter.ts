import { splitAttrPath, type AttrPath } from './schema-defs.js';

/**
 * The SCIM filter grammar (RFC 7644 §3.4.2.2, Figure 1) and the PATCH path grammar
 * (§3.5.2, Figure 5), parsed into a small AST. Syntax only: whether an attribute exists is
 * decided when the filter is compiled against a resource type (evaluate.ts).
 *
 * Precedence: `not` > `and` > `or`; parentheses group. Operators and attribute names are
 * case-insensitive. Beyond the RFC we accept what real clients send:
 * - `emails[type eq "work"].value eq "a@b"` (Entra ID's matching query, providers.md §5.6),
 *   read as `emails[type eq "work" and value eq "a@b"]`;
 * - `not` before an expression without parentheses.
 */
export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type CompValue = string | number | boolean | null;

export type Filter =
  | { readonly kind: 'and' | 'or'; readonly left: Filter; readonly right: Filter }
  | { readonly kind: 'not'; readonly filter: Filter }
  | { readonly kind: 'present'; readonly path: AttrPath }
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly path: AttrPath; readonly value: CompValue }
  | { readonly kind: 'valuePath'; readonly path: AttrPath; readonly filter: Filter };

/** A PATCH target: `attrPath`, `attrPath[valFilter]`, or `attrPath[valFilter].subAttr`. */
export interface PatchPath {
  readonly path: AttrPath;
  readonly filter?: Filter;
  readonly sub?: string;
}

export class FilterSyntaxError extends Error {
  override readonly name = 'FilterSyntaxError';
}

const COMPARE_OPS: readonly CompareOp[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];

type Token =
  | { readonly t: '(' | ')' | '[' | ']'; readonly at: number }
  | { readonly t: 'string'; readonly v: string; readonly at: number }
  | { readonly t: 'word'; readonly v: string; readonly at: number };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (c === '(' || c === ')' || c === '[' || c === ']') {
      out.push({ t: c, at: i });
      i += 1;
      continue;
    }
    if (c === '"') {
      // A JSON string: find the closing quote, honouring backslash escapes, then let JSON decode it.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) throw new FilterSyntaxError(`unterminated string starting at position ${i + 1}`);
      let v: unknown;
      try {
        v = JSON.parse(text.slice(i, j + 1));
      } catch {
        throw new FilterSyntaxError(`invalid string at position ${i + 1}`);
      }
      out.push({ t: 'string', v: v as string, at: i });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s()[\]"]/.test(text[j]!)) j += 1;
    out.push({ t: 'word', v: text.slice(i, j), at: i });
    i = j;
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[], private readonly text: string) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
  private next(): Token | undefined {
    return this.tokens[this.i++];
  }
  private isWord(tok: Token | undefined, w: string): boolean {
    return tok?.t === 'word' && tok.v.toLowerCase() === w;
  }
  private fail(msg: string, tok?: Token): never {
    const where = tok ? ` at position ${tok.at + 1}` : ' at the end';
    throw new FilterSyntaxError(`${msg}${where} of filter ${JSON.stringify(this.text)}`);
  }

  parseAll(): Filter {
    if (this.tokens.length === 0) this.fail('empty filter');
    const f = this.parseOr(false);
    const rest = this.peek();
    if (rest) this.fail(`unexpected ${describe(rest)}`, rest);
    return f;
  }

  /** The inside of `attr[...]` in a PATCH path: sub-attribute names only. */
  parseValueFilter(): Filter {
    if (this.tokens.length === 0) this.fail('empty value filter');
    const f = this.parseOr(true);
    const rest = this.peek();
    if (rest) this.fail(`unexpected ${describe(rest)}`, rest);
    return f;
  }

  private parseOr(inValuePath: boolean): Filter {
    let left = this.parseAnd(inValuePath);
    while (this.isWord(this.peek(), 'or')) {
      this.next();
      left = { kind: 'or', left, right: this.parseAnd(inValuePath) };
    }
    return left;
  }

  private parseAnd(inValuePath: boolean): Filter {
    let left = this.parseNot(inValuePath);
    while (this.isWord(this.peek(), 'and')) {
      this.next();
      left = { kind: 'and', left, right: this.parseNot(inValuePath) };
    }
    return left;
  }

  private parseNot(inValuePath: boolean): Filter {
    if (this.isWord(this.peek(), 'not')) {
      this.next();
      return { kind: 'not', filter: this.parseNot(inValuePath) };
    }
    return this.parseUnary(inValuePath);
  }

  private parseUnary(inValuePath: boolean): Filter {
    const tok = this.next();
    if (!tok) this.fail('expected an expression');
    if (tok.t === '(') {
      const f = this.parseOr(inValuePath);
      const close = this.next();
      if (close?.t !== ')') this.fail('expected ")"', close);
      return f;
    }
    if (tok.t !== 'word') this.fail(`expected an attribute, found ${describe(tok)}`, tok);
    const path = attrPathOf(tok.v);
    if (!path) this.fail(`invalid attribute name ${JSON.stringify(tok.v)}`, tok);
    if (this.peek()?.t === '[') {
      if (inValuePath) this.fail('nested "[" is not allowed', this.peek());
      if (path.sub !== undefined) this.fail('a value filter applies to an attribute, not a sub-attribute', tok);
      this.next();
      const inner = this.parseOr(true);
      const close = this.next();
      if (close?.t !== ']') this.fail('expected "]"', close);
      // Entra ID's `emails[type eq "work"].value eq "x"`: a sub-attribute comparison inside the same element.
      const after = this.peek();
      if (after?.t === 'word' && after.v.startsWith('.')) {
        this.next();
        const sub = after.v.slice(1);
        if (!/^\$?[A-Za-z][\w$-]*$/.test(sub)) this.fail(`invalid sub-attribute ${JSON.stringify(sub)}`, after);
        const cmp = this.parseComparison({ attr: sub });
        return { kind: 'valuePath', path, filter: { kind: 'and', left: inner, right: cmp } };
      }
      return { kind: 'valuePath', path, filter: inner };
    }
    if (inValuePath && (path.urn !== undefined || path.sub !== undefined)) this.fail('inside "[ ]" only sub-attribute names are allowed', tok);
    return this.parseComparison(path);
  }

  private parseComparison(path: AttrPath): Filter {
    const opTok = this.next();
    if (opTok?.t !== 'word') this.fail('expected an operator (eq, ne, co, sw, ew, pr, gt, ge, lt, le)', opTok);
    const op = opTok.v.toLowerCase();
    if (op === 'pr') return { kind: 'present', path };
    if (!(COMPARE_OPS as readonly string[]).includes(op)) this.fail(`unknown operator ${JSON.stringify(opTok.v)}`, opTok);
    const valTok = this.next();
    if (!valTok) this.fail(`expected a value after ${op}`);
    return { kind: 'compare', op: op as CompareOp, path, value: valueOf(valTok, (m) => this.fail(m, valTok)) };
  }
}

function valueOf(tok: Token, fail: (msg: string) => never): CompValue {
  if (tok.t === 'string') return tok.v;
  if (tok.t !== 'word') return fail(`expected a value, found ${describe(tok)}`);
  const w = tok.v.toLowerCase();
  if (w === 'true') return true;
  if (w === 'false') return false;
  if (w === 'null') return null;
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(tok.v)) return Number(tok.v);
  return fail(`expected a value (a quoted string, number, true, false or null), found ${JSON.stringify(tok.v)}`);
}

function describe(tok: Token): string {
  if (tok.t === 'word') return JSON.stringify(tok.v);
  if (tok.t === 'string') return `the string ${JSON.stringify(tok.v)}`;
  return `"${tok.t}"`;
}

function attrPathOf(text: string): AttrPath | undefined {
  if (['and', 'or', 'not'].includes(text.toLowerCase())) return undefined;
  return splitAttrPath(text);
}

/** Parses a filter expression; throws FilterSyntaxError (→ 400 invalidFilter). */
export function parseFilter(text: string): Filter {
  return new Parser(tokenize(text), text).parseAll();
}

/** Parses a PATCH `path`; throws FilterSyntaxError (→ 400 invalidPath). */
export function parsePatchPath(text: string): PatchPath {
  const open = text.indexOf('[');
  if (open < 0) {
    const path = splitAttrPath(text.trim());
    if (!path) throw new FilterSyntaxError(`invalid path ${JSON.stringify(text)}`);
    return { path };
  }
  const path = splitAttrPath(text.slice(0, open).trim());
  if (!path || path.sub !== undefined) throw new FilterSyntaxError(`invalid path ${JSON.stringify(text)}`);
  // Find the closing bracket outside of quoted strings.
  let j = open + 1;
  let inString = false;
  for (; j < text.length; j++) {
    const c = text[j];
    if (inString) {
      if (c === '\\') j += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === ']') break;
  }
  if (j >= text.length) throw new FilterSyntaxError(`missing "]" in path ${JSON.stringify(text)}`);
  const innerText = text.slice(open + 1, j);
  const filter = new Parser(tokenize(innerText), innerText).parseValueFilter();
  const rest = text.slice(j + 1).trim();
  let sub: string | undefined;
  if (rest !== '') {
    if (!/^\.\$?[A-Za-z][\w$-]*$/.test(rest)) throw new FilterSyntaxError(`invalid sub-attribute after "]" in path ${JSON.stringify(text)}`);
    sub = rest.slice(1);
  }
  return { path, filter, ...(sub !== undefined ? { sub } : {}) };
}
