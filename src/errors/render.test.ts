import { describe, expect, it } from 'vitest';
import { catalogue, type ErrorCode } from './catalogue.js';
import { cliFix, renderStored } from './render.js';

/**
 * A stored error reaches the CLI through the same views as the UI; where the catalogue words
 * the fix for the command line, the view carries that wording and the CLI prints it.
 */
describe('the fix in the command line\'s words', () => {
  it('a stored error carries the CLI wording along, rendered with its parameters; the CLI prints it', () => {
    const r = renderStored({ code: 'connection.secret_required', params: { field: 'config.baseUrl', secret: 'credential.token' } })!;
    expect(r.resolution).toContain('three-dot menu');
    expect(r.cliResolution).toContain('syncwarden connections edit <connection>');
    expect(r.cliResolution).toContain('config.baseUrl');
    expect(cliFix(r)).toBe(r.cliResolution);
  });

  it('a fix with nothing of the web UI in it is the same everywhere', () => {
    const r = renderStored({ code: 'provider.response_too_large', params: {} })!;
    expect(r.cliResolution).toBeUndefined();
    expect(cliFix(r)).toBe(r.resolution);
  });

  it('no fix shown on the command line sends its user to a menu or page of the web UI', () => {
    const uiOnly = /three-dot menu > (?:Edit|Rotate)|Reload the|Go to Connections, open|Refresh the connection|Directory page|Go to Connections|Open Connections|use Test connection/;
    const codes = Object.keys(catalogue) as ErrorCode[];
    const leaks = codes.filter((code) => uiOnly.test(cliFix(renderStored({ code, params: {} })!)));
    expect(leaks).toEqual([]);
    // The UI keeps its own words.
    expect(renderStored({ code: 'm365.client_secret_invalid', params: {} })!.resolution).toContain('three-dot menu');
  });
});
