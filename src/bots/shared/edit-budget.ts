/**
 * A platform's limit on message edits, shared fairly by the jobs editing in one place (a Discord
 * channel, a Slack workspace): a token bucket refilled at `perMinute`, of which progress edits may
 * take only what is left, each job at most its share (one edit per `jobs / rate`), while final edits
 * always go and only take from it. So N jobs at once show slower previews, never lose a last word.
 */
export interface EditBudgetOptions {
  /** Edits the platform allows per minute in one place (leave some room below the real limit). */
  perMinute: number;
  /** Edits that may go at once after a quiet spell. */
  burst: number;
  /** A job that has not edited for this long no longer counts as sharing (default one minute). */
  idleMs?: number;
}

interface Place {
  tokens: number;
  refilledAt: number;
  /** Who edited here lately, and when they last did. */
  senders: Map<object, number>;
}

export class EditBudget {
  private readonly places = new Map<string, Place>();
  private readonly perMs: number;

  constructor(private readonly opts: EditBudgetOptions) {
    this.perMs = opts.perMinute / 60_000;
  }

  /**
   * Whether `sender` may make a progress edit in `place` now (its edit then calls take()): a token
   * must be left and the sender's last progress edit be at least its share of the rate ago.
   */
  tryProgress(place: string, sender: object, now = Date.now()): boolean {
    const p = this.refill(place, now);
    const active = this.activeSenders(p, sender, now);
    const last = p.senders.get(sender);
    const share = active / this.perMs;
    if (p.tokens < 1 || (last !== undefined && now - last < share)) return false;
    p.senders.set(sender, now);
    return true;
  }

  /**
   * An edit that must go (a state change): waits, when the place is over its rate, until a token is
   * back, so a burst of final edits is spread out instead of being refused by the platform.
   */
  async acquire(place: string): Promise<void> {
    const p = this.refill(place, Date.now());
    if (p.tokens < 1) await new Promise((resolve) => setTimeout(resolve, Math.ceil((1 - p.tokens) / this.perMs)));
    this.take(place);
  }

  /** Every edit takes a token when it goes, final ones regardless, so progress waits for them. */
  take(place: string, now = Date.now()): void {
    this.refill(place, now).tokens -= 1;
  }

  private refill(place: string, now: number): Place {
    let p = this.places.get(place);
    if (!p) {
      p = { tokens: this.opts.burst, refilledAt: now, senders: new Map() };
      this.places.set(place, p);
    }
    p.tokens = Math.min(this.opts.burst, p.tokens + (now - p.refilledAt) * this.perMs);
    p.refilledAt = now;
    return p;
  }

  private activeSenders(p: Place, sender: object, now: number): number {
    const idle = this.opts.idleMs ?? 60_000;
    for (const [s, at] of p.senders) if (now - at > idle) p.senders.delete(s);
    return p.senders.size + (p.senders.has(sender) ? 0 : 1);
  }
}
