import { catalogue, type ErrorCode } from './catalogue.js';
import type { ErrorDefinition } from './definition.js';
import { renderText, type ErrorParams, type StoredError } from './app-error.js';

/** An error as an admin sees it: the shape the API returns and the UI shows. */
export interface RenderedError {
  code: ErrorCode;
  title: string;
  message: string;
  resolution: string;
  /** The fix in the command line's own words, where the catalogue has them (the CLI prints it instead). */
  cliResolution?: string;
  scope: string;
  retry: string;
}

/** Where the error is shown: the UI/API (default) or the command line (its own words for the fix). */
export type ErrorSurface = 'ui' | 'cli';

/**
 * The web UI's menus and buttons in the command line's words, for fixes the catalogue words
 * for the UI only (most name "three-dot menu > Edit" or "Test connection"). A fix with its own
 * `cliResolution` is used as written.
 */
const CLI_WORDS: readonly (readonly [RegExp, string])[] = [
  [/open the connection \(three-dot menu > Edit\)/g, 'edit the connection (`syncwarden connections edit <connection> --set …`)'],
  [/(?:via |in )?(?:the )?three-dot menu > Edit(?: > credential)?(?: on the [A-Za-z0-9 ]+ connection)?/g, 'with `syncwarden connections edit <connection>` (its credential options)'],
  [/(?:the )?three-dot menu > Rotate credential on the connection/g, '`syncwarden connections rotate <connection>`'],
  [/use Test connection(?: from the three-dot menu)?/g, 'run `syncwarden connections test <connection>`'],
];

function cliWords(text: string): string {
  return CLI_WORDS.reduce((t, [re, words]) => t.replace(re, words), text);
}

function cliResolutionOf(def: ErrorDefinition, params: ErrorParams): string | undefined {
  if (def.cliResolution) return renderText(def.cliResolution, params);
  const ui = renderText(def.resolution, params);
  const cli = cliWords(ui);
  return cli === ui ? undefined : cli;
}

export function renderError(code: ErrorCode, params: ErrorParams = {}, surface: ErrorSurface = 'ui'): RenderedError {
  const def: ErrorDefinition = catalogue[code];
  return {
    code,
    title: def.title,
    message: renderText(def.cause, params),
    resolution: (surface === 'cli' && cliResolutionOf(def, params)) || renderText(def.resolution, params),
    scope: def.scope,
    retry: def.retry,
  };
}

export function renderStored(stored: StoredError | null): RenderedError | null {
  if (!stored) return null;
  const r = renderError(stored.code, stored.params);
  // Errors stored and shown later (findings, last errors, run errors) reach the CLI through
  // the same views as the UI: they carry the CLI's wording of the fix along.
  const cli = cliResolutionOf(catalogue[stored.code] as ErrorDefinition, stored.params);
  return cli ? { ...r, cliResolution: cli } : r;
}

/** The fix as the command line shows it. */
export function cliFix(e: { resolution: string; cliResolution?: string | undefined }): string {
  return e.cliResolution ?? e.resolution;
}
