/** stylize: a content image redrawn in the style of another (palette first, then the result). */
import type { CommandRequest, Invocation, ReplyPort } from '../port.js';
import type { IntakeContext } from './context.js';
import { submit } from './submit.js';

export function stylize(ctx: IntakeContext, request: Extract<CommandRequest, { kind: 'stylize' }>, invocation: Invocation, port: ReplyPort): Promise<void> {
  return submit(ctx, 'stylize', { content: request.content, style: request.style }, request.options, invocation, port);
}
