import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Real databases and child processes: give slow machines room, never rely on fixed sleeps.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Fresh code only, and one temporary root per run that is removed afterwards.
    globalSetup: ['test/support/global-setup.ts'],
  },
});
