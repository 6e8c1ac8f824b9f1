/**
 * Health of the parts a process depends on, for /healthz: the job store, the queue (Redis in that
 * mode) and each engine or worker. The process is healthy when every part is up.
 */

export interface PartHealth {
  /** e.g. "job store", "redis", "engine cpu", "worker host:1/cpu". */
  part: string;
  up: boolean;
  /** Why it is down (or a detail worth seeing when up); never a secret. */
  detail?: string;
}

export interface HealthReport {
  status: 'up' | 'down';
  parts: PartHealth[];
}

export function healthReport(parts: PartHealth[]): HealthReport {
  return { status: parts.every((p) => p.up) ? 'up' : 'down', parts };
}

/** A part whose check threw, or did not answer in time, is down with the reason. */
export async function checked(part: string, check: () => Promise<PartHealth[]> | PartHealth[], timeoutMs = 2000): Promise<PartHealth[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<PartHealth[]>((resolve) => {
    timer = setTimeout(() => resolve([{ part, up: false, detail: `no answer within ${timeoutMs} ms` }]), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(check), late]);
  } catch (err) {
    return [{ part, up: false, detail: err instanceof Error ? err.message : String(err) }];
  } finally {
    clearTimeout(timer);
  }
}
