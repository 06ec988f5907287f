import { defineConfig } from 'vitest/config';

const shared = { testTimeout: 60_000, hookTimeout: 120_000 };

/**
 * End-to-end files that run alone: those that measure time or CPU (metrics, alerts, health
 * checks, HA timings, the browser's charts), and confinement, which checks QEMU uids that every
 * daemon hands out from the same base.
 */
const alone = ['cluster', 'web-ui', 'self-healing', 'alerts-webhooks', 'metrics', 'confinement'].map((f) => `test/e2e/${f}.test.ts`);

export default defineConfig({
  test: {
    reporters: ['default'],
    // The pool of worker processes is the run's, not a project's: vitest's default (one fewer
    // than the CPUs) would run test files one at a time on a 2-CPU machine, where most of them
    // wait on processes, sockets, guests and timers rather than compute.
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      {
        // Unit and package tests, two files at a time. The few that boot a guest keep it to one small VM each.
        test: { ...shared, name: 'unit', include: ['packages/*/src/**/*.test.ts'], sequence: { groupOrder: 0 } },
      },
      {
        // End-to-end tests boot real QEMU guests, each file with a daemon and namespaces of its
        // own: two files at a time, after the unit tests.
        test: { ...shared, name: 'e2e', include: ['test/**/*.test.ts'], exclude: alone, sequence: { groupOrder: 1 } },
      },
      {
        // Then the ones that run alone, one file at a time in one worker process.
        test: { ...shared, name: 'e2e-alone', include: alone, poolOptions: { forks: { singleFork: true } }, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
