/**
 * Discord attachments as the commands' ImageSource: downloaded only from Discord's attachment hosts,
 * with a timeout and a byte cap applied while streaming.
 */
import type { ImageSource } from '../../commands/port.js';

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

function megabytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1).replace(/\.0$/, '')} MB`;
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
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
  const seconds = Math.round(opts.timeoutMs / 1000);
  let response: Response;
  try {
    // A redirect could lead off Discord's hosts, so none is followed.
    response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(opts.timeoutMs) });
  } catch (err) {
    if (isTimeout(err)) throw new Error(`the download took longer than ${seconds} s`);
    throw new Error("Discord's file host could not be reached");
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(response.status === 404 || response.status === 403 ? 'the file has expired or was deleted' : `Discord's file host answered ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`it is larger than ${megabytes(opts.maxBytes)}`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of response.body ?? []) {
      total += chunk.length;
      if (total > opts.maxBytes) throw new Error(`it is larger than ${megabytes(opts.maxBytes)}`);
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (isTimeout(err)) throw new Error(`the download took longer than ${seconds} s`);
    throw err;
  }
  return Buffer.concat(chunks);
}

/** The ImageSource the commands check (name, declared type and size) before calling load(). */
export function imageSourceFor(attachment: DiscordAttachment, opts: DownloadOptions): ImageSource {
  const source: ImageSource = {
    name: attachment.name,
    load: () => downloadAttachment(attachment.url, opts),
  };
  if (attachment.contentType) source.contentType = attachment.contentType;
  if (typeof attachment.size === 'number') source.size = attachment.size;
  return source;
}
