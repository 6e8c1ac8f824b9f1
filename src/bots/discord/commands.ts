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
import { emptyRawOptions, OPTION_RANGES, OPTION_SPECS, optionsFor, type OptionLimits, type OptionName } from '../../commands/user-options.js';
import type { CommandRequest, RawOptions } from '../../commands/port.js';
import { USER_DEFAULT_OPTIONS } from '../../commands/option-catalog.js';
import { SETTING_DESCRIPTIONS } from '../../commands/user-defaults.js';
import { ADMIN, adminAction, adminDefinition } from './admin-command.js';
import { imageSourceFor, type DownloadOptions } from './attachments.js';

export const STYLIZE = 'stylize';
export const PALETTE = 'palette';
/** A user's own defaults for new jobs (the settings command): shown with no options, set with some. */
export const SETTINGS = 'settings';
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
  return capitalized(OPTION_SPECS[name].describe);
}

function capitalized(text: string): string {
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
  for (let n = OPTION_RANGES.tiles.min; n <= OPTION_RANGES.tiles.max; n++)
    choices.push({ name: n === 1 ? '1 — no tiling' : `${n} (${n}×${n})`, value: String(n) });
  return choices;
}

type Builder = SlashCommandOptionsOnlyBuilder;

/** The limits Discord's menus enforce: the engine's, with the operator's caps on size and iterations. */
function menuLimits(bounds: CommandBounds): OptionLimits {
  return { maxTiles: OPTION_RANGES.tiles.max, minSize: OPTION_RANGES.size.min, maxSize: bounds.maxSize, maxIterations: bounds.maxIterations };
}

/** Adds one option as its declaration (option-catalog.ts) says: its Discord type, choices or range. */
function addOption(builder: Builder, name: OptionName, bounds: CommandBounds, kind: 'stylize' | 'palette'): void {
  const spec = OPTION_SPECS[name];
  const range = spec.bounds?.(menuLimits(bounds));
  switch (spec.type) {
    case 'tiles':
      builder.addStringOption((o) =>
        o
          .setName(spec.label)
          .setDescription(describe(name))
          .addChoices(...tilesChoices(kind)),
      );
      return;
    case 'crop':
      builder.addStringOption((o) =>
        o
          .setName(spec.label)
          .setDescription(describe(name))
          .addChoices({ name: 'auto — cut a tiled style to its subject', value: 'auto' }, { name: 'none — repeat the whole picture', value: 'none' }),
      );
      return;
    case 'bool':
      builder.addBooleanOption((o) => o.setName(spec.label).setDescription(describe(name)));
      return;
    case 'int':
      builder.addIntegerOption((o) => {
        o.setName(spec.label).setDescription(describe(name));
        return range ? o.setMinValue(range.min).setMaxValue(range.max) : o;
      });
      return;
    case 'number':
      builder.addNumberOption((o) => {
        o.setName(spec.label).setDescription(describe(name));
        return range ? o.setMinValue(range.min).setMaxValue(range.max) : o;
      });
      return;
  }
}

function addShared(builder: Builder, bounds: CommandBounds, kind: 'stylize' | 'palette'): void {
  for (const name of optionsFor(kind)) addOption(builder, name, bounds, kind);
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
  const settings = new SlashCommandBuilder().setName(SETTINGS).setDescription('Show or set your own defaults for new jobs');
  for (const name of USER_DEFAULT_OPTIONS) addOption(settings, name, b, 'stylize');
  settings
    .addBooleanOption((o) => o.setName('palette').setDescription(capitalized(SETTING_DESCRIPTIONS.palette)))
    .addBooleanOption((o) => o.setName('reset').setDescription(capitalized(SETTING_DESCRIPTIONS.reset)));
  return [stylize.toJSON(), palette.toJSON(), tilestyle.toJSON(), settings.toJSON(), adminDefinition(b)];
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
  return (
    (interaction.commandName === TILESTYLE && interaction.options.getSubcommand(false) !== 'show') ||
    interaction.commandName === SETTINGS ||
    interaction.commandName === ADMIN
  );
}

export function requestFor(interaction: ChatInputCommandInteraction, download: DownloadOptions): CommandRequest {
  const source = (name: string) => {
    const attachment = interaction.options.getAttachment(name, true);
    return imageSourceFor(
      { name: attachment.name, url: attachment.url, proxyURL: attachment.proxyURL, contentType: attachment.contentType, size: attachment.size },
      download,
    );
  };
  switch (interaction.commandName) {
    case STYLIZE:
      return { kind: 'stylize', content: source('content'), style: source('style'), options: rawOptions(interaction) };
    case PALETTE:
      return { kind: 'palette', style: source('style'), options: rawOptions(interaction) };
    case SETTINGS:
      return { kind: 'settings', options: rawOptions(interaction) };
    case TILESTYLE: {
      const sub = interaction.options.getSubcommand(false);
      if (sub === 'help') return { kind: 'help' };
      if (sub === 'status') return { kind: 'status' };
      if (sub === 'cancel') return { kind: 'cancel' };
      if (sub === 'show') return { kind: 'show', jobId: interaction.options.getString('job') ?? '' };
      return { kind: 'unknown', name: `${TILESTYLE} ${sub ?? ''}`.trim() };
    }
    case ADMIN:
      return { kind: 'admin', action: adminAction(interaction) };
    default:
      return { kind: 'unknown', name: interaction.commandName };
  }
}
