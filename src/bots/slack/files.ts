/**
 * Slack files as the commands' ImageSource: private files are fetched with the bot token, only from
 * Slack's own file hosts, with a timeout and a byte cap applied while streaming.
 */
import type { webApi } from '@slack/bolt';
import type { ImageSource } from '../../commands/port.js';
import { fetchCapped, informativeType, type RedirectDecision } from '../shared/download.js';

/** The fields of a Slack file object this front end reads (events, files.info, conversations.*). */
export interface SlackFile {
  id: string;
  name?: string;
  title?: string;
  mimetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
  /** 'tombstone' (deleted), 'hidden_by_limit', … */
  mode?: string;
  /** 'check_file_info' when the event carries only a stub (e.g. Slack Connect). */
  file_access?: string;
}

type WebClient = webApi.WebClient;

export interface DownloadOptions {
  token: string;
  allowedOrigins: string[];
  timeoutMs: number;
  maxBytes: number;
}

export function isImageFile(file: SlackFile): boolean {
  return /^image\//i.test(file.mimetype ?? '');
}

/** Deleted or hidden files show up in history but cannot be used. */
export function isUsableFile(file: SlackFile): boolean {
  return file.mode !== 'tombstone' && file.mode !== 'hidden_by_limit';
}

/**
 * Slack Connect (and some other events) deliver only a stub of a file — `file_access:
 * 'check_file_info'`, no mimetype or address — and Slack's docs say to call files.info for the rest.
 */
export function isFileStub(file: SlackFile): boolean {
  return file.file_access === 'check_file_info' || (!file.url_private && !file.url_private_download);
}

/** The full file object for a stub (files.info); the stub itself when Slack does not give it. */
export async function resolveStub(client: WebClient, file: SlackFile, log: Pick<Console, 'warn'>): Promise<SlackFile> {
  if (!isFileStub(file)) return file;
  try {
    const full = (await client.files.info({ file: file.id })).file;
    return full?.id ? { ...full, id: full.id } : file;
  } catch (err) {
    log.warn(`Slack: files.info failed for ${file.id}: ${(err as { data?: { error?: string } }).data?.error ?? String(err)}`);
    return file;
  }
}

export function fileName(file: SlackFile): string {
  return file.name || file.title || file.id;
}

/** Slack's own hosts, which a file download may be redirected to (over https). */
const SLACK_HOSTS = [/(^|\.)slack\.com$/, /(^|\.)slack-edge\.com$/, /(^|\.)slack-files\.com$/];
/** The bot token authenticates requests to Slack's own domain; other Slack hosts are presigned. */
const TOKEN_HOST = /(^|\.)slack\.com$/;

/**
 * Where a redirected download may go, and with which headers. files.slack.com is reported to answer
 * the token-bearing GET with a 302 to another Slack host before the bytes (an Enterprise Grid origin
 * host, slack-files.com, or a presigned *.slack-edge.com address), which Slack's docs do not mention.
 * The redirect is followed only to Slack's hosts (or the configured file origins), and the token is
 * re-sent only to the same origin or to https *.slack.com.
 */
export function slackRedirect(to: URL, from: URL, opts: Pick<DownloadOptions, 'token' | 'allowedOrigins'>): RedirectDecision {
  const https = to.protocol === 'https:';
  const slackHost = https && SLACK_HOSTS.some((host) => host.test(to.hostname));
  if (!slackHost && !opts.allowedOrigins.includes(to.origin)) {
    return { refuse: `Slack redirected the download to ${to.host}, which is not one of Slack's hosts` };
  }
  const withToken = to.origin === from.origin || (https && TOKEN_HOST.test(to.hostname));
  return withToken ? { headers: { Authorization: `Bearer ${opts.token}` } } : {};
}

/** Downloads a private Slack file. Errors carry a short reason a user can read. */
export async function downloadPrivateFile(address: string, opts: DownloadOptions): Promise<Buffer> {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new Error('Slack gave an invalid file address');
  }
  // The bot token goes with the request, so it must never reach another host.
  if (!opts.allowedOrigins.includes(url.origin)) throw new Error(`the file is not on Slack's file host (${url.host})`);
  return fetchCapped(url, {
    host: 'Slack',
    timeoutMs: opts.timeoutMs,
    maxBytes: opts.maxBytes,
    headers: { Authorization: `Bearer ${opts.token}` },
    redirect: (to, from) => slackRedirect(to, from, opts),
    refuse: (r, via) => {
      // Slack answers a request it does not authorize with its sign-in page (after a redirect), not an error.
      if (r.ok && /text\/html/i.test(r.headers.get('content-type') ?? '')) {
        const where = via.length > 0 ? ` (after a redirect to ${via.at(-1)!.host})` : '';
        return `Slack sent a web page instead of the file${where}; the app may be missing the files:read scope`;
      }
      return null;
    },
  });
}

/** The ImageSource the commands check (name, declared type and size) before calling load(). */
export function imageSourceFor(file: SlackFile, opts: DownloadOptions): ImageSource {
  const source: ImageSource = {
    name: fileName(file),
    load: () => {
      const address = file.url_private_download ?? file.url_private;
      if (!address) return Promise.reject(new Error('Slack gave no download address for it'));
      return downloadPrivateFile(address, opts);
    },
  };
  const type = informativeType(file.mimetype);
  if (type) source.contentType = type;
  if (typeof file.size === 'number') source.size = file.size;
  return source;
}
