import os from 'node:os';

// Two test files at a time on a 2-core machine: most files wait on child processes, servers or rate
// limits for much of their time, and an engine in a test uses one core per file (test/helpers/threads.ts).
// Pinned to one core (taskset), or with --runInBand, one file at a time whose engines use every core.
const cores = os.availableParallelism();
const inBand = process.argv.some((arg) => arg === '--runInBand' || arg === '-i');
const workers = inBand ? 1 : Math.min(cores, 4);
// Read by the test files' engines (threads per engine) in this process and in every jest worker.
process.env.TILESTYLE_TEST_WORKERS = String(workers);

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'es6' } }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  maxWorkers: workers,
  // The longest files first, so that no long file starts last while the other worker idles.
  testSequencer: '<rootDir>/test/helpers/longest-first.cjs',
  // A cap for a hung test, not a speed requirement: the suite must pass on a machine several times slower.
  testTimeout: 600000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
