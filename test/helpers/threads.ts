/**
 * Threads for an engine in a test: the cores this process may use, shared among the jest workers
 * that run beside it (jest.config.js sets TILESTYLE_TEST_WORKERS). More threads than cores only
 * spin-wait against each other; pinned to one core, every engine gets one thread.
 */
import os from 'node:os';

export const TEST_THREADS = Math.max(1, Math.floor(os.availableParallelism() / Math.max(1, Number(process.env.TILESTYLE_TEST_WORKERS) || 1)));
