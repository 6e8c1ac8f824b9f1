/**
 * The web front end's conversations: what was posted in each browser's conversation, kept on disk so a
 * page reload (or a server restart) shows the thread again, and fanned out live to the page's event streams.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobButton, Reaction } from '../../commands/port.js';

/** An image shown in a message, served by URL from the file store. */
export interface WebFile {
  url: string;
  filename: string;
  description?: string;
}

export interface WebMessage {
  id: string;
  /** The job's thread inside the conversation (one per request sent from the page). */
  thread: string;
  author: 'bot' | 'you';
  text: string;
  files: WebFile[];
  reactions: Reaction[];
  /** Buttons under the message (the page shows them instead of the reactions when there are any). */
  buttons?: JobButton[];
  /** A whisper: an answer meant for the sender only (on the web, the sender is the only reader anyway). */
  whisper: boolean;
  at: number;
  editedAt?: number;
}

export type WebEvent = { type: 'snapshot'; messages: WebMessage[] } | { type: 'message'; message: WebMessage } | { type: 'removed'; id: string };

type Listener = (event: WebEvent) => void;

/** A conversation id is chosen by the browser; keep it to a safe file name. */
const CONVERSATION_ID = /^[A-Za-z0-9_-]{8,64}$/;

export function isConversationId(value: unknown): value is string {
  return typeof value === 'string' && CONVERSATION_ID.test(value);
}

export function newId(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
}

/** Oldest messages are dropped beyond this, so a long-lived conversation stays a small file. */
const MAX_MESSAGES = 300;
/** Progress edits arrive several times a second; writes are coalesced. */
const SAVE_DELAY_MS = 200;

export class Conversations {
  private readonly loaded = new Map<string, WebMessage[]>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly pendingSaves = new Map<string, NodeJS.Timeout>();
  private readonly saving = new Set<Promise<void>>();

  /** `history` adds messages kept elsewhere (the job store) to a snapshot. */
  constructor(
    private readonly dir: string,
    private readonly history: (conversation: string, present: WebMessage[]) => WebMessage[] = () => [],
  ) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  async messages(conversation: string): Promise<WebMessage[]> {
    return [...(await this.load(conversation))];
  }

  async find(conversation: string, id: string): Promise<WebMessage | undefined> {
    return (await this.load(conversation)).find((m) => m.id === id);
  }

  async add(
    conversation: string,
    fields: Pick<WebMessage, 'thread' | 'author' | 'text'> & Partial<Pick<WebMessage, 'files' | 'whisper' | 'buttons'>>,
  ): Promise<WebMessage> {
    const list = await this.load(conversation);
    const message: WebMessage = {
      id: newId('m'),
      thread: fields.thread,
      author: fields.author,
      text: fields.text,
      files: fields.files ?? [],
      reactions: [],
      ...(fields.buttons?.length ? { buttons: fields.buttons } : {}),
      whisper: fields.whisper ?? false,
      at: Date.now(),
    };
    list.push(message);
    if (list.length > MAX_MESSAGES) list.splice(0, list.length - MAX_MESSAGES);
    this.changed(conversation, message);
    return message;
  }

  /** Applies `change` to a message; returns the message before the change (undefined when unknown). */
  async edit(conversation: string, id: string, change: (m: WebMessage) => void): Promise<WebMessage | undefined> {
    const message = (await this.load(conversation)).find((m) => m.id === id);
    if (!message) return undefined;
    const before = structuredClone(message);
    change(message);
    message.editedAt = Date.now();
    this.changed(conversation, message);
    return before;
  }

  /** Takes a message out of the conversation (a job taken back); returns it, or undefined when unknown. */
  async remove(conversation: string, id: string): Promise<WebMessage | undefined> {
    const list = await this.load(conversation);
    const at = list.findIndex((m) => m.id === id);
    if (at < 0) return undefined;
    const [message] = list.splice(at, 1);
    this.changed(conversation, { type: 'removed', id });
    return message;
  }

  /** Live events of one conversation; the first event is a snapshot of everything so far. */
  async subscribe(conversation: string, listener: Listener): Promise<() => void> {
    const list = await this.load(conversation);
    let set = this.listeners.get(conversation);
    if (!set) this.listeners.set(conversation, (set = new Set()));
    set.add(listener);
    let earlier: WebMessage[] = [];
    try {
      earlier = this.history(conversation, list);
    } catch (error) {
      console.error(`web: the job history could not be read: ${String(error)}`);
    }
    listener({ type: 'snapshot', messages: [...earlier, ...list].sort((a, b) => a.at - b.at) });
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(conversation);
    };
  }

  /** Writes everything still pending (called on stop). */
  async flush(): Promise<void> {
    for (const [conversation, timer] of this.pendingSaves) {
      clearTimeout(timer);
      this.pendingSaves.delete(conversation);
      this.track(this.save(conversation));
    }
    await Promise.all([...this.saving]);
  }

  /** A message added or edited, or one removed: listeners hear of it and the conversation is saved soon. */
  private changed(conversation: string, change: WebMessage | Extract<WebEvent, { type: 'removed' }>): void {
    for (const listener of this.listeners.get(conversation) ?? []) {
      listener('type' in change ? change : { type: 'message', message: structuredClone(change) });
    }
    if (this.pendingSaves.has(conversation)) return;
    const timer = setTimeout(() => {
      this.pendingSaves.delete(conversation);
      this.track(this.save(conversation));
    }, SAVE_DELAY_MS);
    timer.unref();
    this.pendingSaves.set(conversation, timer);
  }

  private track(p: Promise<void>): void {
    const tracked = p
      .catch((error: unknown) => console.error(`web: could not save a conversation: ${String(error)}`))
      .finally(() => this.saving.delete(tracked));
    this.saving.add(tracked);
  }

  private file(conversation: string): string {
    return join(this.dir, `${conversation}.json`);
  }

  private async load(conversation: string): Promise<WebMessage[]> {
    if (!isConversationId(conversation)) throw new Error('Invalid conversation id.');
    const cached = this.loaded.get(conversation);
    if (cached) return cached;
    let list: WebMessage[] = [];
    try {
      const parsed: unknown = JSON.parse(await readFile(this.file(conversation), 'utf8'));
      if (Array.isArray(parsed)) list = parsed as WebMessage[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        console.error(`web: conversation ${conversation} could not be read; starting it afresh.`);
      }
    }
    // Another call may have loaded it while this one awaited the disk.
    const raced = this.loaded.get(conversation);
    if (raced) return raced;
    this.loaded.set(conversation, list);
    return list;
  }

  private async save(conversation: string): Promise<void> {
    const list = this.loaded.get(conversation);
    if (!list) return;
    const target = this.file(conversation);
    const temp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, JSON.stringify(list));
    await rename(temp, target);
  }
}
