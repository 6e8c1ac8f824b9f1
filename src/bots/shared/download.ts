/**
 * The part of downloading a user's file that every chat front end shares: a timeout, no redirects
 * (they could lead off the platform's hosts), and a byte cap checked against the declared length and
 * again while streaming, so an oversized file is never read whole. Errors carry a short reason a user
 * can read; `host` names the platform's file host in them.
 */

export interface FetchCappedOptions {
  host: string;
  timeoutMs: number;
  maxBytes: number;
  headers?: Record<string, string>;
  /** A response that is not the file (e.g. a login page) → a reason, or null when it is fine. */
  refuse?: (response: Response) => string | null;
}

export function megabytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1).replace(/\.0$/, '')} MB`;
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

export async function fetchCapped(url: URL, opts: FetchCappedOptions): Promise<Buffer> {
  const tooSlow = `the download took longer than ${Math.round(opts.timeoutMs / 1000)} s`;
  let response: Response;
  try {
    response = await fetch(url, {
      ...(opts.headers ? { headers: opts.headers } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    throw new Error(isTimeout(err) ? tooSlow : `${opts.host} could not be reached`);
  }
  const refusal = opts.refuse?.(response) ?? null;
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
    if (isTimeout(err)) throw new Error(tooSlow);
    throw err;
  } finally {
    if (total > opts.maxBytes) await discard(response);
  }
  return Buffer.concat(chunks);
}
