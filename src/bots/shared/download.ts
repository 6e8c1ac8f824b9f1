/**
 * The part of downloading a user's file that every chat front end shares: a timeout over the whole
 * download, redirects followed only where the front end says (they could lead off the platform's
 * hosts, and must not carry a token there), and a byte cap checked against the declared length and
 * again while streaming, so an oversized file is never read whole. Errors carry a short reason a user
 * can read; `host` names the platform's file host in them.
 */
import { byteSize } from '../../commands/messages.js';

/** Where a redirect may go: the headers to send there, or a reason to stop. */
export type RedirectDecision = { headers?: Record<string, string> } | { refuse: string };

export interface FetchCappedOptions {
  host: string;
  timeoutMs: number;
  maxBytes: number;
  headers?: Record<string, string>;
  /** A response that is not the file (e.g. a login page) → a reason, or null when it is fine. `via`: the redirects followed. */
  refuse?: (response: Response, via: URL[]) => string | null;
  /** Decides each redirect; without it, a redirect is answered like any other response (refuse, then status). */
  redirect?: (to: URL, from: URL) => RedirectDecision;
  /** Most redirects followed (default 3). */
  maxRedirects?: number;
}

/** Declared types that say nothing about the bytes (the commands decode them to find out). */
const UNINFORMATIVE_TYPES = new Set(['application/octet-stream', 'binary/octet-stream', 'application/unknown']);

/** A platform's declared type when it says something; undefined for "some bytes" or nothing. */
export function informativeType(type: string | null | undefined): string | undefined {
  const bare = (type ?? '').split(';')[0]!.trim().toLowerCase();
  return bare === '' || UNINFORMATIVE_TYPES.has(bare) ? undefined : type!.trim();
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

function isRedirect(response: Response): boolean {
  return response.status >= 300 && response.status < 400 && response.headers.has('location');
}

export async function fetchCapped(url: URL, opts: FetchCappedOptions): Promise<Buffer> {
  const tooSlow = `the download took longer than ${Math.round(opts.timeoutMs / 1000)} s`;
  const signal = AbortSignal.timeout(opts.timeoutMs);
  const via: URL[] = [];
  let headers = opts.headers;
  let response: Response;
  for (;;) {
    try {
      // Redirects are never followed by fetch itself: it would keep custom headers on another host.
      response = await fetch(url, { ...(headers ? { headers } : {}), redirect: 'manual', signal });
    } catch (err) {
      throw new Error(isTimeout(err) ? tooSlow : `${opts.host} could not be reached`);
    }
    if (!opts.redirect || !isRedirect(response)) break;
    await discard(response);
    if (via.length >= (opts.maxRedirects ?? 3)) throw new Error(`${opts.host} redirected the download too many times`);
    let next: URL;
    try {
      next = new URL(response.headers.get('location')!, url);
    } catch {
      throw new Error(`${opts.host} redirected the download to an invalid address`);
    }
    const decision = opts.redirect(next, url);
    if ('refuse' in decision) throw new Error(decision.refuse);
    headers = decision.headers;
    via.push(next);
    url = next;
  }
  const refusal = opts.refuse?.(response, via) ?? null;
  if (refusal) {
    await discard(response);
    throw new Error(refusal);
  }
  if (!response.ok) {
    await discard(response);
    throw new Error(`${opts.host} answered ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    await discard(response);
    throw new Error(`it is larger than ${byteSize(opts.maxBytes)}`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of response.body ?? []) {
      total += chunk.length;
      if (total > opts.maxBytes) throw new Error(`it is larger than ${byteSize(opts.maxBytes)}`);
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (isTimeout(err)) throw new Error(tooSlow);
    throw err;
  } finally {
    if (total > opts.maxBytes) await discard(response);
  }
  return Buffer.concat(chunks);
}
