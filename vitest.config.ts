import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Each test file starts its own local servers on free ports; two at a time fits a 2-core machine.
    maxWorkers: 2,
  },
});
