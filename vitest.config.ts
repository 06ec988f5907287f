import { defineConfig } from 'vitest/config';

const shared = { testTimeout: 60_000, hookTimeout: 120_000 };

export default defineConfig({
  test: {
    reporters: ['default'],
    // The pool of worker processes is the run's, not a project's: vitest's default (one fewer
    // than the CPUs) would run unit test files one at a time on a 2-CPU machine, where most of
    // them wait on processes, sockets and timers rather than compute.
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      {
        // Unit and package tests: two files at a time. The few that boot a guest keep it to one small VM each.
        test: { ...shared, name: 'unit', include: ['packages/*/src/**/*.test.ts'], sequence: { groupOrder: 0 } },
      },
      {
        // End-to-end tests boot several real QEMU guests each: one file at a time, in one worker
        // process. They run after the unit tests, never beside them.
        test: { ...shared, name: 'e2e', include: ['test/**/*.test.ts'], poolOptions: { forks: { singleFork: true } }, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
