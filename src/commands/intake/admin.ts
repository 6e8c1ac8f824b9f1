/**
 * admin: the operators' controls — pause and resume the queue, ban and unban users, choose the
 * channels the bot answers in, lower a server's limits. Only for an invocation the front end marked
 * `admin`; everyone else is refused.
 */
import { LIMITS } from '../../engine/limits.js';
import {
  ALL_CHANNELS,
  bannedText,
  channelsText,
  LIMITS_CLEARED,
  limitOutOfRange,
  LIMITS_NEEDED,
  limitsText,
  NEEDS_SERVER,
  NOT_AN_OPERATOR,
  pausedText,
  resumedText,
  showText,
  unbannedText,
  unknownAdminText,
} from '../admin-messages.js';
import type { OperatorControls } from '../operator-controls.js';
import type { AdminAction, Invocation, ReplyPort } from '../port.js';
import type { IntakeContext } from './context.js';

const WHOLE = /^\s*\d+\s*$/;

/** A bound typed by an operator: a whole number within the engine's minimum and the global limit. */
function bound(name: 'size' | 'iterations', value: string | number, min: number, max: number): number | string {
  const text = String(value);
  const n = typeof value === 'number' ? value : WHOLE.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) return limitOutOfRange(name, text.trim(), min, max);
  return n;
}

export async function admin(ctx: IntakeContext, controls: OperatorControls, action: AdminAction, invocation: Invocation, port: ReplyPort): Promise<void> {
  if (!invocation.admin) return port.whisper(NOT_AN_OPERATOR);
  const scope = controls.scopeOf(invocation);
  const store = controls.store;
  const global = ctx.limits;
  const serverOnly = action.op === 'allow-channel' || action.op === 'all-channels' || action.op === 'limits' || action.op === 'clear-limits';
  if (serverOnly && !invocation.server) return port.whisper(NEEDS_SERVER);
  switch (action.op) {
    case 'pause': {
      const waiting = ctx.jobs.waiting().length;
      const changed = await controls.pause();
      if (changed) ctx.log.info(`Admin ${invocation.platform}:${invocation.user.id} paused the queue.`);
      return port.whisper(pausedText(!changed, waiting));
    }
    case 'resume': {
      const changed = await controls.resume();
      if (changed) ctx.log.info(`Admin ${invocation.platform}:${invocation.user.id} resumed the queue.`);
      return port.whisper(resumedText(!changed));
    }
    case 'ban':
      return port.whisper(bannedText(action.user, store.ban(scope, action.user)));
    case 'unban':
      return port.whisper(unbannedText(action.user, store.unban(scope, action.user)));
    case 'allow-channel':
      store.allowChannel(scope, action.channel ?? invocation.where.channel);
      return port.whisper(channelsText(store.channels(scope)));
    case 'all-channels':
      store.clearChannels(scope);
      return port.whisper(ALL_CHANNELS);
    case 'limits': {
      if (action.size === undefined && action.iterations === undefined) return port.whisper(LIMITS_NEEDED);
      const size = action.size === undefined ? undefined : bound('size', action.size, global.minSize, global.maxSize);
      const iterations = action.iterations === undefined ? undefined : bound('iterations', action.iterations, LIMITS.iterations.min, global.maxIterations);
      const problems = [size, iterations].filter((v): v is string => typeof v === 'string');
      if (problems.length > 0) return port.whisper(problems.join('\n'));
      store.setLimits(scope, {
        ...(typeof size === 'number' ? { maxSize: size } : {}),
        ...(typeof iterations === 'number' ? { maxIterations: iterations } : {}),
      });
      return port.whisper(limitsText(store.limits(scope), global));
    }
    case 'clear-limits':
      store.clearLimits(scope);
      return port.whisper(LIMITS_CLEARED);
    case 'show':
      return port.whisper(
        showText({
          paused: controls.paused,
          banned: store.banned(scope),
          channels: invocation.server ? store.channels(scope) : null,
          limits: invocation.server ? limitsText(store.limits(scope), global) : null,
        }),
      );
    case 'unknown':
      return port.whisper(unknownAdminText(action.text));
  }
}
