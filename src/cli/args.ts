/** Command-line parsing for `npm run stylize`; every problem becomes a UsageError with a one-line message. */
import { parseArgs } from 'node:util';
import { OPTION_CATALOG } from '../commands/option-catalog.js';
import type { BackendName, TransferOptions } from '../engine/types.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `Usage:
  npm run stylize -- <content> <style>[:weight] [more styles...] [options]
  npm run stylize -- --palette <style>[:weight] [more styles...] [options]
  npm run stylize -- <content> <style> --upscale <result.png> [options]

Options:
  --out <dir>              where result.png / palette.png go (default: out)
  --size <px>              longest side of the result
  --iterations <n>         optimizer steps
  --tiles auto|<n>|sweep   repeat the style n×n before taking its Gram matrices (default auto:
                           1 for a painting, texture or landscape, more for an object or a subject
                           photo); with --palette, sweep writes palette-sweep.png: the palettes at
                           1, 2, 4 and 8 tiles side by side, each at half the size
  --crop auto|none         auto (default) cuts a tiled style to its subject first: a face with its
                           head and shoulders, or an object on a plain background; none keeps the
                           whole picture
  --strength <1-10>        how far the style may take over (default 5): lower keeps more of the
                           photo, higher lets the style's objects take over
  --schedule quick|classic quick (default) stops converged levels early; classic runs every step
  --style <file[:weight]>  another style image (repeatable); weights blend the styles
  --balance auto|manual    auto (default) balances content and style to --strength; manual uses
                           --style-weight and --content-weight as they are
  --style-weight <w>  --content-weight <w>
                           raw weights; giving either switches to --balance manual unless
                           --balance says otherwise (--balance auto ignores them)
  --tv-weight <w>          smoothness
  --optimizer lbfgs|adam   --init content|noise|style   --seed <n>
  --preserve-colors        keep the content image's colours
  --color-match auto|none|image|object
                           give the style the photo's colours before its strokes are learnt:
                           image matches the whole style's colour statistics to the photo's;
                           object matches an object cut out on a plain background by its own
                           pixels and paints the background in the photo's mean colour; auto
                           (default) is image for a tiled style and none for a painting
  --style-scale <s>        style features' size relative to the result
  --scales <n>             coarse-to-fine levels
  --learning-rate <lr>     Adam step size
  --no-palette             skip palette.png when stylizing
  --upscale <result.png>   redraw that result of <content> and <style> at twice its size (or --size)
                           starting from itself, into upscaled.png; its options come from the
                           result.json beside it when there is one
  --backend onnx|tfjs  --device cpu|webgpu|cuda:N  --threads <n>
  --model-dir <dir>        VGG19 weights (default: TILESTYLE_MODEL_DIR, else downloaded to models/vgg19)
  --help`;

export interface StyleArg {
  file: string;
  weight?: number;
}

export interface CliArgs {
  mode: 'stylize' | 'palette' | 'upscale';
  content?: string;
  /** The result to redraw larger (mode 'upscale'). */
  upscale?: string;
  styles: StyleArg[];
  out: string;
  palette: boolean;
  /** --palette --tiles sweep: the palettes at 1, 2, 4 and 8 tiles in one picture. */
  sweep: boolean;
  options: Partial<TransferOptions>;
  backend?: BackendName;
  device?: string;
  threads?: number;
  modelDir?: string;
  help: boolean;
}

/** 'guitar.png:0.3' → { file: 'guitar.png', weight: 0.3 }; a plain path keeps any colons it has. */
export function parseStyleArg(text: string): StyleArg {
  const m = /^(.+):([^:]+)$/.exec(text);
  if (m && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(m[2])) {
    const weight = Number(m[2]);
    if (!(weight > 0)) throw new UsageError(`The blend weight of style ${m[1]} must be a positive number (got ${m[2]}).`);
    return { file: m[1], weight };
  }
  return { file: text };
}

function number(flag: string, text: string | undefined, integer = false): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${flag} must be a number (got '${text}').`);
  if (integer && !Number.isInteger(value)) throw new UsageError(`--${flag} must be a whole number (got '${text}').`);
  return value;
}

/** 'auto' or a whole number of tiles (the engine checks the range, as for every other number); 'sweep' is read apart. */
function tiles(text: string | undefined): number | 'auto' | undefined {
  if (text === undefined || text === 'auto' || text === 'sweep') return text === 'sweep' ? undefined : text;
  if (!/^[-+]?\d+$/.test(text.trim())) throw new UsageError(`--tiles must be auto, sweep or a whole number (got '${text}').`);
  return Number(text);
}

/** Checked here, in the words the chat commands use (option-catalog.ts); the engine checks the other ranges. */
function strength(text: string | undefined): number | undefined {
  const value = number('strength', text);
  const spec = OPTION_CATALOG.strength;
  const bounds = spec.bounds();
  if (value !== undefined && (value < bounds.min || value > bounds.max)) throw new UsageError(`--${spec.outOfRange(value, bounds)}`);
  return value;
}

function oneOf<T extends string>(flag: string, text: string | undefined, allowed: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')} (got '${text}').`);
  }
  return text as T;
}

/** Flags that take a value; a negative number after one of them is its value, not another flag. */
const VALUE_FLAGS = new Set([
  'style',
  'out',
  'size',
  'iterations',
  'tiles',
  'crop',
  'strength',
  'schedule',
  'balance',
  'style-weight',
  'content-weight',
  'tv-weight',
  'optimizer',
  'init',
  'seed',
  'style-scale',
  'scales',
  'learning-rate',
  'backend',
  'device',
  'threads',
  'model-dir',
]);

/**
 * parseArgs reads "--size -5" as a flag missing its value ("argument is ambiguous"); joining it as
 * "--size=-5" lets the number checks explain what is wrong with -5 instead.
 */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const next = argv[i + 1];
    if (token.startsWith('--') && VALUE_FLAGS.has(token.slice(2)) && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${token}=${next}`);
      i++;
    } else {
      out.push(token);
    }
  }
  return out;
}

/**
 * Raw weights set the balance by hand unless --balance says otherwise. Strength only steers the
 * automatic balance, so strength with a manual balance would go unused: that is refused.
 */
function balance(given: 'auto' | 'manual' | undefined, o: Partial<TransferOptions>): 'auto' | 'manual' | undefined {
  const weights = o.styleWeight !== undefined || o.contentWeight !== undefined;
  const mode = given ?? (weights ? 'manual' : undefined);
  if (mode === 'manual' && o.strength !== undefined) {
    throw new UsageError(
      given === 'manual'
        ? '--strength steers the automatic balance: drop it, or --balance manual.'
        : '--strength sets the balance for you, --style-weight and --content-weight set it by hand: give one or the other.',
    );
  }
  return mode;
}

export function parseCliArgs(argv: string[]): CliArgs {
  // biome-ignore lint/suspicious/noImplicitAnyLet: parseArgs's result type follows the options literal below, which a named type would only repeat.
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv),
      allowPositionals: true,
      strict: true,
      options: {
        palette: { type: 'boolean', default: false },
        'no-palette': { type: 'boolean', default: false },
        upscale: { type: 'string' },
        style: { type: 'string', multiple: true },
        out: { type: 'string', default: 'out' },
        size: { type: 'string' },
        iterations: { type: 'string' },
        tiles: { type: 'string' },
        crop: { type: 'string' },
        strength: { type: 'string' },
        schedule: { type: 'string' },
        balance: { type: 'string' },
        'style-weight': { type: 'string' },
        'content-weight': { type: 'string' },
        'tv-weight': { type: 'string' },
        optimizer: { type: 'string' },
        init: { type: 'string' },
        seed: { type: 'string' },
        'preserve-colors': { type: 'boolean' },
        'color-match': { type: 'string' },
        'style-scale': { type: 'string' },
        scales: { type: 'string' },
        'learning-rate': { type: 'string' },
        backend: { type: 'string' },
        device: { type: 'string' },
        threads: { type: 'string' },
        'model-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    // parseArgs explains unknown flags and missing values well; keep its first sentence.
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new UsageError(message);
  }
  const { values: v, positionals } = parsed;
  const help = v.help === true;
  if (v.palette && v.upscale !== undefined) throw new UsageError('--palette and --upscale do not go together (see --help).');
  const mode = v.palette ? 'palette' : v.upscale !== undefined ? 'upscale' : 'stylize';
  const content = mode !== 'palette' ? positionals[0] : undefined;
  const styleFiles = mode !== 'palette' ? positionals.slice(1) : positionals;
  const styles = [...styleFiles, ...(v.style ?? [])].map(parseStyleArg);
  if (!help) {
    if (mode !== 'palette' && (!content || styles.length === 0)) {
      throw new UsageError('Give a content image and a style image, or --palette and a style image (see --help).');
    }
    if (styles.length === 0) throw new UsageError('Give at least one style image (see --help).');
  }

  const sweep = v.tiles === 'sweep';
  if (sweep && mode !== 'palette' && !help) {
    throw new UsageError('--tiles sweep goes with --palette: it shows the palettes at 1, 2, 4 and 8 tiles side by side.');
  }
  const options: Partial<TransferOptions> = {};
  const set = <K extends keyof TransferOptions>(key: K, value: TransferOptions[K] | undefined) => {
    if (value !== undefined) options[key] = value;
  };
  set('size', number('size', v.size, true));
  set('iterations', number('iterations', v.iterations, true));
  set('tiles', tiles(v.tiles));
  set('crop', oneOf('crop', v.crop, ['auto', 'none'] as const));
  set('strength', strength(v.strength));
  set('schedule', oneOf('schedule', v.schedule, ['quick', 'classic'] as const));
  set('styleWeight', number('style-weight', v['style-weight']));
  set('contentWeight', number('content-weight', v['content-weight']));
  set('balance', balance(oneOf('balance', v.balance, ['auto', 'manual'] as const), options));
  set('tvWeight', number('tv-weight', v['tv-weight']));
  set('optimizer', oneOf('optimizer', v.optimizer, ['lbfgs', 'adam'] as const));
  set('init', oneOf('init', v.init, ['content', 'noise', 'style'] as const));
  set('seed', number('seed', v.seed, true));
  set('preserveColors', v['preserve-colors']);
  set('colorMatch', oneOf('color-match', v['color-match'], ['auto', 'none', 'image', 'object'] as const));
  set('styleScale', number('style-scale', v['style-scale']));
  set('scales', number('scales', v.scales, true));
  set('learningRate', number('learning-rate', v['learning-rate']));

  const threads = number('threads', v.threads, true);
  if (threads !== undefined && threads < 1) throw new UsageError(`--threads must be at least 1 (got ${threads}).`);
  const device = v.device;
  if (device !== undefined && !/^(cpu|webgpu|cuda(:\d+)?)$/.test(device)) {
    throw new UsageError(`--device must be cpu, webgpu or cuda:N (got '${device}').`);
  }
  return {
    mode,
    content,
    styles,
    out: v.out ?? 'out',
    palette: mode === 'palette' || (mode === 'stylize' && !v['no-palette']),
    sweep,
    ...(v.upscale !== undefined ? { upscale: v.upscale } : {}),
    options,
    backend: oneOf('backend', v.backend, ['onnx', 'tfjs'] as const),
    device,
    threads,
    modelDir: v['model-dir'],
    help,
  };
}
