/** Shapes the picture may start per second; above this it draws an even sample. */
export const DRAWN_PER_SECOND = 40;
/** Shapes one frame may start at most (the bucket's size), so a page load's burst is drawn whole but never stalls a frame. */
const MAX_PER_FRAME = 24;
/** Arrivals kept between two frames; past this one replaces another, so the sample stays spread out. */
const MAX_PENDING = 256;
/** The window the "1 in N" is measured over. */
const WINDOW_MS = 2_000; // 2 s

/**
 * Decides which arrivals get drawn: all of them while the rate is low, an even sample under a
 * fixed budget (a token bucket) when it is high, and says how much it leaves out.
 */
export class Sampler<T> {
  private pending: T[] = [];
  private arrivedSinceFrame = 0;
  private tokens = MAX_PER_FRAME;
  private lastFrame: number | undefined;
  private readonly seconds: { at: number; seen: number; drawn: number }[] = [];

  /** An arrival that could be drawn. */
  offer(item: T, now: number): void {
    this.arrivedSinceFrame += 1;
    this.bucket(now).seen += 1;
    if (this.pending.length < MAX_PENDING) this.pending.push(item);
    else this.pending[(this.arrivedSinceFrame * 7_919) % MAX_PENDING] = item;
  }

  get waiting(): boolean {
    return this.pending.length > 0;
  }

  /** The arrivals to draw in this frame, spread evenly over those that came since the last one. */
  take(now: number): T[] {
    const elapsed = this.lastFrame === undefined ? 0 : now - this.lastFrame;
    this.lastFrame = now;
    this.tokens = Math.min(MAX_PER_FRAME, this.tokens + (elapsed * DRAWN_PER_SECOND) / 1_000);
    const pending = this.pending;
    this.pending = [];
    this.arrivedSinceFrame = 0;
    const k = Math.min(pending.length, Math.floor(this.tokens));
    if (k === 0) return [];
    this.tokens -= k;
    this.bucket(now).drawn += k;
    if (k === pending.length) return pending;
    return Array.from({ length: k }, (_, i) => pending[Math.floor(((i + 0.5) * pending.length) / k)]!);
  }

  /** Drawn and seen over the last two seconds: equal when nothing is left out. */
  rate(now: number): { seen: number; drawn: number } {
    this.expire(now);
    let seen = 0;
    let drawn = 0;
    for (const s of this.seconds) {
      seen += s.seen;
      drawn += s.drawn;
    }
    // What arrived since the last frame is not left out yet: it waits for the next frame.
    return { seen: Math.max(drawn, seen - this.arrivedSinceFrame), drawn };
  }

  private bucket(now: number): { at: number; seen: number; drawn: number } {
    const at = Math.floor(now / 250) * 250;
    const last = this.seconds.at(-1);
    if (last && last.at === at) return last;
    const fresh = { at, seen: 0, drawn: 0 };
    this.seconds.push(fresh);
    this.expire(now);
    return fresh;
  }

  private expire(now: number): void {
    while (this.seconds.length > 0 && this.seconds[0]!.at <= now - WINDOW_MS) this.seconds.shift();
  }
}

/** What the picture says about its sample: nothing while it draws everything. */
export function samplingText({ seen, drawn }: { seen: number; drawn: number }): string {
  if (seen <= drawn || seen === 0) return "";
  if (drawn === 0) return `drawing none of ${seen} in the last 2 s`;
  const n = seen / drawn;
  return n >= 1.95 ? `drawing 1 in ${Math.round(n)}` : `drawing ${drawn} of ${seen}`;
}
