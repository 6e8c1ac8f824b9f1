/** help, and the answer to a command nobody knows. */
import { helpText } from '../messages.js';
import type { ReplyPort } from '../port.js';
import type { IntakeContext } from './context.js';

export function help(ctx: IntakeContext, port: ReplyPort): Promise<void> {
  return port.whisper(helpText(ctx.defaults, ctx.limits));
}

export function unknown(name: string, port: ReplyPort): Promise<void> {
  return port.whisper(`I don't know the command "${name}". Try help to see what I can do.`);
}
