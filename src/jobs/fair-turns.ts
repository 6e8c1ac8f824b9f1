/**
 * Fair turns between users: the next job to start is the oldest job of the user who has waited
 * longest since their last turn; a user with no turn yet goes before those who had one (users who
 * never had one, in the order their first jobs came). That is round-robin between users, each user's
 * own jobs in the order they were sent, so a user who keeps jobs waiting gets one turn per round, not
 * the device: no user's second job starts before another user's first.
 *
 * The in-process queues apply this rule as it stands (device-queues.ts); the Redis transport gives
 * the same guarantee with BullMQ priorities (redis.ts turnOf).
 */
import type { JobRecord } from './job-record.js';

/** Whose turn a job takes: a user on a platform (the same id on two platforms is two users). */
export function ownerOf(record: Pick<JobRecord, 'platform' | 'user'>): string {
  return `${record.platform}:${record.user.id}`;
}

export interface InLine {
  owner: string;
  /** Order of arrival (smaller came first). */
  seq: number;
}

/**
 * `line` in the order its jobs will start, given when each owner last had a turn (a number that grows
 * with every start; absent: no turn yet). The order is played out turn by turn, each pick counting as
 * that owner's latest turn.
 */
export function fairOrder<J extends InLine>(line: readonly J[], lastTurn: ReadonlyMap<string, number>): J[] {
  const byOwner = new Map<string, J[]>();
  for (const job of [...line].sort((a, b) => a.seq - b.seq)) {
    const jobs = byOwner.get(job.owner);
    if (jobs) jobs.push(job);
    else byOwner.set(job.owner, [job]);
  }
  const turn = new Map<string, number>();
  for (const owner of byOwner.keys()) turn.set(owner, lastTurn.get(owner) ?? -Infinity);
  let next = Math.max(0, ...lastTurn.values()) + 1;
  const order: J[] = [];
  while (byOwner.size > 0) {
    let pick: string | undefined;
    for (const [owner, jobs] of byOwner) {
      if (pick === undefined) {
        pick = owner;
        continue;
      }
      const [a, b] = [turn.get(owner)!, turn.get(pick)!];
      if (a < b || (a === b && jobs[0]!.seq < byOwner.get(pick)![0]!.seq)) pick = owner;
    }
    const jobs = byOwner.get(pick!)!;
    order.push(jobs.shift()!);
    turn.set(pick!, next++);
    if (jobs.length === 0) byOwner.delete(pick!);
  }
  return order;
}
