import { defineConfig } from 'vitest/config';

/**
 * Three tiers, each its own npm script (CI runs all three):
 * - unit:    `npm test` — needs nothing but Node (embedded SQLite, sandbox on loopback).
 * - pg:      `npm run test:pg` — the store/engine/sync suites again on PostgreSQL (DATABASE_URL).
 * - browser: `npm run test:browser` — Debian's Chromium driven by playwright-core.
 */
export default defineConfig({
  test: {
    // Vitest's default is one worker fewer than the CPUs: one on the 2-core CI machine, which
    // leaves a core idle while a file waits on its sandbox, its child processes or its clock.
    // Two files at a time keep both busy (the pg and browser tiers still run one file at a time).
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.{ts,tsx}'],
          exclude: ['**/*.pg.test.ts', 'test/browser/**', 'node_modules/**', 'dist/**'],
          // Room for a slow file sharing the CPU with another; a test that hangs still fails.
          testTimeout: 60_000,
          hookTimeout: 120_000,
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
