/**
 * Who Slack counts among the bot's operators: workspace admins and owners, as users.info says them
 * (`is_admin`, `is_owner`; the primary owner is an owner too —
 * https://docs.slack.dev/reference/objects/user-object), or the users named in SLACK_ADMIN_USERS.
 * users.info (Tier 4, scope users:read) is asked once per user every few minutes, not per command.
 */
import type { webApi } from '@slack/bolt';

/** Long enough to spare the API, short enough that a demoted admin loses the controls soon. */
const REMEMBER_MS = 5 * 60 * 1000;

export class SlackOperators {
  private readonly known = new Map<string, { admin: boolean; until: number }>();
  private readonly asking = new Map<string, Promise<boolean>>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly named: string[],
    private readonly log: Pick<Console, 'warn'>,
    private readonly now: () => number = Date.now,
  ) {}

  async isOperator(userId: string): Promise<boolean> {
    if (this.named.includes(userId)) return true;
    const known = this.known.get(userId);
    if (known && known.until > this.now()) return known.admin;
    let asked = this.asking.get(userId);
    if (!asked) {
      asked = this.ask(userId).finally(() => this.asking.delete(userId));
      this.asking.set(userId, asked);
    }
    return asked;
  }

  private async ask(userId: string): Promise<boolean> {
    try {
      const res = await this.client.users.info({ user: userId });
      const admin = Boolean(res.user?.is_admin || res.user?.is_owner || res.user?.is_primary_owner);
      this.known.set(userId, { admin, until: this.now() + REMEMBER_MS });
      return admin;
    } catch (err) {
      // Not remembered: the next command asks again. Without users:read (an app installed from an
      // older manifest), only SLACK_ADMIN_USERS count.
      this.log.warn(
        `Slack: could not read whether ${userId} is a workspace admin (${(err as { data?: { error?: string } }).data?.error ?? String(err)}); counting them as a member.`,
      );
      return false;
    }
  }
}
