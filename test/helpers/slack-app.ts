/** The Slack front end under test: the real Bolt app in HTTP mode against a FakeSlack, and a signed-request sender. */
import { configFromEnv, startSlack, type SlackHandle } from '../../src/bots/slack/index.js';
import type { CommandHandler } from '../../src/commands/index.js';
import type { FakeSlack } from '../fakes/slack/server.js';
import { SlackSender } from '../fakes/slack/signed-requests.js';

/** Errors reach the test's output; warnings and progress do not. */
export const quietLog = { error: (...args: unknown[]) => console.error(...args), warn: () => undefined, info: () => undefined };

export async function startSlackAgainst(
  fake: FakeSlack,
  handler: CommandHandler,
  secret: string,
  env: Record<string, string> = {},
): Promise<{ slack: SlackHandle; sender: SlackSender }> {
  const config = configFromEnv({
    ...env,
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_SIGNING_SECRET: secret,
    SLACK_PORT: '0',
    SLACK_HOST: '127.0.0.1',
    SLACK_API_URL: fake.apiUrl,
    SLACK_FILE_ORIGINS: fake.url,
  })!;
  const slack = await startSlack(config, handler, { sharePollMs: [0, 50, 100], log: quietLog });
  return { slack, sender: new SlackSender(`${slack.url}/slack/events`, secret, fake.teamId, fake.url) };
}
