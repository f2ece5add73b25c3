import { describe, expect, it } from 'vitest';
import { toCsv } from './csv.js';

describe('CSV export', () => {
  it('quotes what needs quoting and doubles quotes', () => {
    expect(toCsv(['a', 'b'], [['x, y', 'say "hi"'], ['line\nbreak', null]])).toBe('a,b\r\n"x, y","say ""hi"""\r\n"line\nbreak",\r\n');
  });
  it('defuses spreadsheet formulas', () => {
    expect(toCsv(['v'], [['=HYPERLINK("x")'], ['-1'], ['@cmd']])).toBe('v\r\n"\'=HYPERLINK(""x"")"\r\n\'-1\r\n\'@cmd\r\n');
  });
});
