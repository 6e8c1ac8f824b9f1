/** Labels for the queues: a device listed twice gets '#2' so each queue has its own name. */
export function deviceLabels(devices: string[]): string[] {
  const seen = new Map<string, number>();
  return devices.map((device) => {
    const n = (seen.get(device) ?? 0) + 1;
    seen.set(device, n);
    return n === 1 ? device : `${device}#${n}`;
  });
}
