/**
 * The job store: one SQLite file in the data directory. Jobs and the ids of the messages they posted
 * live here (so a reaction on any of them finds its job, also after a restart); image bytes do not —
 * inputs are kept on disk by content hash and results by job id (see data-files.ts).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Delivery, JobInputs, JobOptions, JobRecord, JobState, Platform, RecordKind, ThreadRef } from './job-record.js';

/** 'copy': a result posted again (show), outside the job's own thread. */
export type MessageRole = 'status' | 'palette' | 'result' | 'settings' | 'note' | 'copy';

interface JobRow {
  id: string;
  platform: string;
  user_id: string;
  user_name: string | null;
  channel: string;
  thread: string | null;
  extra: string | null;
  kind: string;
  options: string;
  inputs: string;
  parent_id: string | null;
  state: string;
  device: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
  delivery: string | null;
  server: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  platform TEXT NOT NULL,
  user_id TEXT NOT NULL,
  user_name TEXT,
  channel TEXT NOT NULL,
  thread TEXT,
  extra TEXT,
  kind TEXT NOT NULL,
  options TEXT NOT NULL,
  inputs TEXT NOT NULL,
  parent_id TEXT,
  state TEXT NOT NULL,
  device TEXT,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  error TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state);
CREATE INDEX IF NOT EXISTS jobs_by_place ON jobs (platform, channel, created_at);
CREATE INDEX IF NOT EXISTS jobs_by_user ON jobs (platform, user_id, created_at);
CREATE TABLE IF NOT EXISTS messages (
  platform TEXT NOT NULL,
  message_id TEXT NOT NULL,
  job_id TEXT NOT NULL REFERENCES jobs (id),
  role TEXT NOT NULL,
  PRIMARY KEY (platform, message_id)
);
CREATE INDEX IF NOT EXISTS messages_by_job ON messages (job_id);
CREATE TABLE IF NOT EXISTS outbox (
  job_id TEXT PRIMARY KEY REFERENCES jobs (id),
  plan TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_events (
  platform TEXT NOT NULL,
  event_id TEXT NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (platform, event_id)
);
CREATE INDEX IF NOT EXISTS seen_events_by_time ON seen_events (seen_at);
CREATE TABLE IF NOT EXISTS user_defaults (
  platform TEXT NOT NULL,
  user_id TEXT NOT NULL,
  settings TEXT NOT NULL,
  PRIMARY KEY (platform, user_id)
);
`;

/**
 * How long a platform event's id is remembered: Slack retries an event up to three times, the last
 * about five minutes after the first (Events API, "Error handling"); an hour leaves room for a restart.
 */
const REMEMBER_EVENTS_MS = 60 * 60 * 1000;

/**
 * The replies that end a job, written in the same transaction as its final state, so a crash between
 * the two cannot leave a finished job unanswered: start() sends what is still in the outbox.
 */
export interface FinalPlan {
  /** Posts in order; a role already posted for the job is not posted again. `image` posts that result file. */
  posts: { role: MessageRole; text: string; image?: 'palette' | 'result' }[];
  /** The last text of the status message. */
  status: string;
  /** Edit the status before the posts (a failure shows on the status first), else after them. */
  statusFirst?: boolean;
}

function fromRow(row: JobRow): JobRecord {
  const where: ThreadRef = { channel: row.channel };
  if (row.thread !== null) where.thread = row.thread;
  if (row.extra !== null) where.extra = JSON.parse(row.extra) as Record<string, string>;
  const record: JobRecord = {
    id: row.id,
    platform: row.platform as Platform,
    user: row.user_name !== null ? { id: row.user_id, name: row.user_name } : { id: row.user_id },
    where,
    kind: row.kind as RecordKind,
    options: JSON.parse(row.options) as JobOptions,
    inputs: JSON.parse(row.inputs) as JobInputs,
    state: row.state as JobState,
    createdAt: row.created_at,
  };
  if (row.parent_id !== null) record.parentId = row.parent_id;
  if (row.device !== null) record.device = row.device;
  if (row.started_at !== null) record.startedAt = row.started_at;
  if (row.finished_at !== null) record.finishedAt = row.finished_at;
  if (row.error !== null) record.error = row.error;
  if (row.delivery !== null) record.delivery = row.delivery as Delivery;
  if (row.server !== null) record.server = row.server;
  return record;
}

export class JobStore {
  private readonly db: Database.Database;
  /** Old event ids are pruned every hundredth new one (and on the first). */
  private eventsAdded = 0;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(path.join(dataDir, 'jobs.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
    // Stores written before delivery was recorded gain the column.
    const columns = this.db.prepare('PRAGMA table_info(jobs)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'delivery')) this.db.exec('ALTER TABLE jobs ADD COLUMN delivery TEXT');
    // ... and the server or workspace the job came from (their jobs count for no server's quota).
    if (!columns.some((c) => c.name === 'server')) this.db.exec('ALTER TABLE jobs ADD COLUMN server TEXT');
    this.db.exec('CREATE INDEX IF NOT EXISTS jobs_by_server ON jobs (platform, server, created_at)');
    // Where each message was posted, so a job taken back can delete it (older rows have none: the job's place).
    const messageColumns = this.db.prepare('PRAGMA table_info(messages)').all() as { name: string }[];
    if (!messageColumns.some((c) => c.name === 'place')) this.db.exec('ALTER TABLE messages ADD COLUMN place TEXT');
  }

  insert(job: JobRecord): void {
    this.db
      .prepare(
        `INSERT INTO jobs (id, platform, user_id, user_name, server, channel, thread, extra, kind, options, inputs, parent_id, state, device, created_at, started_at, finished_at, error)
         VALUES (@id, @platform, @user_id, @user_name, @server, @channel, @thread, @extra, @kind, @options, @inputs, @parent_id, @state, @device, @created_at, @started_at, @finished_at, @error)`,
      )
      .run({
        id: job.id,
        platform: job.platform,
        user_id: job.user.id,
        user_name: job.user.name ?? null,
        server: job.server ?? null,
        channel: job.where.channel,
        thread: job.where.thread ?? null,
        extra: job.where.extra ? JSON.stringify(job.where.extra) : null,
        kind: job.kind,
        options: JSON.stringify(job.options),
        inputs: JSON.stringify(job.inputs),
        parent_id: job.parentId ?? null,
        state: job.state,
        device: job.device ?? null,
        created_at: job.createdAt,
        started_at: job.startedAt ?? null,
        finished_at: job.finishedAt ?? null,
        error: job.error ?? null,
      });
  }

  get(id: string): JobRecord | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Records a state change; timestamps and error go with it. */
  setState(id: string, state: JobState, extra: { device?: string; startedAt?: number; finishedAt?: number; error?: string } = {}): void {
    this.db
      .prepare(
        `UPDATE jobs SET state = @state,
           device = COALESCE(@device, device),
           started_at = COALESCE(@started_at, started_at),
           finished_at = @finished_at,
           error = @error
         WHERE id = @id`,
      )
      .run({
        id,
        state,
        device: extra.device ?? null,
        started_at: extra.startedAt ?? null,
        finished_at: extra.finishedAt ?? null,
        error: extra.error ?? null,
      });
  }

  /** A final state and the replies that announce it, committed together. */
  conclude(id: string, state: JobState, extra: { finishedAt?: number; error?: string }, plan: FinalPlan): void {
    this.db.transaction(() => {
      this.setState(id, state, extra);
      this.db.prepare('INSERT OR REPLACE INTO outbox (job_id, plan) VALUES (?, ?)').run(id, JSON.stringify(plan));
    })();
  }

  /** Jobs whose final replies are not all confirmed sent, oldest first. */
  outbox(): { record: JobRecord; plan: FinalPlan }[] {
    const rows = this.db
      .prepare('SELECT jobs.*, outbox.plan AS plan FROM outbox JOIN jobs ON jobs.id = outbox.job_id ORDER BY jobs.created_at, jobs.rowid')
      .all() as (JobRow & { plan: string })[];
    return rows.map((row) => ({ record: fromRow(row), plan: JSON.parse(row.plan) as FinalPlan }));
  }

  /** The ids of the jobs in the outbox: their final replies are still owed. */
  outboxIds(): string[] {
    return (this.db.prepare('SELECT job_id FROM outbox').all() as { job_id: string }[]).map((r) => r.job_id);
  }

  /** The final replies of a job reached its thread. */
  sent(id: string): void {
    this.db.prepare('DELETE FROM outbox WHERE job_id = ?').run(id);
  }

  /** Where a job's final replies went (see Delivery). */
  setDelivery(id: string, delivery: Delivery): void {
    this.db.prepare('UPDATE jobs SET delivery = ? WHERE id = ?').run(delivery, id);
  }

  /** Finished jobs whose final replies reached no one yet, oldest first; optionally one user's. */
  undelivered(platform?: Platform, userId?: string): JobRecord[] {
    const rows = (
      platform === undefined
        ? this.db.prepare("SELECT * FROM jobs WHERE delivery = 'undelivered' ORDER BY finished_at, rowid").all()
        : this.db
            .prepare("SELECT * FROM jobs WHERE delivery = 'undelivered' AND platform = ? AND user_id = ? ORDER BY finished_at, rowid")
            .all(platform, userId ?? '')
    ) as JobRow[];
    return rows.map(fromRow);
  }

  /**
   * True the first time a platform event id is seen, false for a repeat (a platform's retry of an
   * event already acted on), also after a restart. Ids older than an hour are forgotten.
   */
  firstSeen(platform: Platform, eventId: string, now = Date.now()): boolean {
    const added = this.db.prepare('INSERT OR IGNORE INTO seen_events (platform, event_id, seen_at) VALUES (?, ?, ?)').run(platform, eventId, now).changes;
    if (added > 0 && ++this.eventsAdded % 100 === 1) this.db.prepare('DELETE FROM seen_events WHERE seen_at < ?').run(now - REMEMBER_EVENTS_MS);
    return added > 0;
  }

  hasMessage(jobId: string, role: MessageRole): boolean {
    return this.db.prepare('SELECT 1 FROM messages WHERE job_id = ? AND role = ? LIMIT 1').get(jobId, role) !== undefined;
  }

  /** The conversation moves once a thread exists; later posts (and resumes) go there. */
  setWhere(id: string, where: ThreadRef): void {
    this.db
      .prepare('UPDATE jobs SET channel = ?, thread = ?, extra = ? WHERE id = ?')
      .run(where.channel, where.thread ?? null, where.extra ? JSON.stringify(where.extra) : null, id);
  }

  /** `place`: where the message was posted (its thread or channel), so it can be deleted later. */
  addMessage(platform: Platform, messageId: string, jobId: string, role: MessageRole, place?: ThreadRef): void {
    this.db
      .prepare('INSERT OR REPLACE INTO messages (platform, message_id, job_id, role, place) VALUES (?, ?, ?, ?, ?)')
      .run(platform, messageId, jobId, role, place ? JSON.stringify(place) : null);
  }

  /** The job's messages with where each was posted (absent for messages recorded before places were). */
  placedMessagesOf(jobId: string): { id: string; role: MessageRole; place?: ThreadRef }[] {
    const rows = this.db.prepare('SELECT message_id AS id, role, place FROM messages WHERE job_id = ? ORDER BY rowid').all(jobId) as {
      id: string;
      role: MessageRole;
      place: string | null;
    }[];
    return rows.map((r) => (r.place === null ? { id: r.id, role: r.role } : { id: r.id, role: r.role, place: JSON.parse(r.place) as ThreadRef }));
  }

  /**
   * A job taken back: the job and its messages are forgotten (its re-runs keep their parentId, which
   * then names no job). A job still owed its final replies is not removed: false.
   */
  removeJob(id: string): boolean {
    return this.db.transaction(() => {
      if (this.db.prepare('SELECT 1 FROM outbox WHERE job_id = ?').get(id) !== undefined) return false;
      this.db.prepare('DELETE FROM messages WHERE job_id = ?').run(id);
      return this.db.prepare('DELETE FROM jobs WHERE id = ?').run(id).changes > 0;
    })();
  }

  /** Whether a job other than `exceptJobId` uses the input image `hash` (as content, style or starting point). */
  inputUsedElsewhere(hash: string, exceptJobId: string): boolean {
    return this.db.prepare('SELECT 1 FROM jobs WHERE id != ? AND instr(inputs, ?) > 0 LIMIT 1').get(exceptJobId, `"${hash}"`) !== undefined;
  }

  jobForMessage(platform: Platform, messageId: string): JobRecord | undefined {
    const row = this.db
      .prepare('SELECT jobs.* FROM messages JOIN jobs ON jobs.id = messages.job_id WHERE messages.platform = ? AND messages.message_id = ?')
      .get(platform, messageId) as JobRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  messagesOf(jobId: string): { id: string; role: MessageRole }[] {
    return this.db.prepare('SELECT message_id AS id, role FROM messages WHERE job_id = ? ORDER BY rowid').all(jobId) as { id: string; role: MessageRole }[];
  }

  /** Jobs a previous process left waiting or running, oldest first. */
  unfinished(): JobRecord[] {
    const rows = this.db.prepare("SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY created_at, rowid").all() as JobRow[];
    return rows.map(fromRow);
  }

  /**
   * When the jobs a quota counts were created, oldest first: a user's (or a server's) jobs created
   * after `since`. Jobs cancelled before they started cost nothing and are not counted.
   */
  createdSince(scope: { platform: Platform; userId: string } | { platform: Platform; server: string }, since: number): number[] {
    const [column, value] = 'userId' in scope ? ['user_id', scope.userId] : ['server', scope.server];
    const rows = this.db
      .prepare(
        `SELECT created_at FROM jobs WHERE platform = ? AND ${column} = ? AND created_at > ?
           AND NOT (state = 'cancelled' AND started_at IS NULL) ORDER BY created_at`,
      )
      .all(scope.platform, value, since) as { created_at: number }[];
    return rows.map((r) => r.created_at);
  }

  /** The user's most recent job on a platform, optionally only in the given states. */
  latestOf(platform: Platform, userId: string, states: JobState[]): JobRecord | undefined {
    const marks = states.map(() => '?').join(', ');
    const row = this.db
      .prepare(`SELECT * FROM jobs WHERE platform = ? AND user_id = ? AND state IN (${marks}) ORDER BY created_at DESC, rowid DESC LIMIT 1`)
      .get(platform, userId, ...states) as JobRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** The last `limit` jobs of a conversation (optionally one thread), oldest first. */
  inConversation(platform: Platform, channel: string, thread: string | undefined, limit: number): JobRecord[] {
    const rows = (
      thread === undefined
        ? this.db.prepare('SELECT * FROM jobs WHERE platform = ? AND channel = ? ORDER BY created_at DESC, rowid DESC LIMIT ?').all(platform, channel, limit)
        : this.db
            .prepare('SELECT * FROM jobs WHERE platform = ? AND channel = ? AND thread = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
            .all(platform, channel, thread, limit)
    ) as JobRow[];
    return rows.reverse().map(fromRow);
  }

  /**
   * A user's own defaults (the settings command), as they were saved: the commands check them again
   * against the limits in force when they read them. Empty when the user has none.
   */
  userDefaults(platform: Platform, userId: string): Record<string, unknown> {
    const row = this.db.prepare('SELECT settings FROM user_defaults WHERE platform = ? AND user_id = ?').get(platform, userId) as
      | { settings: string }
      | undefined;
    if (!row) return {};
    const parsed: unknown = JSON.parse(row.settings);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  }

  /** Replaces a user's own defaults; none left removes the row. */
  setUserDefaults(platform: Platform, userId: string, settings: Record<string, unknown>): void {
    if (Object.keys(settings).length === 0) {
      this.db.prepare('DELETE FROM user_defaults WHERE platform = ? AND user_id = ?').run(platform, userId);
      return;
    }
    this.db.prepare('INSERT OR REPLACE INTO user_defaults (platform, user_id, settings) VALUES (?, ?, ?)').run(platform, userId, JSON.stringify(settings));
  }

  /** Jobs whose final replies reached no one (for the metrics). */
  undeliveredCount(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE delivery = 'undelivered'").get() as { n: number }).n;
  }

  /** Up when the database is open and answers a query (for /healthz). */
  health(): { part: string; up: boolean; detail?: string } {
    if (!this.db.open) return { part: 'job store', up: false, detail: 'closed' };
    this.db.prepare('SELECT 1').get();
    return { part: 'job store', up: true };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
