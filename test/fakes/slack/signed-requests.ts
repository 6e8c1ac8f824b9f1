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

/** What an Events API delivery sent: its raw body (to send again as a retry) and its event_id. */
export interface SentEvent extends SlackResponse {
  raw: string;
  eventId: string;
}

/**
 * Why Slack retries an event (Events API, "Error handling", https://api.slack.com/apis/events-api#retries):
 * no 2xx within 3 seconds (http_timeout), a non-2xx answer (http_error), and others; up to 3 retries,
 * each with X-Slack-Retry-Num (1–3) and X-Slack-Retry-Reason, and the same event_id.
 */
export type RetryReason = 'http_timeout' | 'http_error' | 'connection_failed' | 'too_many_redirects' | 'ssl_error' | 'unknown_error';

export class SlackSender {
  private eventCounter = 0;

  constructor(
    /** e.g. http://127.0.0.1:PORT/slack/events */
    readonly endpoint: string,
    private readonly secret: string,
    private readonly teamId = 'T0000001',
    /** Where response_url replies go (the fake's /respond/). */
    private readonly responseBase = '',
    /** How far the fake's clock is ahead (response_url issue times are on it). */
    private readonly clockOffsetMs: () => number = () => 0,
  ) {}

  async send(body: string, contentType: string, overrides: SignOverrides = {}, extraHeaders: Record<string, string> = {}): Promise<SlackResponse> {
    const timestamp = overrides.timestamp ?? Math.floor(Date.now() / 1000);
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': overrides.signature ?? slackSignature(this.secret, timestamp, body),
        ...extraHeaders,
      },
      body,
    });
    return { status: response.status, body: await response.text() };
  }

  /** Slack's retry of an event it sent before: the same body (same event_id), freshly signed, with the retry headers. */
  retry(sent: SentEvent, num: 1 | 2 | 3, reason: RetryReason = 'http_timeout'): Promise<SlackResponse> {
    return this.send(sent.raw, 'application/json', {}, { 'x-slack-retry-num': String(num), 'x-slack-retry-reason': reason });
  }

  /** An Events API event_callback carrying `event`. */
  async event(event: Record<string, unknown>, overrides: SignOverrides = {}): Promise<SentEvent> {
    const eventId = `Ev${Date.now()}${++this.eventCounter}`;
    const body = JSON.stringify({
      token: 'deprecated-verification-token',
      team_id: this.teamId,
      api_app_id: 'A0000001',
      event: { event_ts: `${Date.now() / 1000}`, ...event },
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: this.teamId, user_id: 'UBOT0001', is_bot: true }],
    });
    return { ...(await this.send(body, 'application/json', overrides)), raw: body, eventId };
  }

  /** An interaction (e.g. block_actions): form-encoded with the JSON in `payload`, as Slack sends it. */
  interaction(payload: Record<string, unknown>, overrides: SignOverrides = {}): Promise<SlackResponse> {
    return this.send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded', overrides);
  }

  /** A slash command, form-encoded like Slack sends it. */
  command(
    fields: { command: string; text?: string; user_id: string; channel_id: string; user_name?: string },
    overrides: SignOverrides = {},
  ): Promise<SlackResponse> {
    const body = new URLSearchParams({
      token: 'deprecated-verification-token',
      team_id: this.teamId,
      team_domain: 'fake',
      channel_name: 'general',
      user_name: fields.user_name ?? fields.user_id.toLowerCase(),
      api_app_id: 'A0000001',
      // The fake's response_urls end in the time they were issued, for their 30-minute expiry.
      response_url: `${this.responseBase}/respond/${randomBytes(6).toString('hex')}-${Date.now() + this.clockOffsetMs()}`,
      trigger_id: `${Date.now()}.trigger`,
      text: '',
      ...fields,
    }).toString();
    return this.send(body, 'application/x-www-form-urlencoded', overrides);
  }
}
