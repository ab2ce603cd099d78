/** The median of timings, in the unit they were taken in. */
export function p50(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/** Runs `task` `count` times one after another; returns each duration in ms. */
export async function timeSerial(count: number, task: (i: number) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await task(i);
    times.push(performance.now() - started);
  }
  return times;
}

export const fixed = (value: number, digits = 0): string => value.toFixed(digits);
