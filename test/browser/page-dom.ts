/**
 * The page's `document` as the functions given to `page.evaluate` / `page.waitForFunction`
 * see it: they are serialised and run in Chromium, not in Node, so the tests (type-checked
 * without the DOM library, which would change Node's own types) declare just what they touch.
 */
interface PageElement {
  readonly textContent: string | null;
}

export interface PageDocument {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): { readonly length: number };
  readonly cookie: string;
  readonly documentElement: { readonly scrollWidth: number; readonly clientWidth: number };
}
