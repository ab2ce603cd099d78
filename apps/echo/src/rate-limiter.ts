/** How many source addresses the limiter remembers; the least recently seen is forgotten first. */
export const MAX_TRACKED_SOURCES = 10_000;

export interface RateLimiterOptions {
  readonly perSecond: number;
  readonly burst: number;
  readonly maxSources?: number;
  /** A clock in milliseconds, for tests. */
  readonly now?: () => number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/**
 * A token bucket per source address: `burst` replies at once, then `perSecond`. Keyed by
 * address alone, since a forged flood names its victim's address with any port.
 */
export function createRateLimiter(options: RateLimiterOptions): (source: string) => boolean {
  const { perSecond, burst } = options;
  const maxSources = options.maxSources ?? MAX_TRACKED_SOURCES;
  const now = options.now ?? (() => performance.now());
  const buckets = new Map<string, Bucket>();
  return (source) => {
    const t = now();
    let bucket = buckets.get(source);
    if (bucket) {
      buckets.delete(source);
      bucket.tokens = Math.min(burst, bucket.tokens + ((t - bucket.updatedMs) * perSecond) / 1000);
      bucket.updatedMs = t;
    } else {
      if (buckets.size >= maxSources) buckets.delete(buckets.keys().next().value as string);
      bucket = { tokens: burst, updatedMs: t };
    }
    // Re-inserted so Map order is least recently seen first.
    buckets.set(source, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  };
}
