/** Weights and warm engines as both processes that compute (`npm start`, `npm run worker`) set them up. */
import type { Settings } from './settings.js';
import { Engine } from './engine/index.js';
import { DEFAULT_CACHE_DIR, ensureModelDir } from './engine/model-store.js';
import { ThreadEngine } from './jobs/engine-thread.js';

/** The configured weights directory, or the download cache filled (and checked) on first use. */
export function modelDirFor(settings: Settings): Promise<string> {
  return ensureModelDir({
    ...(settings.modelDir ? { dir: settings.modelDir } : {}),
    ...(settings.modelBaseUrl ? { baseUrl: settings.modelBaseUrl } : {}),
    cacheDir: DEFAULT_CACHE_DIR,
    onDownload: (file, index, count) => console.info(`Downloading VGG19 weights: ${index + 1}/${count} (${file})`),
  });
}

function engineOptions(settings: Settings, modelDir: string, device: string) {
  return {
    modelDir,
    device,
    ...(settings.backend ? { backend: settings.backend } : {}),
    ...(settings.threads ? { threads: settings.threads } : {}),
  };
}

/** An engine on one device with its sessions built, so the first job does not pay for them. */
export async function warmEngine(settings: Settings, modelDir: string, device: string): Promise<Engine> {
  const engine = await Engine.create(engineOptions(settings, modelDir, device));
  await engine.warm();
  return engine;
}

/**
 * The same, in a worker thread of its own (the one-process mode, `npm start`): onnxruntime-node runs a
 * session synchronously on the thread that calls it, so an engine beside the bots would hold their
 * event loop for most of every step. (`npm run worker` has no bots to keep answering.)
 */
export function threadedEngine(settings: Settings, modelDir: string, device: string): Promise<ThreadEngine> {
  return ThreadEngine.start(engineOptions(settings, modelDir, device), true);
}
