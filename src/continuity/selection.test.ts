import { describe, expect, it } from 'vitest';
import { destinationEmailFor, selectionSchema, selects } from './selection.js';

const ada = { id: '1', userPrincipalName: 'Ada.Lovelace@contoso.com', mail: 'ada@contoso.com', displayName: 'Ada', givenName: 'Ada', surname: 'Lovelace', accountEnabled: true };

describe('selection rules', () => {
  it('all users minus exclusions, case-insensitively', () => {
    expect(selects(selectionSchema.parse({}), ada)).toBe(true);
    expect(selects(selectionSchema.parse({ exclude: ['ADA.LOVELACE@contoso.com'] }), ada)).toBe(false);
    expect(selects(selectionSchema.parse({ exclude: ['ada@contoso.com'] }), ada)).toBe(false);
  });

  it('a list selects only its members', () => {
    expect(selects(selectionSchema.parse({ mode: 'list', include: ['ada@contoso.com'] }), ada)).toBe(true);
    expect(selects(selectionSchema.parse({ mode: 'list', include: ['bob@contoso.com'] }), ada)).toBe(false);
  });

  it('never selects a disabled account', () => {
    expect(selects(selectionSchema.parse({}), { ...ada, accountEnabled: false })).toBe(false);
  });

  it('maps the address onto the destination domain', () => {
    expect(destinationEmailFor(ada, 'Standby.example')).toBe('ada@standby.example');
    expect(destinationEmailFor({ ...ada, mail: null }, 'x.test')).toBe('ada.lovelace@x.test');
  });
});
