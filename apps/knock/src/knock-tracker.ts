import { normalizeAddress } from "@porthost/events";
import type { KnockStep } from "@porthost/ports";

/**
 * How many source addresses the tracker remembers, for sequences under way and for open windows
 * alike; past it the least recently seen is forgotten (a flood of knocks costs a bounded Map).
 */
export const MAX_TRACKED_ADDRESSES = 10_000;

export interface KnockTrackerOptions {
  readonly sequence: readonly KnockStep[];
  /** From the first knock to the last. */
  readonly timeoutMs: number;
  /** How long an address may use the vault after its last knock. */
  readonly windowMs: number;
  readonly maxAddresses?: number;
  /** A clock in milliseconds, for tests. */
  readonly now?: () => number;
}

/** What one knock did to its address's progress. */
export type KnockResult =
  | { readonly kind: "progress"; readonly step: number; readonly of: number; readonly late: boolean }
  | { readonly kind: "open"; readonly of: number; readonly windowMs: number; readonly late: boolean }
  | {
      readonly kind: "wrong";
      readonly expected: KnockStep;
      readonly step: number;
      readonly of: number;
      readonly late: boolean;
    };

export interface KnockTracker {
  /** Counts a knock from `address` on one endpoint (an endpoint outside the sequence is a wrong knock). */
  knock(address: string, endpoint: KnockStep): KnockResult;
  /** Opens the window for `address` without a sequence (an accepted SPA packet). */
  open(address: string): void;
  /** Milliseconds the vault stays open to `address`, or undefined when it is closed. */
  windowLeft(address: string): number | undefined;
  /** Knocks `address` has made towards the sequence now (0 once its timeout has passed). */
  progress(address: string): number;
  /** Entries held: addresses with a sequence under way, and with an open window. */
  sizes(): { readonly progress: number; readonly windows: number };
}

interface Progress {
  next: number;
  readonly firstAt: number;
}

const sameEndpoint = (a: KnockStep, b: KnockStep): boolean => a.port === b.port && a.transport === b.transport;

/** Sets a key as the most recently used, forgetting the least recently used past `max`. */
function touch<T>(map: Map<string, T>, key: string, value: T, max: number): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

/**
 * Per source address, like knockd: knocks must arrive in order, all within `timeoutMs` of the
 * first; a wrong knock resets (and may itself begin the sequence again); the last one opens the
 * vault to that address for `windowMs`. Keyed by address alone: a client's every knock comes
 * from a new ephemeral port.
 */
export function createKnockTracker(options: KnockTrackerOptions): KnockTracker {
  const { sequence, timeoutMs, windowMs } = options;
  const max = options.maxAddresses ?? MAX_TRACKED_ADDRESSES;
  const now = options.now ?? (() => performance.now());
  const progress = new Map<string, Progress>();
  const windows = new Map<string, number>();
  const of = sequence.length;

  /** The oldest entry of each map goes once stale, so an idle tracker empties as it is used. */
  const sweep = (t: number): void => {
    const [oldest, entry] = progress.entries().next().value ?? [];
    if (oldest !== undefined && entry && t - entry.firstAt > timeoutMs) progress.delete(oldest);
    const [first, until] = windows.entries().next().value ?? [];
    if (first !== undefined && until !== undefined && until <= t) windows.delete(first);
  };

  const openFor = (address: string, t: number): void => touch(windows, address, t + windowMs, max);

  return {
    knock(rawAddress, endpoint) {
      const address = normalizeAddress(rawAddress);
      const t = now();
      let current = progress.get(address);
      sweep(t);
      const late = current !== undefined && t - current.firstAt > timeoutMs;
      if (late) current = undefined;
      const expected = sequence[current?.next ?? 0]!;
      if (sameEndpoint(endpoint, expected)) {
        const step = (current?.next ?? 0) + 1;
        if (step === of) {
          progress.delete(address);
          openFor(address, t);
          return { kind: "open", of, windowMs, late };
        }
        touch(progress, address, { next: step, firstAt: current?.firstAt ?? t }, max);
        return { kind: "progress", step, of, late };
      }
      progress.delete(address);
      // A wrong knock that is the sequence's first begins it again, as knockd does.
      if (current !== undefined && sameEndpoint(endpoint, sequence[0]!)) {
        touch(progress, address, { next: 1, firstAt: t }, max);
        return { kind: "wrong", expected, step: 1, of, late };
      }
      return { kind: "wrong", expected, step: 0, of, late };
    },
    open(address) {
      openFor(normalizeAddress(address), now());
    },
    windowLeft(rawAddress) {
      const address = normalizeAddress(rawAddress);
      const until = windows.get(address);
      if (until === undefined) return undefined;
      const left = until - now();
      if (left > 0) return left;
      windows.delete(address);
      return undefined;
    },
    progress(rawAddress) {
      const entry = progress.get(normalizeAddress(rawAddress));
      return entry && now() - entry.firstAt <= timeoutMs ? entry.next : 0;
    },
    sizes: () => ({ progress: progress.size, windows: windows.size }),
  };
}

/** The words of a knock's connection event: progress k of n, or why it reset. */
export function knockDetail(result: KnockResult, timeoutMs: number): string {
  const late = result.late ? `timed out (over ${seconds(timeoutMs)} since the first knock); ` : "";
  switch (result.kind) {
    case "progress":
      return `${late}knock ${result.step} of ${result.of}`;
    case "open":
      return `${late}knock ${result.of} of ${result.of}: vault open for ${seconds(result.windowMs)}`;
    case "wrong":
      return `${late}wrong knock (expected ${result.expected.port}/${result.expected.transport}): back to ${result.step} of ${result.of}`;
  }
}

/** A duration for people: "30 s", "1.5 s", "250 ms". */
export function seconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${Number((ms / 1000).toFixed(1))} s`;
}
