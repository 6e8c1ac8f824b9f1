/**
 * The operators' controls in force: who is refused where (bans, chosen channels), the lower limits
 * of a server, and the pause. Read from and written to the ControlsStore, so they outlive a restart.
 */
import { BANNED, channelClosedText } from './admin-messages.js';
import { QueueGate } from './queue-gate.js';
import type { Invocation } from './port.js';
import type { OptionLimits } from './user-options.js';
import type { ControlsStore, ScopeLimits } from '../jobs/controls-store.js';

export class OperatorControls {
  /** Closed while paused; the JobFollower holds starting jobs at it. */
  readonly gate: QueueGate;

  /**
   * `hold`: the transport's own pause, with Redis workers, which take jobs from Redis themselves (a
   * hold here would not stop them); the gate then stays open.
   */
  constructor(
    readonly store: ControlsStore,
    private readonly hold?: (paused: boolean) => Promise<void>,
  ) {
    this.gate = new QueueGate(store.paused(), !hold);
  }

  /** Brings the transport's pause in line with the stored one (at start, with Redis workers). */
  async restore(): Promise<void> {
    await this.hold?.(this.store.paused());
  }

  /** Where bans, channels and limits of this invocation live: its platform and server. */
  scopeOf(invocation: Invocation): string {
    return `${invocation.platform}:${invocation.server ?? ''}`;
  }

  /**
   * Why this user's command is refused here, or null. A DM belongs to no server, so a ban in any
   * server of the platform holds there too; chosen channels apply within their server only.
   */
  refusal(invocation: Invocation): string | null {
    const scope = this.scopeOf(invocation);
    const banned = invocation.server
      ? this.store.isBanned(scope, invocation.user.id)
      : this.store.isBanned(scope, invocation.user.id, `${invocation.platform}:`);
    if (banned) return BANNED;
    if (invocation.server) {
      const channels = this.store.channels(scope);
      if (channels.length > 0 && !channels.includes(invocation.where.channel)) return channelClosedText(channels);
    }
    return null;
  }

  /** The limits for a job from here: the global ones, lowered by the server's own. */
  limitsFor<L extends OptionLimits>(invocation: Invocation, global: L): L {
    if (!invocation.server) return global;
    const own: ScopeLimits = this.store.limits(this.scopeOf(invocation));
    return {
      ...global,
      maxSize: Math.min(global.maxSize, own.maxSize ?? Infinity),
      maxIterations: Math.min(global.maxIterations, own.maxIterations ?? Infinity),
    };
  }

  get paused(): boolean {
    return this.store.paused();
  }

  /** False when it was paused already. */
  async pause(): Promise<boolean> {
    if (this.paused) return false;
    await this.hold?.(true);
    this.store.setPaused(true);
    this.gate.close();
    return true;
  }

  /** False when it was not paused. */
  async resume(): Promise<boolean> {
    if (!this.paused) return false;
    await this.hold?.(false);
    this.store.setPaused(false);
    this.gate.open();
    return true;
  }
}
