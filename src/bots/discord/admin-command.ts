/**
 * /admin: the operators' controls as one slash command with a subcommand each. Anyone may see it in
 * the menu (the operator's admin role need not hold Manage Server); the commands refuse everyone
 * the front end did not mark admin (see operators.ts).
 */
import { ChannelType, SlashCommandBuilder, type ChatInputCommandInteraction, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { AdminAction } from '../../commands/port.js';
import { OPTION_RANGES } from '../../commands/user-options.js';
import type { CommandBounds } from './commands.js';

export const ADMIN = 'admin';

export function adminDefinition(bounds: CommandBounds): RESTPostAPIChatInputApplicationCommandsJSONBody {
  return new SlashCommandBuilder()
    .setName(ADMIN)
    .setDescription("Server admins: pause the queue, block users, choose channels, lower this server's limits")
    .addSubcommand((s) => s.setName('show').setDescription('What is set now'))
    .addSubcommand((s) => s.setName('pause').setDescription('Hold the queue: waiting jobs keep their places, new ones wait'))
    .addSubcommand((s) => s.setName('resume').setDescription('Start the waiting jobs again'))
    .addSubcommand((s) =>
      s
        .setName('ban')
        .setDescription("Refuse this user's commands in this server")
        .addUserOption((o) => o.setName('user').setDescription('Who to block').setRequired(true)),
    )
    .addSubcommand((s) =>
      s
        .setName('unban')
        .setDescription('Let a blocked user use the bot here again')
        .addUserOption((o) => o.setName('user').setDescription('Who to let back').setRequired(true)),
    )
    .addSubcommand((s) =>
      s
        .setName('allow-channel')
        .setDescription('Answer only in chosen channels: add one (this one if none is given)')
        .addChannelOption((o) =>
          o.setName('channel').setDescription('The channel to add').addChannelTypes(ChannelType.GuildText, ChannelType.GuildAnnouncement),
        ),
    )
    .addSubcommand((s) => s.setName('all-channels').setDescription('Answer in every channel again'))
    .addSubcommand((s) =>
      s
        .setName('limits')
        .setDescription("Lower this server's size and iteration limits")
        .addIntegerOption((o) => o.setName('size').setDescription('Largest size in pixels').setMinValue(OPTION_RANGES.size.min).setMaxValue(bounds.maxSize))
        .addIntegerOption((o) =>
          o.setName('iterations').setDescription('Most optimizer steps').setMinValue(OPTION_RANGES.iterations.min).setMaxValue(bounds.maxIterations),
        ),
    )
    .addSubcommand((s) => s.setName('clear-limits').setDescription("Back to the bot's global limits"))
    .toJSON();
}

export function adminAction(interaction: ChatInputCommandInteraction): AdminAction {
  const sub = interaction.options.getSubcommand(false) ?? 'show';
  switch (sub) {
    case 'show':
    case 'pause':
    case 'resume':
    case 'all-channels':
    case 'clear-limits':
      return { op: sub };
    case 'ban':
    case 'unban':
      return { op: sub, user: interaction.options.getUser('user', true).id };
    case 'allow-channel': {
      const channel = interaction.options.getChannel('channel', false);
      return channel ? { op: sub, channel: channel.id } : { op: sub };
    }
    case 'limits': {
      const size = interaction.options.getInteger('size', false);
      const iterations = interaction.options.getInteger('iterations', false);
      return { op: 'limits', ...(size !== null ? { size } : {}), ...(iterations !== null ? { iterations } : {}) };
    }
    default:
      return { op: 'unknown', text: sub };
  }
}
