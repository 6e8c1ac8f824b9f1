/**
 * What a Slack user typed, turned into a command: a leading command word (help, status, cancel,
 * settings, stylize, palette) and the options after it, and the Slack-specific words for "send images first".
 */
import { parseOptionText } from '../../commands/index.js';
import type { RawOptions } from '../../commands/port.js';

export type TextCommand = 'stylize' | 'palette' | 'help' | 'status' | 'cancel' | 'settings' | 'show';

const WORDS: Record<string, TextCommand> = {
  stylize: 'stylize',
  stylise: 'stylize',
  palette: 'palette',
  help: 'help',
  status: 'status',
  queue: 'status',
  cancel: 'cancel',
  stop: 'cancel',
  settings: 'settings',
  defaults: 'settings',
  show: 'show',
};

/** Drops user, channel and group mentions (<@U…>, <!here>, <#C…|name>) so only the command text is left. */
export function stripMentions(text: string): string {
  return text.replace(/<[@!#][^>]*>/g, ' ').trim();
}

/**
 * The words after "admin" when a message or slash command asks for an admin control (the bot's own
 * mention dropped, other mentions kept: "ban <@U123|ann>"), else null.
 */
export function adminText(text: string, botUserId: string): string | null {
  const plain = unescapeSlack(text)
    .replace(botUserId ? new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g') : /$^/, ' ')
    .trim();
  const match = /^\/?admin(?:\s+([\s\S]*))?$/i.exec(plain);
  return match ? (match[1] ?? '').trim() : null;
}

/** Slack sends "&", "<" and ">" escaped; the options parser wants them plain. */
function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Splits "palette tiles=4 size=384" into the command word (or the fallback) and its options. */
export function parseCommandText(text: string, fallback: TextCommand): { command: TextCommand; options: RawOptions } {
  const plain = unescapeSlack(text).trim();
  const match = /^(\S+)\s*([\s\S]*)$/.exec(plain);
  const first = match?.[1]?.toLowerCase().replace(/^\//, '') ?? '';
  const word = Object.hasOwn(WORDS, first) ? WORDS[first] : undefined;
  const rest = word ? match![2]! : plain;
  return { command: word ?? fallback, options: parseOptionText(rest) };
}

/** The text after the command word, as typed: show's job id ("show 1a2b3c4d5e"). */
export function commandArgument(text: string): string {
  return unescapeSlack(text)
    .trim()
    .replace(/^\S+\s*/, '')
    .trim();
}

/** Short Slack-specific usage, put before the shared help. */
export function slackUsage(bot: string): string {
  return [
    'On Slack:',
    `• Mention me with two images attached — the content picture first, then the style — and options in the text: ${bot} strength=7 tiles=auto size=384`,
    `• ${bot} palette with one image attached shows the palette of that style.`,
    '• Or post the images first, then type /stylize [options] (your two latest images here) or /palette [options] (your latest one).',
    '• /stylize help, /stylize status, /stylize cancel, /stylize show <job>, /stylize settings strength=7 crop=none (your own defaults).',
    "• React :envelope: on a result to get it in a DM; :x: on a finished result deletes it (yours, or anyone's for an admin).",
    '• Workspace admins (and the users the operator named): /stylize admin pause | resume | ban @user | unban @user | allow-channel [#channel] | all-channels | limits size=512 iterations=300 | clear-limits | show.',
    '',
  ].join('\n');
}

/** What to do when a mention carries too few images. */
export function mentionTooFew(kind: 'stylize' | 'palette', attached: number, bot: string): string {
  if (kind === 'palette') {
    return `Attach the style image to your message and I'll show its palette: ${bot} palette tiles=4 (with the image attached).`;
  }
  if (attached === 1) {
    return `I need two images and you attached one. Attach both — the content picture first, then the style picture — in one message: ${bot} tiles=4 size=384. Or write ${bot} palette with this one image to see its palette.`;
  }
  return `I need two images: attach the content picture first, then the style picture, to one message that mentions me, with options in the text if you like: ${bot} tiles=4 size=384.`;
}

/** What to do when a slash command finds too few of the user's images in the channel. */
export function slashTooFew(kind: 'stylize' | 'palette', found: { name: string }[], bot: string): string {
  if (kind === 'palette') {
    return `/palette uses the latest image you posted in this channel, and I found none. Post the style image here, then run /palette again — or mention me with the image attached: ${bot} palette.`;
  }
  if (found.length === 1) {
    return `/stylize uses the two latest images you posted in this channel, and I found only one ("${found[0]!.name}"). Post the style image too, then run /stylize again — or mention me with both images attached: ${bot} tiles=4.`;
  }
  return `/stylize uses the two latest images you posted in this channel (content first, then style), and I found none. Post both images here, then run /stylize again — or mention me with both images attached: ${bot} tiles=4.`;
}

/** When the channel's history cannot be read. */
export function historyError(code: string, bot: string): string {
  if (code === 'not_in_channel' || code === 'channel_not_found') {
    return `I can't see the messages in this channel. Invite me first (/invite ${bot}), then run the command again — or mention me with the images attached.`;
  }
  if (code === 'missing_scope') {
    return 'I am not allowed to read this conversation (the app is missing a *:history scope). Mention me with the images attached instead, or ask an admin to reinstall the app from its manifest.';
  }
  if (code === 'ratelimited') {
    return "Slack is limiting how often I may read this channel's messages right now (apps outside the Slack Marketplace may read them about once a minute). Mention me with the images attached instead — that always works — or try again in a minute.";
  }
  return `I couldn't read this channel's recent messages (${code}). Mention me with the images attached instead.`;
}
