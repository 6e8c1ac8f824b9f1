/**
 * The log for lines about one job: a child bound to { jobId, userId } where the log can bind fields
 * (the structured log of src/ops/log.ts), else the log itself (the console, a test's log).
 */
export function jobLog<L extends object>(log: L, record: { id: string; user?: { id: string } }): L {
  const child = (log as { child?: unknown }).child;
  if (typeof child !== 'function') return log;
  const bindings: Record<string, string> = { jobId: record.id };
  if (record.user) bindings.userId = record.user.id;
  return (child as (b: Record<string, string>) => L).call(log, bindings);
}
