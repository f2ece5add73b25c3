import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSyncwarden, type Running, type StartOptions } from '../../src/runtime/start.js';
import { webDir } from '../../src/runtime/paths.js';
import { createLogger } from '../../src/runtime/logger.js';
import { findUserByEmail } from '../../src/auth/users.js';
import type { Role } from '../../src/auth/permissions.js';
import { apiClient, ensureUser, sessionFor, tokenFor, type ApiFn } from './auth.js';

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
  /** The signed-in user's email (null when the browser is not signed in). */
  readonly email: string | null;
  /** The API of the booted app, as the UI calls it. */
  api(path: string, init?: RequestInit): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  stop(): Promise<void>;
}

export interface BrowserAppOptions {
  /** Worker concurrency (2 unless set). */
  readonly concurrency?: number;
  /** Runs after the app started and before the browser opens (faults, budgets, receivers). */
  readonly beforeBrowser?: (running: Running, api: ApiFn) => Promise<void>;
  readonly newPage?: Parameters<Browser['newPage']>[0];
  readonly start?: Partial<StartOptions>;
  /**
   * Who the browser is signed in as: the first owner (default), a user of another role, or
   * nobody (`null`: the page shows the sign-in form).
   */
  readonly signedInAs?: Role | null;
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
  const owner = await findUserByEmail(running.rt, 'owner@localhost');
  if (!owner) throw new Error('the first start made no owner');
  // The test's own calls act as the first owner, with an API token.
  const api = apiClient(running.url!, { authorization: `Bearer ${await tokenFor(running.rt, owner.id, 'owner', 'browser-test-owner')}` });
  await opts.beforeBrowser?.(running, api);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage(opts.newPage);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(`${e.message}\n${e.stack ?? ''}`));
  // Signed in the way a person is: a server-side session whose cookies the browser holds.
  const role = opts.signedInAs === undefined ? 'owner' : opts.signedInAs;
  let email: string | null = null;
  if (role !== null) {
    const userId = role === 'owner' ? owner.id : await ensureUser(running.rt, role);
    email = role === 'owner' ? owner.email : `${role}@example.test`;
    const s = await sessionFor(running.rt, userId);
    await page.context().addCookies([
      { name: 'sw_session', value: s.token, url: running.url!, httpOnly: true, sameSite: 'Lax' },
      { name: 'sw_csrf', value: s.csrf, url: running.url!, sameSite: 'Lax' },
    ]);
  }
  return {
    running,
    browser,
    page,
    dataDir,
    pageErrors,
    email,
    api,
    async stop() {
      await browser.close();
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
