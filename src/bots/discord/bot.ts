/**
 * The Discord front end on discord.js: slash commands and 🔁 / ❌ reactions become commands; what the
 * commands say goes back through DiscordReplyPort. Reconnecting and resuming the gateway is left to
 * discord.js; nothing here may throw out of an event handler.
 */
import {
  Client,
  Events,
  GatewayDispatchEvents,
  GatewayIntentBits,
  MessageFlags,
  Partials,
  Routes,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type APIMessage,
  type APIUser,
  type GatewayMessageReactionAddDispatchData,
  type Interaction,
  type User,
} from 'discord.js';
import { buttonRequest, parseButtonId } from '../../commands/buttons.js';
import type { CommandHandler, CommandRequest, Invocation, ThreadRef } from '../../commands/port.js';
import type { DownloadOptions } from './attachments.js';
import { isPrivateCommand, requestFor } from './commands.js';
import type { DiscordConfig } from './config.js';
import { isOperator, isOperatorByRoleIds } from './operators.js';
import { precheck } from './precheck.js';
import { EditBudget } from '../shared/edit-budget.js';
import { channelPermissions, DiscordReplyPort, discordFrontend, interactionReply, REACTION_EMOJI, type ChannelPermissions } from './reply-port.js';

type Log = Pick<Console, 'error' | 'warn' | 'info'>;

export interface DiscordHandle {
  /** The bot's own user id, once logged in. */
  readonly userId: string;
  stop(): Promise<void>;
}

export interface DiscordStartOptions {
  log?: Log;
  /** How long to wait for the gateway's READY. Default 60 s. */
  readyTimeoutMs?: number;
}

/** What a reaction asks; ⬆️ and ✉️ may arrive with or without their variation selector (U+FE0F). */
const REACTIONS: Record<string, { kind: 'rerun' | 'cancel' | 'send'; change?: 'upscale' }> = {
  [REACTION_EMOJI.rerun]: { kind: 'rerun' },
  [REACTION_EMOJI.cancel]: { kind: 'cancel' },
  [REACTION_EMOJI.send]: { kind: 'send' },
  [REACTION_EMOJI.send.replace('\uFE0F', '')]: { kind: 'send' },
  [REACTION_EMOJI.upscale]: { kind: 'rerun', change: 'upscale' },
  [REACTION_EMOJI.upscale.replace('\uFE0F', '')]: { kind: 'rerun', change: 'upscale' },
};

function displayName(user: User): string {
  return user.globalName ?? user.username;
}

/** The reply shown in the channel above a job's thread. */
function headerFor(request: CommandRequest, userId: string, inThread: boolean): { header: string; threadName: string } {
  const below = inThread ? 'Updates follow below.' : 'Updates follow in the thread.';
  if (request.kind === 'stylize') {
    return {
      header: `🎨 <@${userId}> asked me to redraw **${request.content.name}** in the style of **${request.style.name}**. ${below}`,
      threadName: `stylize: ${request.content.name} × ${request.style.name}`,
    };
  }
  if (request.kind === 'palette') {
    return { header: `🎨 <@${userId}> asked for the palette of **${request.style.name}**. ${below}`, threadName: `palette: ${request.style.name}` };
  }
  if (request.kind === 'show') return { header: `🖼️ <@${userId}> asked to see job ${request.jobId} again.`, threadName: `show: job ${request.jobId}` };
  return { header: 'Working on it…', threadName: 'tilestyle' };
}

class DiscordFrontEnd {
  private readonly inflight = new Set<Promise<void>>();
  private readonly download: DownloadOptions;
  private stopped = false;
  /**
   * Message edits are rate-limited per channel (Discord's rate-limits topic: per-route buckets with
   * the channel as their major parameter); about one a second, shared by the jobs of a channel.
   */
  private readonly budget = new EditBudget({ perMinute: 50, burst: 5 });
  /**
   * The bot's permissions per channel, as the last interaction there said them (`app_permissions`):
   * ports for reactions and resumed jobs use them too, instead of finding out from 403s.
   */
  private readonly permissions = new Map<string, ChannelPermissions>();
  private readonly adminRoles: string[];

  constructor(
    private readonly client: Client,
    private readonly commands: CommandHandler,
    config: DiscordConfig,
    private readonly log: Log,
  ) {
    this.adminRoles = config.adminRoles;
    this.download = { allowedOrigins: config.cdnOrigins, timeoutMs: config.downloadTimeoutMs, maxBytes: commands.limits.maxImageBytes };
  }

  register(): void {
    this.client.on(Events.InteractionCreate, (interaction) => this.track(() => this.onInteraction(interaction)));
    this.client.on(Events.Raw, (packet: { t?: string; d?: unknown }) => {
      if (packet.t === GatewayDispatchEvents.MessageReactionAdd) this.track(() => this.onReaction(packet.d as GatewayMessageReactionAddDispatchData));
    });
    this.client.on(Events.Error, (err) => this.log.error('Discord: client error:', err));
    this.client.on(Events.ShardError, (err, shard) => this.log.warn(`Discord: gateway connection ${shard} error (discord.js reconnects):`, err.message));
    this.client.on(Events.ShardDisconnect, (event, shard) => this.log.warn(`Discord: gateway connection ${shard} closed (${event.code}); reconnecting.`));
    this.client.on(Events.ShardResume, (shard, replayed) => this.log.info(`Discord: gateway connection ${shard} resumed (${replayed} events replayed).`));
    this.client.on(Events.Warn, (message) => this.log.warn('Discord:', message));
    this.commands.registerFrontend(discordFrontend(this.client.rest, this.log, this.budget, (channel) => this.permissions.get(channel)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.inflight]);
    await this.client.destroy();
  }

  private track(work: () => Promise<void>): void {
    if (this.stopped) return;
    const run = work()
      .catch((err: unknown) => this.log.error('Discord: handling an event failed:', err))
      .finally(() => this.inflight.delete(run));
    this.inflight.add(run);
  }

  private async onInteraction(interaction: Interaction): Promise<void> {
    if (interaction.isButton()) return this.onButton(interaction);
    if (!interaction.isChatInputCommand()) return;
    const ephemeral = isPrivateCommand(interaction);
    // Refusals the payload already allows are whispered now: once deferred publicly, they could not be.
    const problems = precheck(interaction, this.commands.limits);
    if (problems.length > 0) {
      await interaction
        .reply({ content: problems.join('\n').slice(0, 2000), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } })
        .catch((err: unknown) => this.log.warn(`Discord: could not answer /${interaction.commandName} in time:`, err));
      return;
    }
    try {
      // Within Discord's 3 s: everything else (downloads, queueing) happens after.
      await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
    } catch (err) {
      this.log.warn(`Discord: could not acknowledge /${interaction.commandName} in time:`, err);
      return;
    }
    let request: CommandRequest;
    try {
      request = requestFor(interaction, this.download);
    } catch (err) {
      // e.g. an attachment missing from the interaction's resolved data
      this.log.warn(`Discord: could not read the options of /${interaction.commandName}:`, err);
      await interaction.editReply({ content: "I couldn't read that command's options. Please try again." }).catch(() => undefined);
      return;
    }
    const where = this.placeOf(interaction);
    const permissions = this.noteBotPermissions(interaction, where);
    const invocation: Invocation = {
      platform: 'discord',
      user: { id: interaction.user.id, name: displayName(interaction.user) },
      where,
      ...this.serverAndVerdict(interaction),
    };
    const { header, threadName } = headerFor(request, interaction.user.id, where.thread !== undefined);
    const port = new DiscordReplyPort(this.client.rest, where, interaction.user.id, {
      interaction: interactionReply(interaction, ephemeral),
      header,
      threadName,
      budget: this.budget,
      ...(permissions ? { permissions } : {}),
      log: this.log,
    });
    await this.commands.handle(request, invocation, port);
    await port.finish();
  }

  /**
   * A button under a result or status: acknowledged at once with deferUpdate (type 6, no visible
   * reply and the message unchanged), so a refusal can follow as an ephemeral message only the
   * clicking user sees; a new job posts in the thread of the message. The custom id names the job,
   * so this works on old results and after a restart.
   */
  private async onButton(interaction: ButtonInteraction): Promise<void> {
    const parsed = parseButtonId(interaction.customId);
    if (!parsed) return;
    try {
      await interaction.deferUpdate();
    } catch (err) {
      this.log.warn('Discord: could not acknowledge a button in time:', err);
      return;
    }
    const where = this.placeOf(interaction);
    const permissions = this.noteBotPermissions(interaction, where);
    const user = interaction.user;
    const invocation: Invocation = { platform: 'discord', user: { id: user.id, name: displayName(user) }, where, ...this.serverAndVerdict(interaction) };
    const port = new DiscordReplyPort(this.client.rest, where, user.id, {
      log: this.log,
      budget: this.budget,
      ...(permissions ? { permissions } : {}),
      privateReply: {
        createdAt: interaction.createdTimestamp,
        send: async (text) => void (await interaction.followUp({ content: text, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } })),
      },
    });
    await this.commands.handle(buttonRequest(parsed), invocation, port);
  }

  /** The guild it came from (none in a DM) and whether the member is one of the bot's operators. */
  private serverAndVerdict(interaction: ChatInputCommandInteraction | ButtonInteraction): Pick<Invocation, 'server' | 'admin'> {
    return interaction.guildId ? { server: interaction.guildId, admin: isOperator(interaction, this.adminRoles) } : { admin: false };
  }

  /** What `app_permissions` says the bot may do where the interaction happened (kept for that channel). */
  private noteBotPermissions(interaction: ChatInputCommandInteraction | ButtonInteraction, where: ThreadRef): ChannelPermissions | undefined {
    const bits = (interaction as { appPermissions?: { bitfield: bigint } | null }).appPermissions?.bitfield;
    if (bits === undefined) return undefined;
    const permissions = channelPermissions(bits);
    this.permissions.set(where.channel, permissions);
    return permissions;
  }

  /** The channel (and thread, when the command was used inside one). */
  private placeOf(interaction: ChatInputCommandInteraction | ButtonInteraction): ThreadRef {
    const channel = interaction.channel;
    if (channel?.isThread()) return { channel: channel.parentId ?? channel.id, thread: channel.id };
    return { channel: interaction.channelId };
  }

  /**
   * Reactions are read from the gateway packet itself rather than discord.js's messageReactionAdd:
   * that event is dropped when the thread is not in the client's cache (e.g. after a restart), while
   * the packet always carries what is needed. Whatever is missing is fetched.
   */
  private async onReaction(d: GatewayMessageReactionAddDispatchData): Promise<void> {
    const self = this.client.user?.id;
    const emoji = d.emoji.name ?? '';
    const asked = Object.hasOwn(REACTIONS, emoji) ? REACTIONS[emoji] : undefined;
    if (!asked || d.user_id === self) return;
    const user = d.member?.user ?? ((await this.client.rest.get(Routes.user(d.user_id))) as APIUser);
    if (user.bot) return;
    // Only the bot's own messages carry jobs: reactions elsewhere are none of its business.
    let author = d.message_author_id;
    if (author === undefined) {
      try {
        const message = (await this.client.rest.get(Routes.channelMessage(d.channel_id, d.message_id))) as APIMessage;
        author = message.author.id;
      } catch (err) {
        this.log.warn(`Discord: could not read the message a reaction was added to (${d.message_id}); ignoring it:`, err);
        return;
      }
    }
    if (author !== self) return;
    const channel = await this.client.channels.fetch(d.channel_id).catch(() => null);
    const where: ThreadRef = channel?.isThread() ? { channel: channel.parentId ?? channel.id, thread: channel.id } : { channel: d.channel_id };
    const invocation: Invocation = {
      platform: 'discord',
      user: { id: user.id, name: user.global_name ?? user.username },
      where,
      ...(d.guild_id ? { server: d.guild_id } : {}),
      admin: d.guild_id !== undefined && isOperatorByRoleIds(d.member?.roles, this.adminRoles),
    };
    const permissions = this.permissions.get(where.channel);
    const port = new DiscordReplyPort(this.client.rest, where, user.id, { log: this.log, budget: this.budget, ...(permissions ? { permissions } : {}) });
    const request: CommandRequest =
      asked.kind === 'rerun'
        ? { kind: 'rerun', messageId: d.message_id, ...(asked.change ? { change: asked.change } : {}) }
        : { kind: asked.kind, messageId: d.message_id };
    await this.commands.handle(request, invocation, port);
  }
}

/** Logs in, waits for READY, and answers commands until stop(). Never logs the token. */
export async function startDiscord(config: DiscordConfig, commands: CommandHandler, opts: DiscordStartOptions = {}): Promise<DiscordHandle> {
  const log = opts.log ?? console;
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessageReactions, GatewayIntentBits.DirectMessageReactions],
    // Messages, reactions and channels from before a restart are not cached: discord.js keeps them as
    // partials rather than dropping them (the reaction handler itself reads the raw packet and fetches).
    partials: [Partials.Message, Partials.Reaction, Partials.Channel, Partials.User],
    rest: config.apiUrl ? { api: config.apiUrl } : {},
  });
  const frontEnd = new DiscordFrontEnd(client, commands, config, log);
  frontEnd.register();
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Discord: the gateway did not become ready in time.')), opts.readyTimeoutMs ?? 60_000);
    client.once(Events.ClientReady, () => {
      clearTimeout(timer);
      resolve();
    });
  });
  try {
    await client.login(config.token);
    await ready;
  } catch (err) {
    await client.destroy().catch(() => undefined);
    const code = (err as { code?: string }).code;
    if (code === 'TokenInvalid') throw new Error('Discord refused DISCORD_TOKEN: copy the bot token again (Developer Portal → Bot → Reset Token).');
    throw err;
  }
  log.info(`Discord: logged in as ${client.user?.tag ?? 'the bot'}.`);
  return {
    userId: client.user!.id,
    async stop() {
      await frontEnd.stop();
    },
  };
}
