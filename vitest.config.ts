import { defineConfig } from 'vitest/config';

/**
 * Three tiers, each its own npm script (CI runs all three):
 * - unit:    `npm test` — needs nothing but Node (embedded SQLite, sandbox on loopback).
 * - pg:      `npm run test:pg` — the store/engine/sync suites again on PostgreSQL (DATABASE_URL).
 * - browser: `npm run test:browser` — Debian's Chromium driven by playwright-core.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.{ts,tsx}'],
          exclude: ['**/*.pg.test.ts', 'test/browser/**', 'node_modules/**', 'dist/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'pg',
          include: ['src/**/*.pg.test.ts', 'test/**/*.pg.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
