/** Small HTTP and server-sent-event clients for the web front end's tests. */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { WebEvent, WebMessage } from '../../src/bots/web/conversations.js';

export const FIXTURES = process.env.TILESTYLE_FIXTURES ?? new URL('../../../shared/fixtures/', import.meta.url).pathname;

export function conversationId(): string {
  return `test${randomBytes(8).toString('hex')}`;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request whose path is sent exactly as given (no URL normalisation, unlike fetch). */
export function rawRequest(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string | number>; body?: Buffer } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Posts a multipart form like the page does; files are read from the fixtures unless bytes are given. */
export async function postForm(
  base: string,
  path: string,
  conversation: string,
  files: Record<string, { name: string; type: string; data?: Buffer }>,
  fields: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  for (const [field, file] of Object.entries(files)) {
    const data = file.data ?? (await readFile(FIXTURES + file.name));
    form.append(field, new Blob([new Uint8Array(data)], { type: file.type }), file.name);
  }
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  const res = await fetch(new URL(`${path}?c=${conversation}`, base), { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Follows /api/events for a conversation and keeps the latest state of every message. */
export class EventStream {
  readonly events: WebEvent[] = [];
  readonly messages = new Map<string, WebMessage>();
  private req?: http.ClientRequest;
  private waiters = new Set<() => void>();

  static async open(base: string, conversation: string): Promise<EventStream> {
    const stream = new EventStream();
    await stream.connect(base, conversation);
    return stream;
  }

  private connect(base: string, conversation: string): Promise<void> {
    const { hostname, port } = new URL(base);
    return new Promise((resolve, reject) => {
      this.req = http.get({ hostname, port, path: `/api/events?c=${conversation}` }, (res) => {
        if (res.statusCode !== 200 || !String(res.headers['content-type']).startsWith('text/event-stream')) {
          reject(new Error(`events answered ${res.statusCode} ${res.headers['content-type']}`));
          return;
        }
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            this.parse(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        });
        res.on('error', () => {});
        resolve();
      });
      this.req.on('error', reject);
    });
  }

  private parse(block: string): void {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => line.slice(6))
      .join('\n');
    if (!data) return;
    const event = JSON.parse(data) as WebEvent;
    this.events.push(event);
    if (event.type === 'snapshot') for (const m of event.messages) this.messages.set(m.id, m);
    else if (event.type === 'removed') this.messages.delete(event.id);
    else this.messages.set(event.message.id, event.message);
    for (const wake of this.waiters) wake();
  }

  /** Resolves with the first message (latest state) that satisfies `test`. */
  waitFor(test: (m: WebMessage) => boolean, timeoutMs = 60_000, what = 'a matching message'): Promise<WebMessage> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = [...this.messages.values()].find(test);
        if (found) {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve(found);
        }
        return Boolean(found);
      };
      const wake = (): void => void check();
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        const seen = [...this.messages.values()].map((m) => `${m.author}: ${m.text}`).join('\n');
        reject(new Error(`timed out waiting for ${what}; messages so far:\n${seen}`));
      }, timeoutMs);
      this.waiters.add(wake);
      check();
    });
  }

  close(): void {
    this.req?.destroy();
  }
}
