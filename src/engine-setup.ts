/** Weights and warm engines as both processes that compute (`npm start`, `npm run worker`) set them up. */
import type { Settings } from './settings.js';
import { Engine } from './engine/index.js';
import { DEFAULT_CACHE_DIR, ensureModelDir } from './engine/model-store.js';

/** The configured weights directory, or the download cache filled (and checked) on first use. */
export function modelDirFor(settings: Settings): Promise<string> {
  return ensureModelDir({
    ...(settings.modelDir ? { dir: settings.modelDir } : {}),
    ...(settings.modelBaseUrl ? { baseUrl: settings.modelBaseUrl } : {}),
    cacheDir: DEFAULT_CACHE_DIR,
    onDownload: (file, index, count) => console.info(`Downloading VGG19 weights: ${index + 1}/${count} (${file})`),
  });
}

/** An engine on one device with its sessions built, so the first job does not pay for them. */
export async function warmEngine(settings: Settings, modelDir: string, device: string): Promise<Engine> {
  const engine = await Engine.create({
    modelDir,
    device,
    ...(settings.backend ? { backend: settings.backend } : {}),
    ...(settings.threads ? { threads: settings.threads } : {}),
  });
  await engine.warm();
  return engine;
}
