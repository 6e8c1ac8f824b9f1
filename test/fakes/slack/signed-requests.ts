/**
 * Sends what Slack sends to an app's Request URL, signed the way Slack signs it:
 * X-Slack-Signature = "v0=" + HMAC-SHA256(signing secret, "v0:{timestamp}:{raw body}").
 */
import { createHmac, randomBytes } from 'node:crypto';

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SignOverrides {
  /** Seconds since the epoch to sign and send (default now). */
  timestamp?: number;
  /** Send this instead of the correct signature. */
  signature?: string;
}

export interface SlackResponse {
  status: number;
  body: string;
}

export class SlackSender {
  private eventCounter = 0;

  constructor(
    /** e.g. http://127.0.0.1:PORT/slack/events */
    readonly endpoint: string,
    private readonly secret: string,
    private readonly teamId = 'T0000001',
    /** Where response_url replies go (the fake's /respond/). */
    private readonly responseBase = '',
  ) {}

  async send(body: string, contentType: string, overrides: SignOverrides = {}): Promise<SlackResponse> {
    const timestamp = overrides.timestamp ?? Math.floor(Date.now() / 1000);
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': overrides.signature ?? slackSignature(this.secret, timestamp, body),
      },
      body,
    });
    return { status: response.status, body: await response.text() };
  }

  /** An Events API event_callback carrying `event`. */
  event(event: Record<string, unknown>, overrides: SignOverrides = {}): Promise<SlackResponse> {
    const body = JSON.stringify({
      token: 'deprecated-verification-token',
      team_id: this.teamId,
      api_app_id: 'A0000001',
      event: { event_ts: `${Date.now() / 1000}`, ...event },
      type: 'event_callback',
      event_id: `Ev${Date.now()}${++this.eventCounter}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: this.teamId, user_id: 'UBOT0001', is_bot: true }],
    });
    return this.send(body, 'application/json', overrides);
  }

  /** An interaction (e.g. block_actions): form-encoded with the JSON in `payload`, as Slack sends it. */
  interaction(payload: Record<string, unknown>, overrides: SignOverrides = {}): Promise<SlackResponse> {
    return this.send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded', overrides);
  }

  /** A slash command, form-encoded like Slack sends it. */
  command(fields: { command: string; text?: string; user_id: string; channel_id: string; user_name?: string }, overrides: SignOverrides = {}): Promise<SlackResponse> {
    const body = new URLSearchParams({
      token: 'deprecated-verification-token',
      team_id: this.teamId,
      team_domain: 'fake',
      channel_name: 'general',
      user_name: fields.user_name ?? fields.user_id.toLowerCase(),
      api_app_id: 'A0000001',
      response_url: `${this.responseBase}/respond/${randomBytes(6).toString('hex')}`,
      trigger_id: `${Date.now()}.trigger`,
      text: '',
      ...fields,
    }).toString();
    return this.send(body, 'application/x-www-form-urlencoded', overrides);
  }
}
