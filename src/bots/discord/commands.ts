/**
 * The slash commands, defined in code with discord.js builders (registered by register.ts), and the
 * translation of an interaction's options into a CommandRequest.
 */
import {
  SlashCommandBuilder,
  type SlashCommandOptionsOnlyBuilder,
  type ChatInputCommandInteraction,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { emptyRawOptions, OPTION_RANGES, OPTION_SPECS, type OptionName } from '../../commands/user-options.js';
import type { CommandRequest, RawOptions } from '../../commands/port.js';
import { imageSourceFor, type DownloadOptions } from './attachments.js';

export const STYLIZE = 'stylize';
export const PALETTE = 'palette';
/** Help, status and cancel, as subcommands of one command so they sit together in Discord's menu. */
export const TILESTYLE = 'tilestyle';

/** Bounds Discord enforces itself before a command reaches the bot; the commands check the real limits. */
export interface CommandBounds {
  maxSize: number;
  maxIterations: number;
}

/** Without the operator's settings, the engine's own limits. */
const DEFAULT_BOUNDS: CommandBounds = { maxSize: OPTION_RANGES.size.max, maxIterations: OPTION_RANGES.iterations.max };

/** An option's description in Discord's menu: the words help uses (OPTION_SPECS), capitalized. */
function describe(name: OptionName): string {
  const text = OPTION_SPECS[name].describe;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * tiles is a string option with choices: Discord's options have one type, and tiles is either the
 * word auto or a number (or sweep, for palette). A picker of auto, sweep and 1–16 (18 of Discord's 25
 * choices) needs no typing and can't be out of range; leaving it out means the default (auto unless the
 * operator set one).
 */
export function tilesChoices(kind: 'stylize' | 'palette' = 'stylize'): { name: string; value: string }[] {
  const choices = [{ name: 'auto — chosen from the style image', value: 'auto' }];
  if (kind === 'palette') choices.push({ name: 'sweep — 1, 2, 4 and 8 tiles side by side', value: 'sweep' });
  for (let n = OPTION_RANGES.tiles.min; n <= OPTION_RANGES.tiles.max; n++) choices.push({ name: n === 1 ? '1 — no tiling' : `${n} (${n}×${n})`, value: String(n) });
  return choices;
}

type Builder = SlashCommandOptionsOnlyBuilder;

function addShared(builder: Builder, bounds: CommandBounds, kind: 'stylize' | 'palette'): void {
  builder
    .addStringOption((o) =>
      o.setName('tiles').setDescription(describe('tiles')).addChoices(...tilesChoices(kind)),
    )
    .addStringOption((o) =>
      o
        .setName('crop')
        .setDescription(describe('crop'))
        .addChoices({ name: 'auto — cut a tiled style to its subject', value: 'auto' }, { name: 'none — repeat the whole picture', value: 'none' }),
    )
    .addIntegerOption((o) => o.setName('size').setDescription(describe('size')).setMinValue(OPTION_RANGES.size.min).setMaxValue(bounds.maxSize))
    .addIntegerOption((o) =>
      o.setName('iterations').setDescription(describe('iterations')).setMinValue(OPTION_RANGES.iterations.min).setMaxValue(bounds.maxIterations),
    );
  if (kind === 'stylize') {
    builder
      .addIntegerOption((o) =>
        o.setName('strength').setDescription(describe('strength')).setMinValue(OPTION_RANGES.strength.min).setMaxValue(OPTION_RANGES.strength.max),
      )
      .addNumberOption((o) =>
        o.setName('style_weight').setDescription(describe('styleWeight')).setMinValue(OPTION_RANGES.weight.min).setMaxValue(OPTION_RANGES.weight.max),
      )
      .addNumberOption((o) =>
        o.setName('content_weight').setDescription(describe('contentWeight')).setMinValue(OPTION_RANGES.weight.min).setMaxValue(OPTION_RANGES.weight.max),
      )
      .addBooleanOption((o) => o.setName('preserve_colors').setDescription(describe('preserveColors')));
  }
  builder.addIntegerOption((o) => o.setName('seed').setDescription(describe('seed')).setMinValue(OPTION_RANGES.seed.min).setMaxValue(OPTION_RANGES.seed.max));
}

/** The commands as the JSON Discord's API takes (PUT /applications/{app}/commands). */
export function commandDefinitions(bounds: Partial<CommandBounds> = {}): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  const b = { ...DEFAULT_BOUNDS, ...bounds };
  const stylize = new SlashCommandBuilder()
    .setName(STYLIZE)
    .setDescription('Redraw a picture in the style of another')
    .addAttachmentOption((o) => o.setName('content').setDescription('The picture to redraw').setRequired(true))
    .addAttachmentOption((o) => o.setName('style').setDescription('The style: a painting, or any object (use tiles)').setRequired(true));
  addShared(stylize, b, 'stylize');
  const palette = new SlashCommandBuilder()
    .setName(PALETTE)
    .setDescription("Show a style's palette: the style alone, redrawn from noise")
    .addAttachmentOption((o) => o.setName('style').setDescription('The style image').setRequired(true));
  addShared(palette, b, 'palette');
  const tilestyle = new SlashCommandBuilder()
    .setName(TILESTYLE)
    .setDescription('Help, queue status, cancel your latest job, or show an earlier result')
    .addSubcommand((s) => s.setName('help').setDescription('What the bot does and its options'))
    .addSubcommand((s) => s.setName('status').setDescription('How long the queues are, and your jobs'))
    .addSubcommand((s) => s.setName('cancel').setDescription('Stop your latest waiting or running job'))
    .addSubcommand((s) =>
      s
        .setName('show')
        .setDescription("Post an earlier job's result again, here")
        .addStringOption((o) => o.setName('job').setDescription('The job id, from the end of its Settings line').setRequired(true).setMaxLength(64)),
    );
  return [stylize.toJSON(), palette.toJSON(), tilestyle.toJSON()];
}

/** Option values as typed in Discord, under their own names (the commands accept them as they are). */
export function rawOptions(interaction: ChatInputCommandInteraction): RawOptions {
  const out = emptyRawOptions();
  for (const option of interaction.options.data) {
    if (option.value === undefined || option.attachment) continue;
    if (typeof option.value === 'string' || typeof option.value === 'number' || typeof option.value === 'boolean') out[option.name] = option.value;
  }
  return out;
}

/** Whether the command only ever answers privately (its reply is deferred ephemerally); show posts for all to see. */
export function isPrivateCommand(interaction: ChatInputCommandInteraction): boolean {
  return interaction.commandName === TILESTYLE && interaction.options.getSubcommand(false) !== 'show';
}

export function requestFor(interaction: ChatInputCommandInteraction, download: DownloadOptions): CommandRequest {
  const source = (name: string) => {
    const attachment = interaction.options.getAttachment(name, true);
    return imageSourceFor({ name: attachment.name, url: attachment.url, proxyURL: attachment.proxyURL, contentType: attachment.contentType, size: attachment.size }, download);
  };
  switch (interaction.commandName) {
    case STYLIZE:
      return { kind: 'stylize', content: source('content'), style: source('style'), options: rawOptions(interaction) };
    case PALETTE:
      return { kind: 'palette', style: source('style'), options: rawOptions(interaction) };
    case TILESTYLE: {
      const sub = interaction.options.getSubcommand(false);
      if (sub === 'help') return { kind: 'help' };
      if (sub === 'status') return { kind: 'status' };
      if (sub === 'cancel') return { kind: 'cancel' };
      if (sub === 'show') return { kind: 'show', jobId: interaction.options.getString('job') ?? '' };
      return { kind: 'unknown', name: `${TILESTYLE} ${sub ?? ''}`.trim() };
    }
    default:
      return { kind: 'unknown', name: interaction.commandName };
  }
}
