/**
 * Waiting in tests for something recorded to become true: `until` resolves once `check` returns a
 * value (re-checked on every `notify`), or rejects after timeoutMs with `describe()` of what was seen.
 */
export class Conditions {
  private readonly waiters = new Set<() => void>();

  until<T>(check: () => T | undefined | null | false, timeoutMs: number, describe: () => string): Promise<T> {
    const now = check();
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const waiter = () => {
        const value = check();
        if (!value) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms; so far:\n${describe()}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Re-checks every pending condition. */
  notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
