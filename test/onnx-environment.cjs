/**
 * Jest environment for tests that run onnxruntime-node: its native addon creates typed arrays in
 * Node's main realm, while jest's sandbox has its own Float32Array etc., so onnxruntime-common's
 * `instanceof` checks fail ("A float32 tensor's data must be type of Float32Array"). Sharing the
 * main realm's typed-array constructors with the sandbox fixes that.
 */
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

/** Where test/helpers/commands.ts keeps the engines it shares among the tests of one file. */
const TEST_ENGINES = Symbol.for('tilestyle.testEngines');

class OnnxEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }

  /**
   * After the file's own afterAll hooks, frees its shared engines: the next file in this process
   * makes its own, and each engine holds its weights and session arenas (hundreds of MB) natively.
   */
  async teardown() {
    const engines = this.global[TEST_ENGINES];
    if (engines) {
      const all = [...engines.values()];
      engines.clear();
      await Promise.allSettled(all.map(async (engine) => (await engine).dispose()));
    }
    await super.teardown();
  }
}

module.exports = OnnxEnvironment;
