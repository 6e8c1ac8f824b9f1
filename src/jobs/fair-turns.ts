/**
 * Fair turns between users, the same rule in one process and across Redis workers: a waiting job's
 * class is how many jobs of its owner are ahead of it — running, or waiting and queued before it.
 * Lower classes start first, and within a class the job queued first. So everyone's first job in line
 * starts before anyone's second, everyone's second before anyone's third: round-robin between users,
 * each user's own jobs in the order they were sent. A user who keeps jobs waiting holds one turn per
 * round, not the device.
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
 * The class of each waiting job (see above), given the owners of the jobs running now (an owner once
 * per running job).
 */
export function turnClasses<J extends InLine>(waiting: readonly J[], runningOwners: readonly string[]): Map<J, number> {
  const ahead = new Map<string, number>();
  for (const owner of runningOwners) ahead.set(owner, (ahead.get(owner) ?? 0) + 1);
  const classes = new Map<J, number>();
  for (const job of [...waiting].sort((a, b) => a.seq - b.seq)) {
    const before = ahead.get(job.owner) ?? 0;
    classes.set(job, before);
    ahead.set(job.owner, before + 1);
  }
  return classes;
}

/** `line` in the order its jobs start: by class, then by arrival. */
export function fairOrder<J extends InLine>(line: readonly J[], classes: ReadonlyMap<J, number>): J[] {
  return [...line].sort((a, b) => (classes.get(a) ?? 0) - (classes.get(b) ?? 0) || a.seq - b.seq);
}
