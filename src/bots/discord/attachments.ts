/**
 * Discord attachments as the commands' ImageSource: downloaded only from Discord's attachment hosts,
 * with a timeout and a byte cap applied while streaming.
 */
import type { ImageSource } from '../../commands/port.js';
import { fetchCapped, informativeType } from '../shared/download.js';

/** The fields of an attachment this front end reads (discord.js Attachment has them). */
export interface DiscordAttachment {
  name: string;
  url: string;
  proxyURL?: string;
  contentType?: string | null;
  size?: number;
}

export interface DownloadOptions {
  allowedOrigins: string[];
  timeoutMs: number;
  maxBytes: number;
}

/** Downloads an attachment. Errors carry a short reason a user can read. */
export async function downloadAttachment(address: string, opts: DownloadOptions): Promise<Buffer> {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new Error('Discord gave an invalid file address');
  }
  if (!opts.allowedOrigins.includes(url.origin)) throw new Error(`the file is not on Discord's file host (${url.host})`);
  return fetchCapped(url, {
    host: "Discord's file host",
    timeoutMs: opts.timeoutMs,
    maxBytes: opts.maxBytes,
    refuse: (r) => (r.status === 404 || r.status === 403 ? 'the file has expired or was deleted' : null),
  });
}

/** The ImageSource the commands check (name, declared type and size) before calling load(). */
export function imageSourceFor(attachment: DiscordAttachment, opts: DownloadOptions): ImageSource {
  const source: ImageSource = {
    name: attachment.name,
    load: () => downloadAttachment(attachment.url, opts),
  };
  const type = informativeType(attachment.contentType);
  if (type) source.contentType = type;
  if (typeof attachment.size === 'number') source.size = attachment.size;
  return source;
}
