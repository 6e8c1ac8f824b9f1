/** settings: shows and sets a user's own defaults for new jobs, kept in the job store across restarts. */
import { settingsText } from '../messages.js';
import type { CommandRequest, Invocation, ReplyPort } from '../port.js';
import { readUserDefaults, validateSettings, type UserDefaults } from '../user-defaults.js';
import type { IntakeContext } from './context.js';

/** The user's saved defaults, as the limits in force allow them. */
export function userDefaultsOf(ctx: IntakeContext, invocation: Invocation): UserDefaults {
  return readUserDefaults(ctx.store.userDefaults(invocation.platform, invocation.user.id), ctx.limits);
}

export function settings(ctx: IntakeContext, request: Extract<CommandRequest, { kind: 'settings' }>, invocation: Invocation, port: ReplyPort): Promise<void> {
  const checked = validateSettings(request.options ?? {}, ctx.limits);
  if (!checked.ok) return port.whisper(checked.problems.join('\n'));
  const mine = userDefaultsOf(ctx, invocation);
  const changed = Object.keys(checked.changes).length > 0;
  if (!checked.reset && !changed) return port.whisper(settingsText(mine, ctx.defaults, ctx.limits, 'shown'));
  const next: UserDefaults = checked.reset ? checked.changes : { ...mine, ...checked.changes };
  ctx.store.setUserDefaults(invocation.platform, invocation.user.id, next);
  return port.whisper(settingsText(next, ctx.defaults, ctx.limits, checked.reset && !changed ? 'reset' : 'saved'));
}
