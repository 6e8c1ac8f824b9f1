/**
 * The operators' controls, kept in the job store's SQLite file (jobs.sqlite) beside the jobs, so a
 * pause, a ban, a channel list or a lower limit outlives a restart. Its own connection and tables:
 * the job store's schema is untouched. A scope is one server or workspace of one platform
 * ("discord:<guild id>", "slack:<team id>"), or a platform's place without a server ("web:").
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS control_flags (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS banned_users (
  scope TEXT NOT NULL,
  user_id TEXT NOT NULL,
  PRIMARY KEY (scope, user_id)
);
CREATE TABLE IF NOT EXISTS allowed_channels (
  scope TEXT NOT NULL,
  channel TEXT NOT NULL,
  PRIMARY KEY (scope, channel)
);
CREATE TABLE IF NOT EXISTS scope_limits (
  scope TEXT PRIMARY KEY,
  max_size INTEGER,
  max_iterations INTEGER
);
`;

/** A server's own lower bounds; absent: the operator's global limits. */
export interface ScopeLimits {
  maxSize?: number;
  maxIterations?: number;
}

export class ControlsStore {
  private readonly db: Database.Database;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(path.join(dataDir, 'jobs.sqlite'));
    this.db.pragma('journal_mode = WAL');
    // The job store may be writing on its own connection at the same moment.
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  paused(): boolean {
    const row = this.db.prepare("SELECT value FROM control_flags WHERE name = 'paused'").get() as { value: string } | undefined;
    return row?.value === '1';
  }

  setPaused(paused: boolean): void {
    this.db.prepare("INSERT OR REPLACE INTO control_flags (name, value) VALUES ('paused', ?)").run(paused ? '1' : '0');
  }

  /** Whether the user was banned in the scope, or, with `platformPrefix`, in any scope starting with it. */
  isBanned(scope: string, userId: string, platformPrefix?: string): boolean {
    const row = platformPrefix
      ? this.db.prepare('SELECT 1 FROM banned_users WHERE user_id = ? AND substr(scope, 1, ?) = ? LIMIT 1').get(userId, platformPrefix.length, platformPrefix)
      : this.db.prepare('SELECT 1 FROM banned_users WHERE scope = ? AND user_id = ?').get(scope, userId);
    return row !== undefined;
  }

  /** True when the user was not banned there before. */
  ban(scope: string, userId: string): boolean {
    return this.db.prepare('INSERT OR IGNORE INTO banned_users (scope, user_id) VALUES (?, ?)').run(scope, userId).changes > 0;
  }

  /** True when the user was banned there. */
  unban(scope: string, userId: string): boolean {
    return this.db.prepare('DELETE FROM banned_users WHERE scope = ? AND user_id = ?').run(scope, userId).changes > 0;
  }

  banned(scope: string): string[] {
    return (this.db.prepare('SELECT user_id FROM banned_users WHERE scope = ? ORDER BY rowid').all(scope) as { user_id: string }[]).map((r) => r.user_id);
  }

  /** The channels the bot answers in there; empty: all of them. */
  channels(scope: string): string[] {
    return (this.db.prepare('SELECT channel FROM allowed_channels WHERE scope = ? ORDER BY rowid').all(scope) as { channel: string }[]).map((r) => r.channel);
  }

  allowChannel(scope: string, channel: string): void {
    this.db.prepare('INSERT OR IGNORE INTO allowed_channels (scope, channel) VALUES (?, ?)').run(scope, channel);
  }

  clearChannels(scope: string): void {
    this.db.prepare('DELETE FROM allowed_channels WHERE scope = ?').run(scope);
  }

  limits(scope: string): ScopeLimits {
    const row = this.db.prepare('SELECT max_size, max_iterations FROM scope_limits WHERE scope = ?').get(scope) as
      | { max_size: number | null; max_iterations: number | null }
      | undefined;
    const limits: ScopeLimits = {};
    if (row?.max_size != null) limits.maxSize = row.max_size;
    if (row?.max_iterations != null) limits.maxIterations = row.max_iterations;
    return limits;
  }

  /** Sets the given bounds, keeping the other one as it was. */
  setLimits(scope: string, limits: ScopeLimits): void {
    this.db
      .prepare(
        `INSERT INTO scope_limits (scope, max_size, max_iterations) VALUES (@scope, @size, @iterations)
         ON CONFLICT (scope) DO UPDATE SET max_size = COALESCE(@size, max_size), max_iterations = COALESCE(@iterations, max_iterations)`,
      )
      .run({ scope, size: limits.maxSize ?? null, iterations: limits.maxIterations ?? null });
  }

  clearLimits(scope: string): void {
    this.db.prepare('DELETE FROM scope_limits WHERE scope = ?').run(scope);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
