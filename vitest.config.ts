import { defineConfig } from 'vitest/config';

const shared = { testTimeout: 60_000, hookTimeout: 120_000 };

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        // Unit and package tests: two files at a time (the CI machine has 2 cores). The few that
        // boot a guest keep it to one small VM each.
        test: { ...shared, name: 'unit', include: ['packages/*/src/**/*.test.ts'], fileParallelism: true, maxWorkers: 2, minWorkers: 1, sequence: { groupOrder: 0 } },
      },
      {
        // End-to-end tests boot several real QEMU guests each: one file at a time.
        // They run after the unit tests, never beside them.
        test: { ...shared, name: 'e2e', include: ['test/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
