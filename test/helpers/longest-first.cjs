/**
 * Runs the test files that take longest first (measured on 2 cores; the list need not be exact),
 * then the rest as jest orders them. With two workers, a long file that started last would leave
 * the other worker idle until it ends.
 */
const Sequencer = require('@jest/test-sequencer').default;
const path = require('node:path');

const LONGEST_FIRST = [
  'engine-quality',
  'engine-transfer',
  'engine-shapes',
  'load',
  'cli',
  'device-bundle',
  'engine-release',
  'discord',
  'engine-upscale',
  'shutdown-recovery',
  'main',
  'slack-rules',
  'commands',
  'slack',
  'slack-buttons',
  'discord-rules',
  'engine-parity',
  'store',
  'engine-onnx',
  'queue',
  'cluster',
  'redis-upscale',
  'web-e2e',
];

class LongestFirst extends Sequencer {
  sort(tests) {
    const rank = (test) => {
      const i = LONGEST_FIRST.indexOf(path.basename(test.path, '.test.ts'));
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    const byJest = super.sort(tests);
    return byJest
      .map((test, i) => ({ test, i }))
      .sort((a, b) => rank(a.test) - rank(b.test) || a.i - b.i)
      .map(({ test }) => test);
  }
}

module.exports = LongestFirst;
