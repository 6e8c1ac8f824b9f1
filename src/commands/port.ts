/**
 * The seam between front ends (Discord, Slack, web) and the platform-neutral commands.
 * A front end turns its platform's events into a CommandRequest + Invocation, and implements
 * ReplyPort to show what the commands say. Commands decide what to say; front ends decide only how.
 */

// Where a conversation lives is part of a job's record; front ends name it through this seam.
import type { Platform, ThreadRef } from '../jobs/job-record.js';
export type { Platform, ThreadRef };

export interface Invocation {
  platform: Platform;
  user: { id: string; name?: string };
  where: ThreadRef;
  /** The Discord server (guild id) or Slack workspace (team id) it came from; absent in DMs and on the web page. */
  server?: string;
  /** The platform counts this user among the bot's operators (see the front ends' READMEs): their controls are allowed. */
  admin?: boolean;
}

/** An image offered by a user. Commands check name/type/size before calling load(). */
export interface ImageSource {
  name: string;
  /** MIME type as declared by the platform, if any. */
  contentType?: string;
  /** Size in bytes as declared by the platform, if known. */
  size?: number;
  /** Downloads the bytes (the front end restricts hosts and applies a timeout). Rejects on failure. */
  load(): Promise<Buffer>;
}

/** Option values as they arrive: typed (Discord) or from text such as "tiles=4 size=384" (Slack). */
export type RawOptions = Record<string, string | number | boolean | undefined>;

export type CommandRequest =
  | { kind: 'stylize'; content: ImageSource; style: ImageSource; options: RawOptions }
  | { kind: 'palette'; style: ImageSource; options: RawOptions }
  /**
   * A new job from the one that posted `messageId` (or the job `jobId`), changed as `change` says
   * (default 'finer': the next finer tile count, as 🔁 asks).
   */
  | { kind: 'rerun'; messageId?: string; jobId?: string; change?: Variation }
  /** Cancel the invoking user's job that posted `messageId`, or `jobId`, or their latest job. */
  | { kind: 'cancel'; messageId?: string; jobId?: string }
  /**
   * Takes a finished job back: its messages and files go (its owner or an admin). The job that
   * posted `messageId`, or `jobId`. ❌ on a finished job's message asks the same through 'cancel'.
   */
  | { kind: 'delete'; messageId?: string; jobId?: string }
  /** Sends the result of the job that posted `messageId` (or `jobId`) to the invoking user in a direct message (✉️). */
  | { kind: 'send'; messageId?: string; jobId?: string }
  /** Posts an earlier job's result again, where it is asked, while its files are kept. */
  | { kind: 'show'; jobId: string }
  | { kind: 'status' }
  | { kind: 'help' }
  /** Shows the user's own defaults for new jobs, or sets them (`options`: strength=7 crop=none palette=off, reset). */
  | { kind: 'settings'; options: RawOptions }
  /** An operator's control (see AdminAction); refused unless `Invocation.admin`. */
  | { kind: 'admin'; action: AdminAction }
  /** Anything the front end did not recognise, so the answer is the same everywhere. */
  | { kind: 'unknown'; name: string };

/**
 * What an operator asks of the bot. Bans, channels and limits belong to the server or workspace it
 * was asked in (`Invocation.server`); pause and resume hold the one queue every job waits in.
 */
export type AdminAction =
  | { op: 'show' }
  | { op: 'pause' }
  | { op: 'resume' }
  /** `user`: the platform's user id (a front end turns a mention into it). */
  | { op: 'ban'; user: string }
  | { op: 'unban'; user: string }
  /** Adds a channel to those the bot answers in (default: where it was asked); the others are refused. */
  | { op: 'allow-channel'; channel?: string }
  /** Clears the list: every channel again. */
  | { op: 'all-channels' }
  /** Lowers size and iterations for jobs from this server, as typed (the commands check them). */
  | { op: 'limits'; size?: string | number; iterations?: string | number }
  | { op: 'clear-limits' }
  /** Words no control knows (from text front ends): answered with the usage. */
  | { op: 'unknown'; text: string };

export interface Attachment {
  filename: string;
  data: Buffer;
  /** Alt text / caption for accessibility. */
  description?: string;
}

/** A message the front end posted, identified by the platform's own id (Discord message id, Slack ts, ...). */
export interface MessageRef {
  id: string;
}

/**
 * The reaction meanings commands use; a front end maps them to its own emoji (🔁/:repeat:, ❌/:x:,
 * ⬆️/:arrow_up:, ✉️/:envelope:). ❌ cancels a waiting or running job and takes a finished one back.
 */
export type Reaction = 'rerun' | 'cancel' | 'upscale' | 'send';

/** How a finished job is run again: one option changed, or its result redrawn at twice the size. */
export type Variation = 'finer' | 'coarser' | 'stronger' | 'weaker' | 'seed' | 'upscale';
export const VARIATIONS: readonly Variation[] = ['finer', 'coarser', 'stronger', 'weaker', 'seed', 'upscale'];

/** What a button under a message asks of its job ('delete' takes a finished job back; 'send' DMs its result). */
export type JobAction = Variation | 'cancel' | 'delete' | 'send';

/**
 * A button under a message. It names its job itself (a front end puts `jobId` in the platform's
 * custom id or value), so a click finds the job after a restart or on a message the store never saw.
 */
export interface JobButton {
  action: JobAction;
  jobId: string;
  label: string;
}

export interface ReplyPort {
  /**
   * Posts in the job's thread (the front end creates the thread on first use where it can), with
   * buttons under it where given (a front end without buttons may ignore them).
   */
  post(text: string, files?: Attachment[], buttons?: JobButton[]): Promise<MessageRef>;
  /**
   * Edits an earlier message; files, where given, replace the message's previews (a front end may
   * ignore them); buttons, where given, replace its buttons ([] removes them; absent leaves them).
   */
  update(ref: MessageRef, text: string, files?: Attachment[], buttons?: JobButton[]): Promise<void>;
  react(ref: MessageRef, reaction: Reaction): Promise<void>;
  /** A reply only the invoking user sees where the platform can (ephemeral); else a normal post. */
  whisper(text: string): Promise<void>;
  /** Where the conversation lives now (includes the thread id once the thread exists). */
  where(): ThreadRef;
  /**
   * Whether a progress edit may go now: a front end shares its platform's edit rate limit among the
   * jobs in a channel or workspace here. Absent: always. State changes are not asked about.
   */
  mayShowProgress?(): boolean;
  /**
   * Resolves once everything posted and edited so far would survive a crash of this process. Only a
   * front end that keeps messages itself and writes them later needs it (chat platforms keep them).
   */
  flush?(): Promise<void>;
  /**
   * Where a job's final replies may go when this port's place refuses them for good (a locked
   * thread, a channel closed to the bot), in the order to try: the channel, then a direct message to
   * the user. Absent or empty: nowhere else.
   */
  fallbacks?(): Fallback[];
  /**
   * Deletes a message the bot posted, at `where` (the place it was posted, when known; else this
   * port's). Resolves when the message is gone, also when it was gone already. Absent: the platform
   * keeps what was said, and a job taken back loses only its files.
   */
  remove?(ref: MessageRef, where?: ThreadRef): Promise<void>;
  /**
   * Posts to the invoking user alone, in a direct message: 'refused' when the platform says the user
   * takes no direct messages from the bot (privacy settings, a bot user). Absent: no private place here.
   */
  sendPrivately?(text: string, files?: Attachment[]): Promise<'sent' | 'refused'>;
  /**
   * Whether a failure of this port may pass if tried again later (a rate limit beyond the client's
   * own retries, a server error, a dropped connection), rather than being a refusal. Absent: never.
   */
  transient?(err: unknown): boolean;
}

/** Another place for a job's final replies (ReplyPort.fallbacks). */
export interface Fallback {
  /** 'web': the web page, for another platform's job that reached no one there (Frontend.lastResort). */
  place: 'channel' | 'dm' | 'web';
  port: ReplyPort;
}

/** Each front end registers one, so jobs resumed after a restart can reach their thread again. */
export interface Frontend {
  platform: Platform;
  portFor(where: ThreadRef, user: { id: string }): ReplyPort;
  /**
   * Where another platform's job may leave its final replies once its thread, channel and DM all
   * refused them (the web page offers its own conversation for them). Absent: nowhere.
   */
  lastResort?(job: { id: string; platform: Platform }): Fallback | undefined;
}

/** The option limits in force: the engine's, narrowed by the operator's settings. */
export interface OptionLimits {
  maxTiles: number;
  minSize: number;
  /** The smaller of the configured cap and what the engine can serve. */
  maxSize: number;
  maxIterations: number;
}

/** What a front end checks before a request reaches the commands, and shows in its forms (the commands check again). */
export type FrontEndLimits = OptionLimits & {
  /** Largest image accepted, declared or downloaded. */
  maxImageBytes: number;
};

/** What front ends call. It never throws: every outcome, errors included, is answered through the port. */
export interface CommandHandler {
  readonly limits: FrontEndLimits;
  handle(request: CommandRequest, invocation: Invocation, port: ReplyPort): Promise<void>;
  registerFrontend(frontend: Frontend): void;
  /**
   * True the first time a platform's event id is seen, false when it was seen before (a retry of an
   * event already acted on): remembered with the jobs, so also across a restart.
   */
  firstSeen?(platform: Platform, eventId: string): boolean;
}
