import { parseCliArgs, parseStyleArg, UsageError, USAGE } from '../src/cli/args.js';

function usageError(argv: string[]): string {
  try {
    parseCliArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`expected a UsageError for ${argv.join(' ')}`);
}

describe('stylize command line', () => {
  it('reads content, styles with blend weights and transfer options', () => {
    const a = parseCliArgs([
      'dog.jpg',
      'guitar.png:0.7',
      '--style',
      'face.png:0.3',
      '--tiles',
      '4',
      '--size',
      '256',
      '--iterations',
      '200',
      '--style-weight',
      '1e4',
      '--tv-weight',
      '0.001',
      '--optimizer',
      'adam',
      '--init',
      'noise',
      '--seed',
      '42',
      '--preserve-colors',
      '--scales',
      '2',
      '--backend',
      'tfjs',
      '--device',
      'cpu',
      '--out',
      'here',
    ]);
    expect(a.mode).toBe('stylize');
    expect(a.content).toBe('dog.jpg');
    expect(a.styles).toEqual([
      { file: 'guitar.png', weight: 0.7 },
      { file: 'face.png', weight: 0.3 },
    ]);
    expect(a.options).toEqual({
      tiles: 4,
      size: 256,
      iterations: 200,
      styleWeight: 1e4,
      tvWeight: 0.001,
      optimizer: 'adam',
      init: 'noise',
      seed: 42,
      preserveColors: true,
      scales: 2,
      balance: 'manual',
    });
    expect([a.backend, a.device, a.out, a.palette]).toEqual(['tfjs', 'cpu', 'here', true]);
  });

  it('has a palette-only form', () => {
    const a = parseCliArgs(['--palette', 'guitar.png', '--tiles', '3']);
    expect(a.mode).toBe('palette');
    expect(a.content).toBeUndefined();
    expect(a.styles).toEqual([{ file: 'guitar.png' }]);
    expect(a.out).toBe('out');
  });

  it('has an upscale form that redraws a result and makes no palette', () => {
    const a = parseCliArgs(['dog.jpg', 'face.png', '--upscale', 'out/result.png', '--size', '1024']);
    expect([a.mode, a.content, a.upscale, a.palette]).toEqual(['upscale', 'dog.jpg', 'out/result.png', false]);
    expect(a.styles).toEqual([{ file: 'face.png' }]);
    expect(a.options).toEqual({ size: 1024 });
    expect(usageError(['face.png', '--upscale', 'out/result.png'])).toMatch(/content image and a style image/);
    expect(usageError(['--palette', 'face.png', '--upscale', 'out/result.png'])).toMatch(/do not go together/);
  });

  it('reads a negative number after a flag as its value, so the range check can explain it', () => {
    expect(parseCliArgs(['a.jpg', 'b.jpg', '--size', '-5', '--style-weight', '-.5']).options).toEqual({ size: -5, styleWeight: -0.5, balance: 'manual' });
  });

  it('reads strength, tiles auto and the schedule, leaving the rest to the defaults', () => {
    expect(parseCliArgs(['a.jpg', 'b.jpg', '--strength', '3', '--tiles', 'auto', '--schedule', 'classic']).options).toEqual({
      strength: 3,
      tiles: 'auto',
      schedule: 'classic',
    });
    expect(parseCliArgs(['a.jpg', 'b.jpg']).options).toEqual({});
  });

  it('reads the colour match and explains a wrong one', () => {
    expect(parseCliArgs(['a.jpg', 'b.jpg', '--color-match', 'object']).options).toEqual({ colorMatch: 'object' });
    expect(usageError(['a.jpg', 'b.jpg', '--color-match', 'photo'])).toMatch(/color-match.*auto, none, image, object/);
  });

  it('switches to the manual balance when a raw weight is given, unless --balance says otherwise', () => {
    expect(parseCliArgs(['a.jpg', 'b.jpg', '--content-weight', '5']).options).toEqual({ contentWeight: 5, balance: 'manual' });
    expect(parseCliArgs(['a.jpg', 'b.jpg', '--style-weight', '2', '--balance', 'auto']).options).toEqual({ styleWeight: 2, balance: 'auto' });
    expect(parseCliArgs(['a.jpg', 'b.jpg', '--balance', 'manual']).options).toEqual({ balance: 'manual' });
    expect(parseCliArgs(['a.jpg', 'b.jpg', '--strength', '8', '--balance', 'auto']).options).toEqual({ strength: 8, balance: 'auto' });
  });

  it('refuses a strength that a manual balance would leave unused', () => {
    expect(usageError(['a.jpg', 'b.jpg', '--strength', '8', '--content-weight', '5'])).toMatch(/--strength sets the balance for you.*give one or the other/);
    expect(usageError(['a.jpg', 'b.jpg', '--strength', '8', '--balance', 'manual'])).toMatch(/--strength steers the automatic balance/);
  });

  it('says in --help how the balance is chosen', () => {
    const help = parseCliArgs(['--help']);
    expect(help.help).toBe(true);
    expect(USAGE).toMatch(/--strength <1-10>/);
    expect(USAGE).toMatch(/--tiles auto\|<n>\|sweep/);
    expect(USAGE).toMatch(/--schedule quick\|classic/);
    expect(USAGE).toMatch(/giving either switches to --balance manual/);
  });

  it('keeps colons that are part of a path', () => {
    expect(parseStyleArg('C:/img/a.png')).toEqual({ file: 'C:/img/a.png' });
    expect(parseStyleArg('weird:name.png:2')).toEqual({ file: 'weird:name.png', weight: 2 });
  });

  it('explains bad command lines in one line', () => {
    expect(usageError(['a.jpg', 'b.jpg', '--frobnicate'])).toMatch(/Unknown option '--frobnicate'/);
    expect(usageError(['a.jpg', 'b.jpg', '--size', 'big'])).toBe("--size must be a number (got 'big').");
    expect(usageError(['a.jpg', 'b.jpg', '--tiles', '2.5'])).toBe("--tiles must be auto, sweep or a whole number (got '2.5').");
    expect(usageError(['a.jpg', 'b.jpg', '--tiles', 'many'])).toBe("--tiles must be auto, sweep or a whole number (got 'many').");
    expect(usageError(['a.jpg', 'b.jpg', '--tiles', 'sweep'])).toBe(
      '--tiles sweep goes with --palette: it shows the palettes at 1, 2, 4 and 8 tiles side by side.',
    );
    expect(usageError(['a.jpg', 'b.jpg', '--strength', '11'])).toBe('--strength must be from 1 (keep the photo) to 10 (the style takes over) (got 11).');
    expect(usageError(['a.jpg', 'b.jpg', '--strength', '-1'])).toMatch(/--strength must be from 1 .* \(got -1\)\.$/);
    expect(usageError(['a.jpg', 'b.jpg', '--strength', 'max'])).toBe("--strength must be a number (got 'max').");
    expect(usageError(['a.jpg', 'b.jpg', '--schedule', 'slow'])).toBe("--schedule must be one of quick, classic (got 'slow').");
    expect(usageError(['a.jpg', 'b.jpg', '--balance', 'even'])).toBe("--balance must be one of auto, manual (got 'even').");
    expect(usageError(['a.jpg', 'b.jpg', '--optimizer', 'sgd'])).toBe("--optimizer must be one of lbfgs, adam (got 'sgd').");
    expect(usageError(['a.jpg', 'b.jpg:0'])).toMatch(/blend weight of style b\.jpg must be a positive number/);
    expect(usageError(['a.jpg'])).toMatch(/content image and a style image/);
    expect(usageError(['--palette'])).toMatch(/at least one style image/);
    expect(usageError(['a.jpg', 'b.jpg', '--device', 'tpu'])).toMatch(/--device must be cpu, webgpu or cuda:N/);
    expect(usageError(['a.jpg', 'b.jpg', '--size'])).toMatch(/--size/);
    expect(usageError(['a.jpg', 'b.jpg', '--threads', '-2'])).toBe('--threads must be at least 1 (got -2).');
    for (const msg of [usageError(['a.jpg', 'b.jpg', '--frobnicate']), usageError(['a.jpg', 'b.jpg', '--size'])]) {
      expect(msg).not.toMatch(/\n/);
    }
  });
});
