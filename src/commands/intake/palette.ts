/** palette: the style alone, redrawn from noise (answered from the cache when computed before). */
import type { CommandRequest, Invocation, ReplyPort } from '../port.js';
import type { IntakeContext } from './context.js';
import { submit } from './submit.js';

export function palette(ctx: IntakeContext, request: Extract<CommandRequest, { kind: 'palette' }>, invocation: Invocation, port: ReplyPort): Promise<void> {
  return submit(ctx, 'palette', { style: request.style }, request.options, invocation, port);
}
