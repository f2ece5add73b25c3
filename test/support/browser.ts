import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSyncwarden, type Running, type StartOptions } from '../../src/runtime/start.js';
import { webDir } from '../../src/runtime/paths.js';
import { createLogger } from '../../src/runtime/logger.js';

/** Debian's Chromium (never a downloaded browser); `CHROMIUM_PATH` points elsewhere. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** The flags this machine's closed network needs (see the env skill): no background traffic. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface BrowserApp {
  readonly running: Running;
  readonly browser: Browser;
  readonly page: Page;
  readonly dataDir: string;
  /** Uncaught errors thrown in the page since boot (a test may assert it stays empty). */
  readonly pageErrors: string[];
  /** The API of the booted app, as the UI calls it. */
  api(path: string, init?: RequestInit): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export interface BrowserAppOptions {
  /** Worker concurrency (2 unless set). */
  readonly concurrency?: number;
  /** Runs after the app started and before the browser opens (faults, budgets, receivers). */
  readonly beforeBrowser?: (running: Running) => Promise<void>;
  readonly newPage?: Parameters<Browser['newPage']>[0];
  readonly start?: Partial<StartOptions>;
}

/**
 * Boots the same composition as `npm start` — sandbox, demo tenant, workers, scheduler — on a
 * temporary data directory and free ports, then opens a Chromium page on it: every browser test
 * starts here, so a change in how the product boots is made once.
 */
export async function bootBrowserApp(opts: BrowserAppOptions = {}): Promise<BrowserApp> {
  if (!existsSync(join(webDir(), 'index.html'))) throw new Error(`the web UI is not built (${webDir()}): run \`npm run build\` first`);
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
  const dataDir = mkdtempSync(join(tmpdir(), 'sw-browser-'));
  const running = await startSyncwarden({
    dataDir,
    port: 0,
    sandbox: { basePort: 0, demo: true },
    worker: { concurrency: opts.concurrency ?? 2 },
    scheduler: true,
    schedulerTickMs: 1000,
    log: createLogger('warn'),
    ...opts.start,
  });
  await opts.beforeBrowser?.(running);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage(opts.newPage);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(`${e.message}\n${e.stack ?? ''}`));
  const api = async (path: string, init: RequestInit = {}) => {
    const headers = init.body !== undefined ? { 'content-type': 'application/json', ...(init.headers ?? {}) } : init.headers;
    const res = await fetch(`${running.url}/api/v1${path}`, { ...init, headers });
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, body };
  };
  return {
    running,
    browser,
    page,
    dataDir,
    pageErrors,
    api,
    async stop() {
      await browser.close();
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
