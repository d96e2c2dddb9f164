import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (file: string) => fileURLToPath(new URL(`./src/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^omniscient-actors\/sqlite$/, replacement: source('sqlite.ts') },
      { find: /^omniscient-actors\/postgres$/, replacement: source('postgres.ts') },
      { find: /^omniscient-actors\/redis$/, replacement: source('redis.ts') },
      { find: /^omniscient-actors\/testing$/, replacement: source('testing.ts') },
      { find: /^omniscient-actors\/conformance$/, replacement: source('conformance.ts') },
      { find: /^omniscient-actors$/, replacement: source('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Two files at a time: most specifications wait on servers, child processes and timers rather
    // than compute, so two share the two cores well (one at a time left them idle half the run).
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // expect.poll waits for what a page or another process does: on a loaded machine that takes
    // more than the default second. It only waits longer on a failure.
    expect: { poll: { timeout: 10_000 } },
    typecheck: {
      enabled: true,
      include: ['test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
});
