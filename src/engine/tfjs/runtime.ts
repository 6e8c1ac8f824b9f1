/**
 * Picks and initialises the TensorFlow.js runtime once per process: the native bindings
 * (tfjs-node-gpu, tfjs-node) when installed, else WebAssembly, else the plain JavaScript CPU backend.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs'; // the full bundle registers the gradient functions tf.grad needs

export type Tf = typeof tf;

let ready: Promise<string> | null = null;

async function tryNative(pkg: string): Promise<boolean> {
  try {
    // Optional packages, resolved at run time only.
    await import(/* webpackIgnore: true */ pkg);
    return tf.getBackend() === 'tensorflow' || (await tf.setBackend('tensorflow'));
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Under Node the .wasm binaries are read from disk: point the loader at the package's dist folder.
    const require = createRequire(import.meta.url);
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    wasm.setWasmPaths(`${path.join(dist, 'dist')}${path.sep}`);
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

/** Initialises the best available runtime and returns its name ('tensorflow', 'wasm' or 'cpu'). */
export function initTf(): Promise<string> {
  ready ??= (async () => {
    if ((await tryNative('@tensorflow/tfjs-node-gpu')) || (await tryNative('@tensorflow/tfjs-node'))) return 'tensorflow';
    if (await tryWasm()) return 'wasm';
    await tf.setBackend('cpu');
    return 'cpu';
  })();
  return ready.then(async (name) => {
    await tf.ready();
    return name;
  });
}

export { tf };
