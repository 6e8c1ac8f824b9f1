/**
 * Slash commands carry no files, so /stylize and /palette take the images the user posted most
 * recently in the channel: top-level messages (conversations.history) and the latest threads
 * (conversations.replies).
 *
 * Commercially distributed apps outside the Slack Marketplace may call these two methods once a
 * minute, and get at most 15 messages each (https://docs.slack.dev/apis/web-api/rate-limits, "App
 * types and rate limits"): the caller passes a client that answers a 429 at once instead of waiting,
 * so a thread that cannot be read is skipped and a history that cannot be read is said so at once.
 */
import type { webApi } from '@slack/bolt';
import { isFileStub, isImageFile, isUsableFile, resolveStub, type SlackFile } from './files.js';

type WebClient = webApi.WebClient;

/** How far back to look: one page of channel history and the most recently active threads in it. */
const HISTORY_LIMIT = 100;
const THREADS_TO_SEARCH = 5;

interface HistoryMessage {
  ts?: string;
  thread_ts?: string;
  user?: string;
  reply_count?: number;
  latest_reply?: string;
  files?: SlackFile[];
}

export interface FoundImage {
  file: SlackFile;
  /** The message that carries it. */
  ts: string;
  /** Its thread, if it was posted in one. */
  thread?: string;
}

export type FindResult = { ok: true; images: FoundImage[] } | { ok: false; error: string };

/** The user's images in a message, and the stubs (Slack Connect) that may be images once resolved. */
function imagesOf(message: HistoryMessage, user: string): FoundImage[] {
  if (message.user !== user || !message.ts) return [];
  return (message.files ?? [])
    .filter((f) => isUsableFile(f) && (isImageFile(f) || isFileStub(f)))
    .map((file) => {
      const found: FoundImage = { file, ts: message.ts! };
      if (message.thread_ts && message.thread_ts !== message.ts) found.thread = message.thread_ts;
      return found;
    });
}

/**
 * The user's `count` most recent images in the channel, oldest first (so the content image, posted
 * first, comes before the style image). Fewer when the user has not posted that many.
 */
export async function findRecentImages(
  client: WebClient,
  channel: string,
  user: string,
  count: number,
  log: Pick<Console, 'warn'> = console,
): Promise<FindResult> {
  let history: HistoryMessage[];
  try {
    const res = await client.conversations.history({ channel, limit: HISTORY_LIMIT });
    history = (res.messages ?? []) as HistoryMessage[];
  } catch (err) {
    const e = err as { code?: string; data?: { error?: string } };
    if (e.code === 'slack_webapi_rate_limited_error') return { ok: false, error: 'ratelimited' };
    return { ok: false, error: e.data?.error ?? 'unknown_error' };
  }
  const found: FoundImage[] = history.flatMap((m) => imagesOf(m, user));
  const threads = history
    .filter((m) => (m.reply_count ?? 0) > 0 && m.ts)
    .sort((a, b) => Number(b.latest_reply ?? b.ts) - Number(a.latest_reply ?? a.ts))
    .slice(0, THREADS_TO_SEARCH);
  const replies = await Promise.all(
    threads.map(async (parent) => {
      try {
        const res = await client.conversations.replies({ channel, ts: parent.ts!, limit: 200 });
        // The parent comes back first; it was already counted from the history.
        return ((res.messages ?? []) as HistoryMessage[]).filter((m) => m.ts !== parent.ts).map((m) => ({ ...m, thread_ts: parent.ts! }));
      } catch {
        return [];
      }
    }),
  );
  for (const message of replies.flat()) found.push(...imagesOf(message, user));
  // Chronological, files of one message in their order; ts strings compare as numbers.
  const ordered = found
    .map((image, index) => ({ image, index }))
    .sort((a, b) => Number(a.image.ts) - Number(b.image.ts) || a.index - b.index)
    .map((e) => e.image);
  // Newest first, stubs resolved one by one until enough images are found (few files.info calls).
  const latest: FoundImage[] = [];
  for (let i = ordered.length - 1; i >= 0 && latest.length < count; i--) {
    const image = ordered[i]!;
    if (!isFileStub(image.file)) {
      latest.unshift(image);
      continue;
    }
    const file = await resolveStub(client, image.file, log);
    if (isImageFile(file) && isUsableFile(file) && !isFileStub(file)) latest.unshift({ ...image, file });
  }
  return { ok: true, images: latest };
}
