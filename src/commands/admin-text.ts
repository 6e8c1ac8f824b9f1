/**
 * An admin control typed as text (Slack's "/stylize admin pause", the web page's admin box): the
 * control word, then its argument. A user or channel may be given as a mention as Slack writes it
 * (<@U123|name>, <#C123|name>) or as the bare id.
 */
import type { AdminAction } from './port.js';
import { parseOptionText } from './user-options.js';

/** The id inside a mention, or the word itself. */
function idOf(word: string): string {
  const mention = /^<[@#]([A-Za-z0-9]+)(?:\|[^>]*)?>$/.exec(word);
  return mention ? mention[1]! : word.replace(/^[@#]/, '');
}

export function parseAdminText(text: string): AdminAction {
  const words = text
    .trim()
    .split(/\s+/)
    .filter((w) => w.length > 0);
  const op = (words[0] ?? 'show').toLowerCase().replace(/_/g, '-');
  const arg = words[1];
  switch (op) {
    case 'show':
    case 'pause':
    case 'resume':
    case 'all-channels':
    case 'clear-limits':
      return { op };
    case 'ban':
    case 'unban':
      return arg ? { op, user: idOf(arg) } : { op: 'unknown', text: text.trim() };
    case 'allow-channel':
      return arg ? { op, channel: idOf(arg) } : { op };
    case 'limits': {
      const given = parseOptionText(words.slice(1).join(' '));
      const action: AdminAction = { op: 'limits' };
      for (const [key, value] of Object.entries(given)) {
        const name = key.toLowerCase();
        if (name === 'size' && typeof value !== 'boolean' && value !== undefined) action.size = value;
        else if ((name === 'iterations' || name === 'steps') && typeof value !== 'boolean' && value !== undefined) action.iterations = value;
        else return { op: 'unknown', text: text.trim() };
      }
      return action;
    }
    default:
      return { op: 'unknown', text: text.trim() };
  }
}
