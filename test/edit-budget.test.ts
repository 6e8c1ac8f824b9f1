/** The shared edit budget, with the clock given: fair shares, final edits never refused. */
import { EditBudget } from '../src/bots/shared/edit-budget.js';

/** A progress edit: asked, then taken as it goes. */
function progress(budget: EditBudget, place: string, sender: object, now: number): boolean {
  if (!budget.tryProgress(place, sender, now)) return false;
  budget.take(place, now);
  return true;
}

describe('EditBudget', () => {
  it('keeps the edits of one place under its rate, sharing it among the jobs there', () => {
    const budget = new EditBudget({ perMinute: 60, burst: 3 });
    const jobs = [{}, {}, {}];
    let allowed = 0;
    const perJob = new Map<object, number>();
    // Three jobs ask every 100 ms for two minutes.
    for (let now = 0; now < 120_000; now += 100) {
      for (const job of jobs) {
        if (progress(budget, 'C1', job, now)) {
          allowed += 1;
          perJob.set(job, (perJob.get(job) ?? 0) + 1);
        }
      }
    }
    // At most the burst plus one a second.
    expect(allowed).toBeLessThanOrEqual(3 + 120);
    expect(allowed).toBeGreaterThan(100);
    // Each job gets about a third.
    for (const job of jobs) expect(perJob.get(job)!).toBeGreaterThan(allowed / 3 - 5);
    // Another place has its own budget.
    expect(progress(budget, 'C2', jobs[0]!, 120_000)).toBe(true);
  });

  it('lets final edits through and holds progress back until they are paid for', () => {
    const budget = new EditBudget({ perMinute: 60, burst: 2 });
    const job = {};
    for (let i = 0; i < 5; i++) budget.take('C1', 0); // five final edits at once
    expect(budget.tryProgress('C1', job, 0)).toBe(false);
    expect(budget.tryProgress('C1', job, 3000)).toBe(false); // still paying back
    expect(budget.tryProgress('C1', job, 5000)).toBe(true);
  });
});
